// Package config reads the receiver's settings from the environment once, at
// cold start, into a typed Config. A missing or malformed setting is an error
// that names the variable.
package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

// Environment variables read in every mode.
const (
	EnvIncludePHI       = "ALERT_INCLUDE_PHI"
	EnvAlertLease       = "ALERT_LEASE_SECONDS"
	EnvAlertMaxAttempts = "ALERT_MAX_ATTEMPTS"
	EnvRetentionDays    = "RETENTION_DAYS"
	EnvSweepInterval    = "SWEEP_INTERVAL_SECONDS"
	EnvSweepBatch       = "SWEEP_BATCH_SIZE"
	EnvSweepGrace       = "SWEEP_GRACE_SECONDS"
)

// Environment variables read only when running as a Lambda function.
const (
	EnvTableName        = "TABLE_NAME"
	EnvSecretID         = "WEBHOOK_SECRET_ID"
	EnvSecretRefresh    = "WEBHOOK_SECRET_REFRESH_SECONDS"
	EnvMetricsNamespace = "METRICS_NAMESPACE"
	// EnvTopicPrefix followed by the upper-case category (or OTHER) names
	// each topic's ARN, e.g. ALERT_TOPIC_ARN_APPOINTMENT.
	EnvTopicPrefix = "ALERT_TOPIC_ARN_"
)

// Environment variables read only in local mode.
const (
	EnvListenAddr = "LISTEN_ADDR"
	EnvSecrets    = "COBALT_WEBHOOK_SECRETS"
	EnvDataDir    = "DATA_DIR"
)

// DevelopmentSecret is the webhook secret local mode accepts when
// COBALT_WEBHOOK_SECRETS is unset. It must never be used in a deployment.
const DevelopmentSecret = "whsec_local_development_secret"

// Config holds every setting of the ingest and sweep functions.
type Config struct {
	// IncludePHI puts PHI values in alert bodies unmasked.
	IncludePHI bool
	// AlertLease is how long a pending alert is left to its first delivery,
	// or to a sweeper's claim, before the sweep may take it.
	AlertLease time.Duration
	// AlertMaxAttempts is how many sweep attempts an alert gets before it
	// is marked failed.
	AlertMaxAttempts int
	// Retention is how long records are kept; zero keeps them forever.
	Retention time.Duration
	// SweepInterval is how often local mode runs the pending-alert sweep.
	SweepInterval time.Duration
	// SweepBatch is the most alerts one sweep run handles.
	SweepBatch int
	// SweepGrace is how long past its lease a pending alert waits before
	// the sweep takes it.
	SweepGrace time.Duration

	// Lambda settings.
	TableName        string
	SecretID         string
	SecretRefresh    time.Duration
	MetricsNamespace string
	TopicARNs        map[string]string

	// Local settings.
	ListenAddr string
	Secrets    []signature.Secret
	// UsesDevelopmentSecret is set when Secrets is the public development
	// secret because COBALT_WEBHOOK_SECRETS is unset or blank.
	UsesDevelopmentSecret bool
	DataDir               string
}

// Topics lists every alert topic: one per category, then alert.TopicOther.
func Topics() []string {
	return append(append([]string(nil), alert.Categories...), alert.TopicOther)
}

// TopicVariable returns the environment variable holding topic's ARN.
func TopicVariable(topic string) string {
	return EnvTopicPrefix + strings.ToUpper(topic)
}

// LambdaVariables lists every environment variable LoadLambda reads.
func LambdaVariables() []string {
	names := []string{
		EnvIncludePHI, EnvAlertLease, EnvRetentionDays,
		EnvTableName, EnvSecretID, EnvSecretRefresh, EnvMetricsNamespace,
	}
	for _, topic := range Topics() {
		names = append(names, TopicVariable(topic))
	}
	return names
}

// LoadLambda reads the settings of a deployed function from getenv.
func LoadLambda(getenv func(string) string) (*Config, error) {
	r := reader{getenv: getenv}
	cfg := r.common()
	cfg.TableName = r.required(EnvTableName)
	cfg.SecretID = r.required(EnvSecretID)
	cfg.SecretRefresh = r.seconds(EnvSecretRefresh, 300)
	cfg.MetricsNamespace = r.str(EnvMetricsNamespace, "CobaltReceiver")
	cfg.TopicARNs = map[string]string{}
	for _, topic := range Topics() {
		cfg.TopicARNs[topic] = r.required(TopicVariable(topic))
	}
	return cfg, r.err()
}

// SweepVariables lists every environment variable LoadSweep reads.
func SweepVariables() []string {
	names := []string{
		EnvIncludePHI, EnvAlertLease, EnvRetentionDays, EnvAlertMaxAttempts, EnvSweepBatch,
		EnvSweepGrace, EnvTableName, EnvMetricsNamespace,
	}
	for _, topic := range Topics() {
		names = append(names, TopicVariable(topic))
	}
	return names
}

// LoadSweep reads the settings of the deployed sweep function from getenv.
// It needs no webhook secret; the schedule, not SWEEP_INTERVAL_SECONDS, sets
// how often it runs.
func LoadSweep(getenv func(string) string) (*Config, error) {
	r := reader{getenv: getenv}
	cfg := r.common()
	r.sweepSettings(cfg)
	cfg.TableName = r.required(EnvTableName)
	cfg.MetricsNamespace = r.str(EnvMetricsNamespace, "CobaltReceiver")
	cfg.TopicARNs = map[string]string{}
	for _, topic := range Topics() {
		cfg.TopicARNs[topic] = r.required(TopicVariable(topic))
	}
	return cfg, r.err()
}

// LoadLocal reads the settings of local mode from getenv.
func LoadLocal(getenv func(string) string) (*Config, error) {
	r := reader{getenv: getenv}
	cfg := r.common()
	r.sweepSettings(cfg)
	cfg.SweepInterval = r.seconds(EnvSweepInterval, 60)
	cfg.ListenAddr = r.str(EnvListenAddr, "127.0.0.1:8080")
	cfg.DataDir = r.str(EnvDataDir, ".data")
	raw := r.str(EnvSecrets, DevelopmentSecret)
	cfg.UsesDevelopmentSecret = raw == DevelopmentSecret
	secrets, err := parseSecrets(raw)
	switch {
	case err != nil:
		r.fail(EnvSecrets, err.Error())
	case len(secrets) == 0:
		r.fail(EnvSecrets, "holds no secret; give one or more comma-separated secrets")
	}
	cfg.Secrets = secrets
	return cfg, r.err()
}

// ParseSecrets splits a comma- or newline-separated list of webhook secrets,
// dropping blanks. A JSON array of strings is accepted too. It returns no
// secret for a value that starts with "[" but is not such an array.
func ParseSecrets(s string) []signature.Secret {
	list, err := parseSecrets(s)
	if err != nil {
		return nil
	}
	return list
}

func parseSecrets(s string) ([]signature.Secret, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		list, ok := parseJSONStrings(s)
		if !ok {
			return nil, errors.New("starts with [ but is not a JSON array of strings")
		}
		return list, nil
	}
	var out []signature.Secret
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, signature.Secret(part))
		}
	}
	return out, nil
}

// common reads the settings of the ingest path.
func (r *reader) common() *Config {
	return &Config{
		IncludePHI: r.boolean(EnvIncludePHI, false),
		AlertLease: r.seconds(EnvAlertLease, 30),
		Retention:  time.Duration(r.integer(EnvRetentionDays, 0, 0, 36500)) * 24 * time.Hour,
	}
}

// sweepSettings reads the settings of the pending-alert sweep into cfg.
func (r *reader) sweepSettings(cfg *Config) {
	cfg.AlertMaxAttempts = r.integer(EnvAlertMaxAttempts, 10, 1, 1000)
	cfg.SweepBatch = r.integer(EnvSweepBatch, 100, 1, 1000)
	cfg.SweepGrace = r.duration(EnvSweepGrace, 5)
}

// reader collects every problem so one error names them all.
type reader struct {
	getenv   func(string) string
	problems []string
}

func (r *reader) fail(name, problem string) {
	r.problems = append(r.problems, name+" "+problem)
}

func (r *reader) err() error {
	if len(r.problems) == 0 {
		return nil
	}
	return fmt.Errorf("invalid configuration: %s", strings.Join(r.problems, "; "))
}

func (r *reader) str(name, fallback string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return fallback
}

func (r *reader) required(name string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		r.fail(name, "is required but not set")
	}
	return v
}

func (r *reader) boolean(name string, fallback bool) bool {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return fallback
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("must be true or false, got %q", v))
	}
	return b
}

func (r *reader) integer(name string, fallback, low, high int) int {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return fallback
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < low || n > high {
		r.fail(name, fmt.Sprintf("must be a whole number from %d to %d, got %q", low, high, v))
		return fallback
	}
	return n
}

// seconds reads a positive number of seconds; fractions are allowed so
// tests can shorten timings below a second.
func (r *reader) seconds(name string, fallback float64) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return time.Duration(fallback * float64(time.Second))
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 86400 {
		r.fail(name, fmt.Sprintf("must be a number of seconds above 0 and at most 86400, got %q", v))
		return time.Duration(fallback * float64(time.Second))
	}
	return time.Duration(f * float64(time.Second))
}

// duration reads a number of seconds that may be zero.
func (r *reader) duration(name string, fallback float64) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return time.Duration(fallback * float64(time.Second))
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 86400 {
		r.fail(name, fmt.Sprintf("must be a number of seconds from 0 to 86400, got %q", v))
		return time.Duration(fallback * float64(time.Second))
	}
	return time.Duration(f * float64(time.Second))
}
