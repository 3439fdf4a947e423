package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/localserver"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store"
)

// TestKilledBetweenStoreAndPublish runs the ingest bootstrap under the Lambda
// Runtime Interface Emulator with SNS black-holed, kills it with SIGKILL
// while it waits in Publish after storing the event, and checks that the
// sweep delivers the alert the process never sent.
func TestKilledBetweenStoreAndPublish(t *testing.T) {
	t.Parallel()
	rieBin := testenv.Lookup(t, testenv.EnvRIE)
	rig := newAWSRig(t)
	bootstrap := buildBootstrap(t)
	const lease = time.Second
	hang := rig.sns.addToxic(t, "timeout", "upstream", toxiproxy.Attributes{"timeout": 0})

	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		// The SDK derives these names from each service's id, so Secrets
		// Manager's is AWS_ENDPOINT_URL_SECRETS_MANAGER. AWS_ENDPOINT_URL
		// covers any other service, so that no request leaves the machine.
		"AWS_ENDPOINT_URL=" + testenv.MotoURL(t),
		"AWS_ENDPOINT_URL_DYNAMODB=" + rig.dynamo.URL,
		"AWS_ENDPOINT_URL_SNS=" + rig.sns.URL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + testenv.MotoURL(t),
		"AWS_LAMBDA_FUNCTION_TIMEOUT=6",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		config.EnvTableName + "=" + rig.table,
		config.EnvSecretID + "=" + createSecret(t),
		config.EnvAlertLease + "=" + strconv.Itoa(int(lease.Seconds())),
	}
	for _, topic := range alert.Topics() {
		env = append(env, config.TopicVariable(topic)+"="+rig.sink.topics[topic])
	}
	emulator := startRIE(t, rieBin, bootstrap, env)

	id := "evt-crash-" + randomSuffix(t)
	body := failureEvent(t, id, 0)
	invoked := make(chan error, 1)
	go func() { invoked <- emulator.invoke(body) }()

	// The record is stored before the alert is published, and the
	// invocation cannot finish while SNS drops every request.
	waitForRecord(t, rig.direct, id, 15*time.Second)
	select {
	case err := <-invoked:
		t.Fatalf("invocation finished (%v) before the process was killed", err)
	default:
	}
	pid := emulator.runtimePID(t, bootstrap)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill bootstrap process %d: %v", pid, err)
	}
	t.Logf("killed bootstrap process %d; invocation ended with: %v", pid, <-invoked)

	rec := getRecord(t, rig.direct, id)
	if rec.Alert != store.AlertPending {
		t.Errorf("alert = %q after the crash, want pending", rec.Alert)
	}
	if n := rig.sink.deliveries(t)[id]; n != 0 {
		t.Fatalf("SNS delivered %d alerts through the black hole, want 0", n)
	}

	rig.sns.removeToxic(t, hang)
	if got := sweepUntilPublished(t, newSweeper(t, rig.store, rig.publisher, lease, 3), 1); got != 1 {
		t.Errorf("sweep published %d alerts, want 1", got)
	}
	if n := rig.sink.deliveries(t)[id]; n != 1 {
		t.Errorf("SNS delivered the alert %d times, want 1", n)
	}
	if rec := getRecord(t, rig.direct, id); rec.Alert != store.AlertPublished {
		t.Errorf("alert = %q after the sweep, want published", rec.Alert)
	}
}

// buildBootstrap builds functions/ingest as the deployment does and returns
// the binary's path.
func buildBootstrap(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", out,
		"github.com/clinicops/cobalt-receiver/functions/ingest")
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build functions/ingest: %v\n%s", err, output)
	}
	return out
}

// createSecret stores testSecret in moto's Secrets Manager and returns the
// secret's name.
func createSecret(t *testing.T) string {
	t.Helper()
	client := secretsmanager.NewFromConfig(testenv.AWSConfig(t, testenv.MotoURL(t)))
	name := "faults-webhook-" + randomSuffix(t)
	_, err := client.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		SecretString: aws.String(string(testSecret)),
	})
	if err != nil {
		t.Fatalf("create secret %s: %v", name, err)
	}
	return name
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// rie is a Lambda Runtime Interface Emulator process started by a test.
type rie struct {
	cmd *exec.Cmd
	url string
}

// startRIE starts the emulator on free loopback ports with bootstrap as the
// function and env as its whole environment, and stops it by its PID when
// the test ends.
func startRIE(t *testing.T, bin, bootstrap string, env []string) *rie {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(bin,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		bootstrap)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	cmd.Stdout = testenv.LogWriter(t, "rie")
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	waitFor(t, 10*time.Second, "the emulator to listen on "+addr, func() bool {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
	return &rie{cmd: cmd, url: "http://" + addr + "/2015-03-31/functions/function/invocations"}
}

// invoke sends body, signed, as an HTTP API event and returns nil when the
// function returned status 200.
func (r *rie) invoke(body []byte) error {
	ev := lambdaevents.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: "ANY " + localserver.WebhookPath,
		RawPath:  localserver.WebhookPath,
		Headers: map[string]string{
			"content-type":       "application/json",
			signature.HeaderName: signature.Sign(body, testSecret),
			"webhook-attempt":    "1",
		},
		Body: string(body),
		RequestContext: lambdaevents.APIGatewayV2HTTPRequestContext{
			RouteKey:  "ANY " + localserver.WebhookPath,
			Stage:     "$default",
			RequestID: "faults-crash",
			TimeEpoch: time.Now().UnixMilli(),
			HTTP: lambdaevents.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: http.MethodPost, Path: localserver.WebhookPath, Protocol: "HTTP/1.1",
				SourceIP: "127.0.0.1",
			},
		},
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	resp, err := webhookClient.Post(r.url, "application/json", bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	var out lambdaevents.APIGatewayV2HTTPResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("invoke returned %d with an undecodable body: %w", resp.StatusCode, err)
	}
	if out.StatusCode != http.StatusOK {
		return fmt.Errorf("function answered %d %s", out.StatusCode, out.Body)
	}
	return nil
}

// runtimePID returns the PID of the emulator's child process running
// bootstrap.
func (r *rie) runtimePID(t *testing.T, bootstrap string) int {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", r.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		data, err := os.ReadFile(task)
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(data)) {
			pid, err := strconv.Atoi(field)
			if err != nil {
				continue
			}
			if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && exe == bootstrap {
				return pid
			}
		}
	}
	t.Fatalf("no child of emulator process %d runs %s", r.cmd.Process.Pid, bootstrap)
	return 0
}
