package template_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/dynamodb"
	"github.com/awslabs/goformation/v7/cloudformation/global"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"

	"github.com/clinicops/cobalt-receiver/shared/alert/snspub"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/localserver"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
)

// Logical ids of the template's main resources.
const (
	ingestFunction = "IngestFunction"
	sweepFunction  = "SweepFunction"
	httpAPI        = "HttpApi"
	table          = "Table"
	webhookSecret  = "WebhookSecret"
	alertKey       = "AlertKey"
	alarmTopic     = "AlarmTopic"
	dashboard      = "Dashboard"
)

// webhookPath is the route Cobalt posts to, the same locally and behind API
// Gateway.
const webhookPath = localserver.WebhookPath

// kmsActions lists what a publisher needs on the key of an encrypted SNS
// topic besides sns:Publish, as the Amazon SNS Developer Guide's "Key
// management" page gives them. The code calls KMS only through SNS, so no
// package declares them.
var kmsActions = []string{"kms:Decrypt", "kms:GenerateDataKey*"}

// topicResource returns the logical id of topic's SNS topic:
// "telephone_encounter" is TelephoneEncounterTopic.
func topicResource(topic string) string {
	var b strings.Builder
	for _, part := range strings.Split(topic, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String() + "Topic"
}

// function returns the goformation view of a function, with the Globals
// section's runtime, architectures, handler and environment merged in as
// SAM merges them: the function's own values win, and maps are merged.
func function(t *testing.T, tpl *cloudformation.Template, id string) *serverless.Function {
	t.Helper()
	fn, err := tpl.GetServerlessFunctionWithName(id)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	merged := *fn
	globals, ok := tpl.Globals["Function"].(*global.Function)
	if !ok {
		return &merged
	}

	if merged.Runtime == nil {
		merged.Runtime = globals.Runtime
	}
	if merged.Handler == nil {
		merged.Handler = globals.Handler
	}
	if merged.Architectures == nil && globals.Architectures != nil {
		merged.Architectures = *globals.Architectures
	}

	vars := map[string]string{}
	if globals.Environment != nil {
		for k, v := range globals.Environment.Variables {
			vars[k] = v
		}
	}
	if fn.Environment != nil {
		for k, v := range fn.Environment.Variables {
			vars[k] = v
		}
	}
	merged.Environment = &serverless.Function_FunctionEnvironment{Variables: vars}
	return &merged
}

// rawVariables returns the raw environment of function id, Globals merged.
func rawVariables(t *testing.T, raw rawTemplate, id string) map[string]any {
	t.Helper()
	vars := map[string]any{}
	if g, ok := lookup(raw, "Globals", "Function", "Environment", "Variables"); ok {
		for k, v := range g.(map[string]any) {
			vars[k] = v
		}
	}
	if own, ok := lookup(raw.resource(t, id), "Properties", "Environment", "Variables"); ok {
		for k, v := range own.(map[string]any) {
			vars[k] = v
		}
	}
	return vars
}

// rawLoggingConfig returns the LoggingConfig of function id, Globals merged.
func rawLoggingConfig(t *testing.T, raw rawTemplate, id string) map[string]any {
	t.Helper()
	cfg := map[string]any{}
	if g, ok := lookup(raw, "Globals", "Function", "LoggingConfig"); ok {
		for k, v := range g.(map[string]any) {
			cfg[k] = v
		}
	}
	if own, ok := lookup(raw.resource(t, id), "Properties", "LoggingConfig"); ok {
		for k, v := range own.(map[string]any) {
			cfg[k] = v
		}
	}
	return cfg
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// difference returns the members of a that are not in b, sorted.
func difference(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func TestTemplateParsesWithGoformation(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)

	if got := raw["Transform"]; got != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform = %v, want AWS::Serverless-2016-10-31", got)
	}
	for _, id := range []string{ingestFunction, sweepFunction} {
		if _, err := tpl.GetServerlessFunctionWithName(id); err != nil {
			t.Errorf("function %s: %v", id, err)
		}
	}
	if _, err := tpl.GetServerlessHttpApiWithName(httpAPI); err != nil {
		t.Errorf("HTTP API: %v", err)
	}
}

func TestFunctionRuntimeAndBuild(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)
	makefile, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatalf("read Makefile: %v", err)
	}

	for _, tc := range []struct {
		id     string
		folder string
	}{
		{ingestFunction, "./functions/ingest"},
		{sweepFunction, "./functions/sweep"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			fn := function(t, tpl, tc.id)
			if fn.Runtime == nil || *fn.Runtime != "provided.al2023" {
				t.Errorf("Runtime = %v, want provided.al2023", deref(fn.Runtime))
			}
			if !slices.Equal(fn.Architectures, []string{"arm64"}) {
				t.Errorf("Architectures = %v, want [arm64]", fn.Architectures)
			}
			if fn.Handler == nil || *fn.Handler != "bootstrap" {
				t.Errorf("Handler = %v, want bootstrap", deref(fn.Handler))
			}
			if fn.CodeUri == nil || fn.CodeUri.String == nil || *fn.CodeUri.String != "." {
				t.Errorf("CodeUri is not \".\", the folder holding the Makefile")
			}
			if got := fn.AWSCloudFormationMetadata["BuildMethod"]; got != "makefile" {
				t.Errorf("Metadata.BuildMethod = %v, want makefile", got)
			}
			if fn.FunctionUrlConfig != nil {
				t.Errorf("function has a FunctionUrlConfig; requests must come through the HTTP API")
			}
			if fn.MemorySize == nil || *fn.MemorySize < 128 {
				t.Errorf("MemorySize = %v, want at least 128", derefInt(fn.MemorySize))
			}

			target := regexp.MustCompile(`(?m)^build-` + tc.id + `:.*\n\t.*-o "\$\(ARTIFACTS_DIR\)/bootstrap" ` +
				regexp.QuoteMeta(tc.folder) + `\s*$`)
			if !target.Match(makefile) {
				t.Errorf("Makefile has no target build-%s building %s into $(ARTIFACTS_DIR)/bootstrap", tc.id, tc.folder)
			}
		})
	}
}

func TestMakefileBuildFlags(t *testing.T) {
	makefile, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatalf("read Makefile: %v", err)
	}
	text := strings.ReplaceAll(string(makefile), "\\\n", " ")
	for _, want := range []string{
		"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0",
		"-tags lambda.norpc", "-trimpath", `-ldflags "-s -w"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Makefile build command lacks %s", want)
		}
	}
}

func TestFunctionLoggingConfig(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)

	for _, id := range []string{ingestFunction, sweepFunction} {
		t.Run(id, func(t *testing.T) {
			cfg := rawLoggingConfig(t, raw, id)
			if got := cfg["LogFormat"]; got != "JSON" {
				t.Errorf("LogFormat = %v, want JSON", got)
			}
			// Embedded Metric Format lines have no "level", so Lambda files
			// them as INFO; a stricter level would drop every metric.
			if got := cfg["ApplicationLogLevel"]; !slices.Contains([]any{"TRACE", "DEBUG", "INFO"}, got) {
				t.Errorf("ApplicationLogLevel = %v, want INFO or lower", got)
			}
			if got := cfg["SystemLogLevel"]; !slices.Contains([]any{"DEBUG", "INFO", "WARN"}, got) {
				t.Errorf("SystemLogLevel = %v, want DEBUG, INFO or WARN", got)
			}

			group := describe(cfg["LogGroup"])
			name := strings.TrimSuffix(strings.TrimPrefix(group, "${"), "}")
			lg, err := tpl.GetLogsLogGroupWithName(name)
			if err != nil {
				t.Fatalf("LoggingConfig.LogGroup = %s, not a log group of the template: %v", group, err)
			}
			checkRetainedLogGroup(t, raw, name, lg.RetentionInDays)
		})
	}
}

// checkRetainedLogGroup checks that log group id takes its retention from
// LogRetentionDays and survives stack deletion.
func checkRetainedLogGroup(t *testing.T, raw rawTemplate, id string, retention *int) {
	t.Helper()
	res := raw.resource(t, id)
	if got := describe(res["Properties"].(map[string]any)["RetentionInDays"]); got != "${LogRetentionDays}" {
		t.Errorf("%s RetentionInDays = %s, want ${LogRetentionDays}", id, got)
	}
	if retention == nil {
		t.Errorf("%s has no RetentionInDays", id)
	}
	if res["DeletionPolicy"] != "Retain" || res["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("%s DeletionPolicy/UpdateReplacePolicy = %v/%v, want Retain/Retain",
			id, res["DeletionPolicy"], res["UpdateReplacePolicy"])
	}
}

func TestIngestFunctionFitsCobaltDeadline(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)
	fn := function(t, tpl, ingestFunction)

	if fn.Timeout == nil {
		t.Fatal("IngestFunction has no Timeout")
	}
	timeout := time.Duration(*fn.Timeout) * time.Second
	if timeout <= ingest.FirstAttemptBudget {
		t.Errorf("Timeout = %v, want above the %v answer budget", timeout, ingest.FirstAttemptBudget)
	}
	// API Gateway's HTTP API waits at most 30 s for an integration.
	if timeout >= 30*time.Second {
		t.Errorf("Timeout = %v, want below API Gateway's 30 s integration limit", timeout)
	}

	event := fn.Events["Webhook"]
	if event.Properties == nil || event.Properties.HttpApiEvent == nil {
		t.Fatal("IngestFunction has no HttpApi event named Webhook")
	}
	limit := event.Properties.HttpApiEvent.TimeoutInMillis
	if limit == nil || time.Duration(*limit)*time.Millisecond <= ingest.FirstAttemptBudget {
		t.Errorf("TimeoutInMillis = %v, want above the %v answer budget", derefInt(limit), ingest.FirstAttemptBudget)
	}
}

func TestIngestReservedConcurrencyParameter(t *testing.T) {
	raw := loadRaw(t)

	got := describe(raw.resource(t, ingestFunction)["Properties"].(map[string]any)["ReservedConcurrentExecutions"])
	want := `{"Fn::If":["HasIngestReservedConcurrency",{"Ref":"IngestReservedConcurrency"},{"Ref":"AWS::NoValue"}]}`
	if got != want {
		t.Errorf("ReservedConcurrentExecutions = %s, want %s", got, want)
	}

	for _, tc := range []struct {
		name  string
		value any
		want  *int
	}{
		{"zero leaves it unreserved", 0, nil},
		{"a number reserves it", 25, intPtr(25)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := parseTemplate(t, raw, map[string]any{"IngestReservedConcurrency": tc.value})
			fn := function(t, tpl, ingestFunction)
			if derefInt(fn.ReservedConcurrentExecutions) != derefInt(tc.want) {
				t.Errorf("ReservedConcurrentExecutions = %v, want %v",
					derefInt(fn.ReservedConcurrentExecutions), derefInt(tc.want))
			}
		})
	}
}

func TestEnvironmentMatchesConfig(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)

	for _, tc := range []struct {
		id   string
		want []string
	}{
		{ingestFunction, config.LambdaVariables()},
		{sweepFunction, config.SweepVariables()},
	} {
		t.Run(tc.id, func(t *testing.T) {
			vars := function(t, tpl, tc.id).Environment.Variables
			got := sortedKeys(vars)
			if missing := difference(tc.want, got); len(missing) > 0 {
				t.Errorf("variables the code reads but the template does not set: %v", missing)
			}
			if extra := difference(got, tc.want); len(extra) > 0 {
				t.Errorf("variables the template sets but the code does not read: %v", extra)
			}
			for name, v := range vars {
				if v == "" {
					t.Errorf("%s is set to an empty value", name)
				}
			}
		})
	}
}

func TestEnvironmentValueSources(t *testing.T) {
	raw := loadRaw(t)
	want := map[string]string{
		config.EnvTableName:        "${" + table + "}",
		config.EnvMetricsNamespace: "CobaltReceiver/${AWS::StackName}",
		config.EnvAlertLease:       "${AlertLeaseSeconds}",
		config.EnvRetentionDays:    "${RetentionDays}",
		config.EnvIncludePHI:       `{"Fn::If":["IncludeFullAlertDetail","true","false"]}`,
	}
	for _, topic := range config.Topics() {
		want[config.TopicVariable(topic)] = "${" + topicResource(topic) + "}"
	}
	own := map[string]map[string]string{
		ingestFunction: {config.EnvSecretID: "${" + webhookSecret + "}"},
		sweepFunction:  {config.EnvAlertMaxAttempts: "${AlertMaxAttempts}"},
	}

	for _, id := range []string{ingestFunction, sweepFunction} {
		vars := rawVariables(t, raw, id)
		for name, w := range want {
			if got := describe(vars[name]); got != w {
				t.Errorf("%s %s = %s, want %s", id, name, got, w)
			}
		}
	}
	for id, vars := range own {
		raw := rawVariables(t, raw, id)
		for name, w := range vars {
			if got := describe(raw[name]); got != w {
				t.Errorf("%s %s = %s, want %s", id, name, got, w)
			}
		}
	}

	cond, _ := lookup(raw, "Conditions", "IncludeFullAlertDetail")
	if got := describe(cond); got != `{"Fn::Equals":[{"Ref":"AlertDetail"},"full"]}` {
		t.Errorf("condition IncludeFullAlertDetail = %s, want AlertDetail equal to full", got)
	}
}

// loaders maps each function to the config loader its main calls.
var loaders = map[string]func(func(string) string) (*config.Config, error){
	ingestFunction: config.LoadLambda,
	sweepFunction:  config.LoadSweep,
}

// TestEnvironmentLoadsForEveryParameterValue renders each function's
// environment with each value a parameter accepts (its default, allowed
// values and bounds) and loads it with the function's config loader, so that
// every value CloudFormation lets through is one the code accepts too.
func TestEnvironmentLoadsForEveryParameterValue(t *testing.T) {
	raw := loadRaw(t)
	params := parseTemplate(t, raw, nil).Parameters

	for _, name := range []string{"AlertDetail", "AlertLeaseSeconds", "AlertMaxAttempts", "RetentionDays"} {
		p, ok := params[name]
		if !ok {
			t.Fatalf("parameter %s is missing", name)
		}
		for _, value := range acceptedValues(p) {
			t.Run(fmt.Sprintf("%s=%v", name, value), func(t *testing.T) {
				tpl := parseTemplate(t, raw, map[string]any{name: value})
				for id, load := range loaders {
					vars := function(t, tpl, id).Environment.Variables
					if _, err := load(func(k string) string { return vars[k] }); err != nil {
						t.Errorf("%s: %v", id, err)
					}
				}
			})
		}
	}

	for _, tc := range []struct {
		detail string
		want   bool
	}{{"masked", false}, {"full", true}} {
		t.Run("AlertDetail="+tc.detail+" sets IncludePHI", func(t *testing.T) {
			tpl := parseTemplate(t, raw, map[string]any{"AlertDetail": tc.detail})
			for id, load := range loaders {
				vars := function(t, tpl, id).Environment.Variables
				cfg, err := load(func(k string) string { return vars[k] })
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				if cfg.IncludePHI != tc.want {
					t.Errorf("%s IncludePHI = %v, want %v", id, cfg.IncludePHI, tc.want)
				}
			}
		})
	}
}

// acceptedValues returns the default, the allowed values and the bounds of
// a parameter.
func acceptedValues(p cloudformation.Parameter) []any {
	values := []any{p.Default}
	values = append(values, p.AllowedValues...)
	if p.MinValue != nil {
		values = append(values, *p.MinValue)
	}
	if p.MaxValue != nil {
		values = append(values, *p.MaxValue)
	}
	return values
}

// grant is one action allowed on one resource.
type grant struct{ action, resource string }

// grants returns every action/resource pair the function's inline policies
// allow. A statement that is not a plain Allow of actions on resources fails
// the test, since such a statement could grant more than it names.
func grants(t *testing.T, fn *serverless.Function) []grant {
	t.Helper()
	if fn.Policies == nil || fn.Policies.IAMPolicyDocumentArray == nil {
		t.Fatal("function has no list of inline policy documents")
	}
	var out []grant
	for _, doc := range *fn.Policies.IAMPolicyDocumentArray {
		for _, s := range doc.Statement {
			stmt, ok := s.(map[string]any)
			if !ok {
				t.Fatalf("policy statement is %T, want a map", s)
			}
			for key := range stmt {
				if !slices.Contains([]string{"Sid", "Effect", "Action", "Resource"}, key) {
					t.Errorf("statement %v has %s; only Sid, Effect, Action and Resource are expected", stmt["Sid"], key)
				}
			}
			if stmt["Effect"] != "Allow" {
				t.Errorf("statement %v Effect = %v, want Allow", stmt["Sid"], stmt["Effect"])
			}
			for _, action := range stringList(stmt["Action"]) {
				for _, resource := range stringList(stmt["Resource"]) {
					out = append(out, grant{action, resource})
				}
			}
		}
	}
	return out
}

func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = fmt.Sprint(x)
		}
		return out
	}
	return nil
}

func TestPoliciesMatchCode(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)

	tableARN := "${" + table + ".Arn}"
	keyARN := "${" + alertKey + ".Arn}"
	var topicARNs []string
	for _, topic := range config.Topics() {
		topicARNs = append(topicARNs, "${"+topicResource(topic)+"}")
	}
	publish := func() []grant {
		var g []grant
		for _, arn := range topicARNs {
			g = append(g, grant{"sns:Publish", arn})
		}
		for _, action := range kmsActions {
			g = append(g, grant{action, keyARN})
		}
		return g
	}

	known := slices.Concat(dynamostore.IAMActions(), snspub.IAMActions(), secrets.IAMActions(), kmsActions)
	for _, tc := range []struct {
		id   string
		want []grant
	}{
		{ingestFunction, append([]grant{
			{"dynamodb:PutItem", tableARN},
			{"dynamodb:UpdateItem", tableARN},
			{"secretsmanager:GetSecretValue", "${" + webhookSecret + "}"},
		}, publish()...)},
		{sweepFunction, append([]grant{
			{"dynamodb:GetItem", tableARN},
			{"dynamodb:UpdateItem", tableARN},
			{"dynamodb:Query", tableARN + "/index/" + dynamostore.PendingAlertsIndex},
		}, publish()...)},
	} {
		t.Run(tc.id, func(t *testing.T) {
			got := grants(t, function(t, tpl, tc.id))
			for _, g := range got {
				if !slices.Contains(known, g.action) {
					t.Errorf("policy allows %s, which the code never calls", g.action)
				}
				if !slices.Contains(tc.want, g) {
					t.Errorf("policy allows %s on %s, which the function does not need", g.action, g.resource)
				}
			}
			for _, w := range tc.want {
				if !slices.Contains(known, w.action) {
					t.Errorf("expected action %s is not among the code's IAM actions %v", w.action, known)
				}
				if !slices.Contains(got, w) {
					t.Errorf("policy does not allow %s on %s", w.action, w.resource)
				}
			}
		})
	}
}

func TestTopicsMatchCategories(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)
	keyID := "${" + alertKey + "}"

	want := []string{alarmTopic}
	for _, topic := range config.Topics() {
		id := topicResource(topic)
		want = append(want, id)

		t.Run(topic, func(t *testing.T) {
			out, ok := tpl.Outputs[id+"Arn"]
			if !ok {
				t.Errorf("output %sArn is missing", id)
			} else if out.Value != "${"+id+"}" {
				t.Errorf("output %sArn = %v, want ${%s}", id, out.Value, id)
			}
			checkEmailSubscription(t, raw, tpl, strings.TrimSuffix(id, "Topic")+"OpsEmail", id, "OpsEmail", "HasOpsEmail")
		})
	}
	checkEmailSubscription(t, raw, tpl, "AlarmEmailSubscription", alarmTopic, "AlarmEmail", "HasAlarmEmail")

	topics := tpl.GetAllSNSTopicResources()
	if got := sortedKeys(topics); !slices.Equal(got, sortedCopy(want)) {
		t.Errorf("SNS topics = %v, want %v", got, sortedCopy(want))
	}
	for id, topic := range topics {
		if topic.KmsMasterKeyId == nil || *topic.KmsMasterKeyId != keyID {
			t.Errorf("%s KmsMasterKeyId = %v, want %s", id, deref(topic.KmsMasterKeyId), keyID)
		}
	}
	if out, ok := tpl.Outputs["AlarmTopicArn"]; !ok || out.Value != "${"+alarmTopic+"}" {
		t.Errorf("output AlarmTopicArn is missing or not ${%s}", alarmTopic)
	}
}

// checkEmailSubscription checks that subscription id subscribes the address
// in parameter to topic, under condition.
func checkEmailSubscription(t *testing.T, raw rawTemplate, tpl *cloudformation.Template, id, topic, parameter, condition string) {
	t.Helper()
	sub, err := tpl.GetSNSSubscriptionWithName(id)
	if err != nil {
		t.Errorf("subscription: %v", err)
		return
	}
	if sub.TopicArn != "${"+topic+"}" || sub.Protocol != "email" || sub.AWSCloudFormationCondition != condition {
		t.Errorf("%s: %s subscription to %s under condition %q, want email to ${%s} under %s",
			id, sub.Protocol, sub.TopicArn, sub.AWSCloudFormationCondition, topic, condition)
	}
	endpoint, _ := lookup(raw.resource(t, id), "Properties", "Endpoint")
	if got := describe(endpoint); got != "${"+parameter+"}" {
		t.Errorf("%s Endpoint = %s, want ${%s}", id, got, parameter)
	}
}

func TestAlertKey(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)

	key, err := tpl.GetKMSKeyWithName(alertKey)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	if key.EnableKeyRotation == nil || !*key.EnableKeyRotation {
		t.Error("EnableKeyRotation is not true")
	}
	policy, _ := json.Marshal(key.KeyPolicy)
	var doc struct {
		Statement []struct {
			Principal map[string]any
			Action    any
		}
	}
	if err := json.Unmarshal(policy, &doc); err != nil {
		t.Fatalf("decode key policy: %v", err)
	}
	var rootAdmin, cloudWatch bool
	for _, s := range doc.Statement {
		actions := stringList(s.Action)
		if s.Principal["AWS"] == "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" && slices.Contains(actions, "kms:*") {
			rootAdmin = true
		}
		if s.Principal["Service"] == "cloudwatch.amazonaws.com" &&
			len(difference(kmsActions, actions)) == 0 && len(difference(actions, kmsActions)) == 0 {
			cloudWatch = true
		}
	}
	if !rootAdmin {
		t.Error("key policy does not let the account root administer the key")
	}
	if !cloudWatch {
		t.Errorf("key policy does not give cloudwatch.amazonaws.com exactly %v", kmsActions)
	}
	if _, err := tpl.GetKMSAliasWithName("AlertKeyAlias"); err != nil {
		t.Errorf("alias: %v", err)
	}
}

func TestTableMatchesStore(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)
	tbl, err := tpl.GetDynamoDBTableWithName(table)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	want := dynamostore.NewTableInput("unused")

	types := map[string]string{}
	for _, a := range tbl.AttributeDefinitions {
		types[a.AttributeName] = a.AttributeType
	}
	wantTypes := map[string]string{}
	for _, a := range want.AttributeDefinitions {
		wantTypes[*a.AttributeName] = string(a.AttributeType)
	}
	if !maps.Equal(types, wantTypes) {
		t.Errorf("AttributeDefinitions = %v, want %v", types, wantTypes)
	}
	if got, w := keySchema(tbl.KeySchema), storeKeySchema(want.KeySchema); got != w {
		t.Errorf("KeySchema = %s, want %s", got, w)
	}

	gotIndexes := map[string]string{}
	for _, gsi := range tbl.GlobalSecondaryIndexes {
		desc := keySchema(gsi.KeySchema)
		if gsi.Projection != nil {
			desc += fmt.Sprintf(" projecting %s %v", deref(gsi.Projection.ProjectionType), gsi.Projection.NonKeyAttributes)
		}
		gotIndexes[gsi.IndexName] = desc
	}
	wantIndexes := map[string]string{}
	for _, gsi := range want.GlobalSecondaryIndexes {
		desc := storeKeySchema(gsi.KeySchema)
		if gsi.Projection != nil {
			desc += fmt.Sprintf(" projecting %s %v", gsi.Projection.ProjectionType, gsi.Projection.NonKeyAttributes)
		}
		wantIndexes[*gsi.IndexName] = desc
	}
	if !maps.Equal(gotIndexes, wantIndexes) {
		t.Errorf("GlobalSecondaryIndexes = %v, want %v", gotIndexes, wantIndexes)
	}
	if _, ok := gotIndexes[dynamostore.PendingAlertsIndex]; !ok {
		t.Errorf("index %s, which the sweep's policy names, is missing", dynamostore.PendingAlertsIndex)
	}

	if deref(tbl.BillingMode) != string(want.BillingMode) {
		t.Errorf("BillingMode = %v, want %s", deref(tbl.BillingMode), want.BillingMode)
	}
	if tbl.TimeToLiveSpecification == nil || !tbl.TimeToLiveSpecification.Enabled ||
		deref(tbl.TimeToLiveSpecification.AttributeName) != dynamostore.TTLAttribute {
		t.Errorf("TimeToLiveSpecification is not enabled on %s", dynamostore.TTLAttribute)
	}
	if tbl.PointInTimeRecoverySpecification == nil || tbl.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled == nil ||
		!*tbl.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled {
		t.Error("point-in-time recovery is not enabled")
	}
	if tbl.SSESpecification == nil || !tbl.SSESpecification.SSEEnabled || deref(tbl.SSESpecification.SSEType) != "KMS" {
		t.Error("SSESpecification does not enable KMS encryption")
	}
	if tbl.DeletionProtectionEnabled == nil || !*tbl.DeletionProtectionEnabled {
		t.Error("DeletionProtectionEnabled is not true")
	}
	if tbl.AWSCloudFormationDeletionPolicy != "Retain" || tbl.AWSCloudFormationUpdateReplacePolicy != "Retain" {
		t.Errorf("DeletionPolicy/UpdateReplacePolicy = %s/%s, want Retain/Retain",
			tbl.AWSCloudFormationDeletionPolicy, tbl.AWSCloudFormationUpdateReplacePolicy)
	}
	if tbl.TableName != nil {
		t.Errorf("TableName = %s; a generated name lets a stack be recreated beside the retained table", *tbl.TableName)
	}
}

func keySchema(keys []dynamodb.Table_KeySchema) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.AttributeName + " " + k.KeyType
	}
	return strings.Join(parts, ", ")
}

func storeKeySchema(keys []ddbtypes.KeySchemaElement) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = *k.AttributeName + " " + string(k.KeyType)
	}
	return strings.Join(parts, ", ")
}

func TestHttpApi(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)

	api, err := tpl.GetServerlessHttpApiWithName(httpAPI)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	rs := api.DefaultRouteSettings
	if rs == nil || rs.ThrottlingBurstLimit == nil || *rs.ThrottlingBurstLimit <= 0 ||
		rs.ThrottlingRateLimit == nil || *rs.ThrottlingRateLimit <= 0 {
		t.Error("DefaultRouteSettings does not set positive throttling burst and rate limits")
	}
	if api.StageName != nil {
		t.Errorf("StageName = %s; the WebhookUrl output assumes the $default stage", *api.StageName)
	}

	event := function(t, tpl, ingestFunction).Events["Webhook"]
	if event.Type != "HttpApi" || event.Properties == nil || event.Properties.HttpApiEvent == nil {
		t.Fatalf("IngestFunction event Webhook is %s, want HttpApi", event.Type)
	}
	e := event.Properties.HttpApiEvent
	if deref(e.ApiId) != "${"+httpAPI+"}" || deref(e.Method) != "ANY" || deref(e.Path) != webhookPath {
		t.Errorf("route = %s %s on %s, want ANY %s on ${%s}", deref(e.Method), deref(e.Path), deref(e.ApiId), webhookPath, httpAPI)
	}
	if deref(e.PayloadFormatVersion) != "2.0" {
		t.Errorf("PayloadFormatVersion = %s, want 2.0", deref(e.PayloadFormatVersion))
	}

	logs, ok := lookup(raw.resource(t, httpAPI), "Properties", "AccessLogSettings")
	if !ok {
		t.Fatal("HttpApi has no AccessLogSettings")
	}
	settings := logs.(map[string]any)
	if got := describe(settings["DestinationArn"]); got != "${ApiAccessLogGroup.Arn}" {
		t.Errorf("access log destination = %s, want ${ApiAccessLogGroup.Arn}", got)
	}
	var format map[string]string
	if err := json.Unmarshal([]byte(describe(settings["Format"])), &format); err != nil {
		t.Fatalf("access log Format is not a JSON object: %v", err)
	}
	if format["requestId"] != "$context.requestId" || format["status"] != "$context.status" {
		t.Errorf("access log Format lacks requestId or status: %v", format)
	}
	lg, err := tpl.GetLogsLogGroupWithName("ApiAccessLogGroup")
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	checkRetainedLogGroup(t, raw, "ApiAccessLogGroup", lg.RetentionInDays)
}

func TestSweepSchedule(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)
	fn := function(t, tpl, sweepFunction)

	event := fn.Events["Sweep"]
	if event.Type != "Schedule" || event.Properties == nil || event.Properties.ScheduleEvent == nil {
		t.Fatalf("SweepFunction event Sweep is %s, want Schedule", event.Type)
	}
	if got := event.Properties.ScheduleEvent.Schedule; got != "rate(1 minute)" {
		t.Errorf("default schedule = %s, want rate(1 minute)", got)
	}
	schedule, _ := lookup(raw.resource(t, sweepFunction), "Properties", "Events", "Sweep", "Properties", "Schedule")
	if got := describe(schedule); got != "${SweepSchedule}" {
		t.Errorf("schedule = %s, want ${SweepSchedule}", got)
	}
	if fn.Timeout == nil || *fn.Timeout >= 60 {
		t.Errorf("Timeout = %v, want below the 60 s between scheduled runs", derefInt(fn.Timeout))
	}
}

func TestWebhookSecretHasNoValue(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)

	secret, err := tpl.GetSecretsManagerSecretWithName(webhookSecret)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	if secret.SecretString != nil {
		t.Error("WebhookSecret has a SecretString; the value must never be in the template")
	}
	if secret.GenerateSecretString == nil {
		t.Error("WebhookSecret has no GenerateSecretString placeholder")
	}
	for _, path := range []string{templatePath, samconfigPath} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if strings.Contains(string(data), config.DevelopmentSecret) {
			t.Errorf("%s contains the local development secret", path)
		}
		if regexp.MustCompile(`whsec_[A-Za-z0-9]{16,}`).Match(data) {
			t.Errorf("%s contains what looks like a webhook secret", path)
		}
	}
}

func TestAlarms(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)
	namespace := function(t, tpl, ingestFunction).Environment.Variables[config.EnvMetricsNamespace]
	alarms := tpl.GetAllCloudWatchAlarmResources()

	// heartbeat alarms fire on missing data, because the absence of the
	// metric is what they watch for.
	heartbeat := map[string]bool{"SweepNotRunningAlarm": true}
	covered := map[string]bool{}
	for id, a := range alarms {
		wantMissing := "notBreaching"
		if heartbeat[id] {
			wantMissing = "breaching"
		}
		if deref(a.TreatMissingData) != wantMissing {
			t.Errorf("%s TreatMissingData = %s, want %s", id, deref(a.TreatMissingData), wantMissing)
		}
		for _, actions := range [][]string{a.AlarmActions, a.OKActions} {
			if !slices.Equal(actions, []string{"${" + alarmTopic + "}"}) {
				t.Errorf("%s actions = %v, want [${%s}]", id, actions, alarmTopic)
			}
		}
		ns, metric := deref(a.Namespace), deref(a.MetricName)
		dims := map[string]string{}
		for _, d := range a.Dimensions {
			dims[d.Name] = d.Value
		}
		switch ns {
		case namespace:
			if !slices.Contains(metrics.Names(), metric) {
				t.Errorf("%s watches %s, which metrics.Names does not list", id, metric)
			}
			if len(dims) > 0 {
				t.Errorf("%s has dimensions %v; the functions emit metrics without dimensions", id, dims)
			}
			covered[metric] = true
		case "AWS/Lambda":
			covered[dims["FunctionName"]+" "+metric] = true
		case "AWS/ApiGateway":
			covered[dims["ApiId"]+" "+metric] = true
		default:
			t.Errorf("%s watches namespace %s, want %s, AWS/Lambda or AWS/ApiGateway", id, ns, namespace)
		}
	}

	required := []string{
		metrics.EventsUnauthorized, metrics.EventsQuarantined, metrics.EventsConflict,
		metrics.AlertPublishFailed, metrics.AlertsFailed, metrics.StoreUnavailable,
		metrics.OldestPendingAlert,
		"${" + httpAPI + "} 5xx",
	}
	for _, fn := range []string{ingestFunction, sweepFunction} {
		required = append(required, "${"+fn+"} Errors", "${"+fn+"} Throttles")
	}
	for _, r := range required {
		if !covered[r] {
			t.Errorf("no alarm on %s", r)
		}
	}

	age, err := tpl.GetCloudWatchAlarmWithName("OldestPendingAlertAlarm")
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	if age.Threshold == nil || *age.Threshold > 300 || deref(age.Statistic) != "Maximum" {
		t.Errorf("pending age alarm: threshold %v with %s, want at most 300 s on Maximum",
			derefFloat(age.Threshold), deref(age.Statistic))
	}
}

func TestDashboard(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)
	namespace := function(t, tpl, ingestFunction).Environment.Variables[config.EnvMetricsNamespace]

	d, err := tpl.GetCloudWatchDashboardWithName(dashboard)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	var body struct {
		Widgets []struct {
			Type       string
			Properties struct {
				Metrics [][]any
				Alarms  []string
			}
		}
	}
	if err := json.Unmarshal([]byte(d.DashboardBody), &body); err != nil {
		t.Fatalf("DashboardBody is not JSON: %v", err)
	}

	onDashboard := map[string]bool{}
	var alarms []string
	for _, w := range body.Widgets {
		alarms = append(alarms, w.Properties.Alarms...)
		for _, row := range w.Properties.Metrics {
			var parts []string
			for _, cell := range row {
				if s, ok := cell.(string); ok {
					parts = append(parts, s)
				}
			}
			if len(parts) < 2 || parts[0] == "." || parts[1] == "." {
				t.Errorf("metric row %v does not name its namespace and metric", row)
				continue
			}
			ns, metric := parts[0], parts[1]
			if ns == namespace && !slices.Contains(metrics.Names(), metric) {
				t.Errorf("dashboard shows %s, which metrics.Names does not list", metric)
			}
			onDashboard[strings.Join(parts, " ")] = true
		}
	}

	var want []string
	for _, name := range metrics.Names() {
		want = append(want, namespace+" "+name)
	}
	for _, fn := range []string{ingestFunction, sweepFunction} {
		for _, metric := range []string{"Duration", "Errors", "Throttles"} {
			want = append(want, "AWS/Lambda "+metric+" FunctionName ${"+fn+"}")
		}
	}
	for _, metric := range []string{"4xx", "5xx"} {
		want = append(want, "AWS/ApiGateway "+metric+" ApiId ${"+httpAPI+"}")
	}
	for _, w := range want {
		if !onDashboard[w] {
			t.Errorf("dashboard does not show %s", w)
		}
	}
	for _, id := range raw.resourcesOfType(t, "AWS::CloudWatch::Alarm") {
		if !slices.Contains(alarms, "${"+id+".Arn}") {
			t.Errorf("dashboard alarm widget lacks %s", id)
		}
	}
}

func TestOutputs(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)

	want := map[string]string{
		"WebhookUrl":    "https://${" + httpAPI + "}.execute-api.${AWS::Region}.${AWS::URLSuffix}" + webhookPath,
		"AlarmTopicArn": "${" + alarmTopic + "}",
		"TableName":     "${" + table + "}",
		"SecretArn":     "${" + webhookSecret + "}",
		"DashboardName": "${" + dashboard + "}",
	}
	for _, topic := range config.Topics() {
		want[topicResource(topic)+"Arn"] = "${" + topicResource(topic) + "}"
	}
	for name, w := range want {
		out, ok := tpl.Outputs[name]
		if !ok {
			t.Errorf("output %s is missing", name)
			continue
		}
		if out.Value != w {
			t.Errorf("output %s = %v, want %s", name, out.Value, w)
		}
	}
	for name, out := range tpl.Outputs {
		if out.Description == nil || *out.Description == "" {
			t.Errorf("output %s has no Description", name)
		}
	}
}

// logRetentionValues lists the retention periods, in days, that CloudWatch
// Logs accepts: the enum of RetentionInDays in the CloudFormation resource
// schema of AWS::Logs::LogGroup, as cfn-lint 1.51.0 ships it.
var logRetentionValues = []int{
	1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
	1827, 2192, 2557, 2922, 3288, 3653,
}

func TestParameters(t *testing.T) {
	raw := loadRaw(t)
	tpl := parseTemplate(t, raw, nil)

	refs, conditions := map[string]bool{}, map[string]bool{}
	for key, section := range raw {
		if key != "Parameters" {
			references(section, refs, conditions)
		}
	}

	for name, p := range tpl.Parameters {
		t.Run(name, func(t *testing.T) {
			if !refs[name] {
				t.Error("parameter is never referenced")
			}
			if p.Description == nil || *p.Description == "" {
				t.Error("parameter has no Description")
			}
			constrained := p.AllowedValues != nil || p.AllowedPattern != nil ||
				(p.MinValue != nil && p.MaxValue != nil)
			if !constrained {
				t.Error("parameter has no AllowedValues, AllowedPattern or MinValue and MaxValue")
			}
			if p.Default == nil {
				t.Error("parameter has no Default, so sam deploy cannot run without it")
			}
			if err := checkParameterValue(p, p.Default); err != nil {
				t.Errorf("Default: %v", err)
			}
		})
	}

	for name := range raw.section(t, "Conditions") {
		if !conditions[name] {
			t.Errorf("condition %s is never used", name)
		}
	}

	retention := tpl.Parameters["LogRetentionDays"]
	for _, v := range retention.AllowedValues {
		days, err := strconv.Atoi(fmt.Sprint(v))
		if err != nil || !slices.Contains(logRetentionValues, days) {
			t.Errorf("LogRetentionDays allows %v, which CloudWatch Logs does not accept", v)
		}
	}
}

func TestParameterConstraintsReject(t *testing.T) {
	raw := loadRaw(t)
	params := parseTemplate(t, raw, nil).Parameters

	for _, tc := range []struct {
		param string
		value any
	}{
		{"Stage", "production"},
		{"LogRetentionDays", 2},
		{"AlertDetail", "phi"},
		{"AlarmEmail", "ops team"},
		{"IngestReservedConcurrency", -1},
		{"SweepSchedule", "rate(1 hour)"},
		{"AlertLeaseSeconds", 1},
		{"AlertMaxAttempts", 0},
	} {
		t.Run(tc.param, func(t *testing.T) {
			p, ok := params[tc.param]
			if !ok {
				t.Fatalf("parameter %s is missing", tc.param)
			}
			if err := checkParameterValue(p, tc.value); err == nil {
				t.Errorf("%s accepts %v", tc.param, tc.value)
			}
		})
	}
}

// checkParameterValue applies a parameter's constraints to value as
// CloudFormation does. AllowedPattern must match the whole value.
func checkParameterValue(p cloudformation.Parameter, value any) error {
	s := fmt.Sprint(value)
	if p.AllowedValues != nil {
		ok := false
		for _, v := range p.AllowedValues {
			if fmt.Sprint(v) == s {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("%q is not in AllowedValues %v", s, p.AllowedValues)
		}
	}
	if p.AllowedPattern != nil {
		re, err := regexp.Compile(`^(?:` + *p.AllowedPattern + `)$`)
		if err != nil {
			return fmt.Errorf("AllowedPattern %q: %w", *p.AllowedPattern, err)
		}
		if !re.MatchString(s) {
			return fmt.Errorf("%q does not match AllowedPattern %q", s, *p.AllowedPattern)
		}
	}
	if p.Type == "Number" {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(n) {
			return fmt.Errorf("%q is not a number", s)
		}
		if p.MinValue != nil && n < *p.MinValue {
			return fmt.Errorf("%v is below MinValue %v", n, *p.MinValue)
		}
		if p.MaxValue != nil && n > *p.MaxValue {
			return fmt.Errorf("%v is above MaxValue %v", n, *p.MaxValue)
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func derefInt(n *int) string {
	if n == nil {
		return "<nil>"
	}
	return strconv.Itoa(*n)
}

func derefFloat(n *float64) string {
	if n == nil {
		return "<nil>"
	}
	return strconv.FormatFloat(*n, 'g', -1, 64)
}

func intPtr(n int) *int { return &n }

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}
