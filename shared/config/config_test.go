package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func lambdaEnv() map[string]string {
	vars := map[string]string{
		config.EnvTableName: "events",
		config.EnvSecretID:  "arn:aws:secretsmanager:us-east-1:000000000000:secret:cobalt",
	}
	for _, topic := range config.Topics() {
		vars[config.TopicVariable(topic)] = "arn:aws:sns:us-east-1:000000000000:" + topic
	}
	return vars
}

func TestLoadLambdaDefaults(t *testing.T) {
	cfg, err := config.LoadLambda(env(lambdaEnv()))
	if err != nil {
		t.Fatalf("LoadLambda: %v", err)
	}
	if cfg.AlertLease != 30*time.Second {
		t.Errorf("AlertLease = %v, want 30s", cfg.AlertLease)
	}
	if cfg.IncludePHI {
		t.Error("IncludePHI = true, want false by default")
	}
	if cfg.Retention != 0 {
		t.Errorf("Retention = %v, want 0 (keep forever)", cfg.Retention)
	}
	if got := len(cfg.TopicARNs); got != 8 {
		t.Errorf("len(TopicARNs) = %d, want 8", got)
	}
	if cfg.TopicARNs["telephone_encounter"] == "" {
		t.Error("telephone_encounter topic ARN missing")
	}
}

func TestLoadLambdaNamesEveryProblem(t *testing.T) {
	vars := lambdaEnv()
	delete(vars, config.EnvTableName)
	delete(vars, config.TopicVariable("other"))
	vars[config.EnvIncludePHI] = "maybe"
	vars[config.EnvAlertLease] = "-3"
	_, err := config.LoadLambda(env(vars))
	if err == nil {
		t.Fatal("LoadLambda returned no error")
	}
	for _, name := range []string{"TABLE_NAME", "ALERT_TOPIC_ARN_OTHER", "ALERT_INCLUDE_PHI", "ALERT_LEASE_SECONDS"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestLoadLocal(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		secrets []signature.Secret
		addr    string
		wantErr bool
	}{
		{name: "defaults", vars: nil, secrets: []signature.Secret{config.DevelopmentSecret}, addr: "127.0.0.1:8080"},
		{name: "comma list", vars: map[string]string{"COBALT_WEBHOOK_SECRETS": "whsec_a, whsec_b,,"},
			secrets: []signature.Secret{"whsec_a", "whsec_b"}, addr: "127.0.0.1:8080"},
		{name: "json list", vars: map[string]string{"COBALT_WEBHOOK_SECRETS": `["whsec_a","whsec,b"]`},
			secrets: []signature.Secret{"whsec_a", "whsec,b"}, addr: "127.0.0.1:8080"},
		{name: "only commas", vars: map[string]string{"COBALT_WEBHOOK_SECRETS": " , "}, wantErr: true},
		{name: "broken json list", vars: map[string]string{"COBALT_WEBHOOK_SECRETS": `["whsec_a",`}, wantErr: true},
		{name: "json list of numbers", vars: map[string]string{"COBALT_WEBHOOK_SECRETS": `[1,2]`}, wantErr: true},
		{name: "listen addr", vars: map[string]string{"LISTEN_ADDR": "127.0.0.1:9999"},
			secrets: []signature.Secret{config.DevelopmentSecret}, addr: "127.0.0.1:9999"},
		{name: "fractional lease", vars: map[string]string{"ALERT_LEASE_SECONDS": "0.25"},
			secrets: []signature.Secret{config.DevelopmentSecret}, addr: "127.0.0.1:8080"},
		{name: "bad attempts", vars: map[string]string{"ALERT_MAX_ATTEMPTS": "0"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.LoadLocal(env(tt.vars))
			if tt.wantErr {
				if err == nil {
					t.Fatal("LoadLocal returned no error")
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadLocal: %v", err)
			}
			if len(cfg.Secrets) != len(tt.secrets) {
				t.Fatalf("got %d secrets, want %d", len(cfg.Secrets), len(tt.secrets))
			}
			for i := range tt.secrets {
				if cfg.Secrets[i] != tt.secrets[i] {
					t.Errorf("secret %d differs", i)
				}
			}
			if cfg.ListenAddr != tt.addr {
				t.Errorf("ListenAddr = %q, want %q", cfg.ListenAddr, tt.addr)
			}
			if cfg.DataDir != ".data" {
				t.Errorf("DataDir = %q, want .data", cfg.DataDir)
			}
		})
	}
}

func TestLambdaVariablesCoverTopics(t *testing.T) {
	names := map[string]bool{}
	for _, name := range config.LambdaVariables() {
		names[name] = true
	}
	for _, topic := range config.Topics() {
		if !names[config.TopicVariable(topic)] {
			t.Errorf("LambdaVariables lacks %s", config.TopicVariable(topic))
		}
	}
}

func TestLoadLocalFlagsDevelopmentSecret(t *testing.T) {
	cfg, err := config.LoadLocal(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.UsesDevelopmentSecret {
		t.Error("UsesDevelopmentSecret = false with COBALT_WEBHOOK_SECRETS unset")
	}
	cfg, err = config.LoadLocal(env(map[string]string{"COBALT_WEBHOOK_SECRETS": "whsec_mine"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UsesDevelopmentSecret {
		t.Error("UsesDevelopmentSecret = true with a secret set")
	}
}

func TestParseSecretsRejectsBrokenJSON(t *testing.T) {
	if got := config.ParseSecrets(`["whsec_a",`); got != nil {
		t.Errorf("ParseSecrets of a broken array returned %d secrets, want none", len(got))
	}
}
