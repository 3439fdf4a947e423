package rie_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/config"
)

// functionTimeout is the ingest function's Timeout in template.yaml, in
// seconds. RIE reads it from AWS_LAMBDA_FUNCTION_TIMEOUT.
const functionTimeout = "6"

// metricsNamespace replaces the template's per-stack !Sub value.
const metricsNamespace = "CobaltReceiver/rie-test"

var bootstrapBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bootstrapBuild.dir != "" {
		_ = os.RemoveAll(bootstrapBuild.dir)
	}
	os.Exit(code)
}

// buildBootstrap builds functions/ingest once per test run, with the flags
// of the Makefile's sam build target but for this machine's architecture, so
// that it runs here.
func buildBootstrap(t *testing.T) string {
	t.Helper()
	b := &bootstrapBuild
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "cobalt-rie-bootstrap")
		if b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "bootstrap")
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w",
			"-o", b.path, "./functions/ingest")
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build ./functions/ingest: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// functionEnvironment returns the function's environment: every variable
// template.yaml gives the ingest function, valued for r, then overrides,
// then what the Lambda service and the stand-ins add. It fails the test when
// the test and the template disagree on the names.
func functionEnvironment(t *testing.T, r *resources, overrides map[string]string) map[string]string {
	t.Helper()
	stack := map[string]string{
		config.EnvTableName:        r.table,
		config.EnvSecretID:         r.secretARN,
		config.EnvMetricsNamespace: metricsNamespace,
		config.EnvIncludePHI:       "false",
	}
	for topic, arn := range r.topicARNs {
		stack[config.TopicVariable(topic)] = arn
	}

	template := templateEnvironment(t)
	env := map[string]string{}
	for name, value := range template {
		if v, ok := stack[name]; ok {
			value = v
		}
		if v, ok := overrides[name]; ok {
			value = v
		}
		if value == "" {
			t.Fatalf("template.yaml gives the ingest function %s, which this test sets no value for", name)
		}
		env[name] = value
	}
	for _, names := range []map[string]string{stack, overrides} {
		for name := range names {
			if _, ok := template[name]; !ok {
				t.Fatalf("this test sets %s, which template.yaml does not give the ingest function", name)
			}
		}
	}

	// The SDK builds each variable's name from the service id, upper-cased
	// with spaces as underscores: Secrets Manager's is
	// AWS_ENDPOINT_URL_SECRETS_MANAGER (aws-sdk-go-v2 service/secretsmanager
	// v1.51.0, endpoints.go), and AWS_ENDPOINT_URL_SECRETSMANAGER is ignored.
	for name, value := range map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB":        r.dynamoURL,
		"AWS_ENDPOINT_URL_SNS":             r.motoURL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": r.motoURL,
		"AWS_ACCESS_KEY_ID":                "test",
		"AWS_SECRET_ACCESS_KEY":            "test",
		"AWS_REGION":                       "us-east-1",
		"AWS_EC2_METADATA_DISABLED":        "true",
		"AWS_LAMBDA_LOG_FORMAT":            "JSON",
		"AWS_LAMBDA_FUNCTION_TIMEOUT":      functionTimeout,
		"AWS_LAMBDA_FUNCTION_NAME":         "cobalt-rie-ingest",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE":  "256",
	} {
		env[name] = value
	}
	return env
}

// function is the bootstrap running under one aws-lambda-rie process.
type function struct {
	url    string
	client *http.Client
	// mu serializes invokes, because RIE crashes on two at once.
	mu sync.Mutex
}

// startFunction starts aws-lambda-rie on two free loopback ports with
// exactly env as its environment, and stops it when the test ends.
func startFunction(t *testing.T, env map[string]string) *function {
	t.Helper()
	rieBin := testenv.Lookup(t, testenv.EnvRIE)
	bootstrap := buildBootstrap(t)

	var list []string
	for name, value := range env {
		list = append(list, name+"="+value)
	}
	sort.Strings(list)

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		f, err := tryStart(t, rieBin, bootstrap, list)
		if err == nil {
			return f
		}
		lastErr = err
		t.Logf("start aws-lambda-rie, attempt %d: %v", attempt+1, err)
	}
	t.Fatalf("start aws-lambda-rie: %v", lastErr)
	return nil
}

// tryStart starts RIE once. It returns an error when RIE exits before its
// port accepts connections, as it does when another process took the port.
func tryStart(t *testing.T, rieBin, bootstrap string, env []string) (*function, error) {
	t.Helper()
	invokeAddr, runtimeAddr := freeAddress(t), freeAddress(t)
	cmd := exec.Command(rieBin,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		bootstrap)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	logs := testenv.LogWriter(t, "rie")
	cmd.Stdout, cmd.Stderr = logs, logs
	// Its own process group, so that stopping it also stops the bootstrap
	// process it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	if err := waitListening(invokeAddr, exited); err != nil {
		stopGroup(t, cmd.Process.Pid, exited)
		return nil, err
	}
	t.Cleanup(func() { stopGroup(t, cmd.Process.Pid, exited) })
	return &function{
		url:    "http://" + invokeAddr + "/2015-03-31/functions/function/invocations",
		client: &http.Client{Timeout: 30 * time.Second},
	}, nil
}

// waitListening waits up to 10 s for addr to accept a connection.
func waitListening(addr string, exited <-chan error) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("aws-lambda-rie exited before listening on %s: %v", addr, err)
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			return conn.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("aws-lambda-rie did not listen on %s within 10 s", addr)
}

// stopGroup stops RIE, whose PID is also its process group id: SIGTERM to
// the group, then SIGKILL when RIE has not exited after 5 s. A bootstrap left
// in the group after RIE exits is killed too.
func stopGroup(t *testing.T, pid int, exited <-chan error) {
	t.Helper()
	if err := syscall.Kill(-pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Logf("stop aws-lambda-rie (PID %d): %v", pid, err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Logf("aws-lambda-rie (PID %d) still running 5 s after SIGTERM; sending SIGKILL", pid)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// freeAddress returns a loopback address whose port was free a moment ago.
func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// response is the function's API Gateway response, or the error document
// Lambda returns when the function fails.
type response struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`

	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// responseBody is the JSON body of the function's response.
type responseBody struct {
	Status string   `json:"status"`
	ID     string   `json:"id"`
	Errors []string `json:"errors"`
}

// invokeRaw sends payload to the function and returns the invocation's
// response document, failing the test when RIE does not return 200.
func (f *function) invokeRaw(t *testing.T, payload []byte) response {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()

	resp, err := f.client.Post(f.url, "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read invoke response: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke: RIE status %d: %s", resp.StatusCode, data)
	}
	var r response
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("invoke response is not JSON: %v\n%s", err, data)
	}
	return r
}

// invoke sends payload to the function and returns its response and the
// response's JSON body, failing the test when the function fails.
func (f *function) invoke(t *testing.T, payload []byte) (response, responseBody) {
	t.Helper()
	r := f.invokeRaw(t, payload)
	if r.ErrorType != "" || r.ErrorMessage != "" {
		t.Fatalf("function failed: %s: %s", r.ErrorType, r.ErrorMessage)
	}
	var a responseBody
	if err := json.Unmarshal([]byte(r.Body), &a); err != nil {
		t.Fatalf("response body is not JSON: %v\n%s", err, strconv.Quote(r.Body))
	}
	return r, a
}
