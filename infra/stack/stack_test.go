package stack_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
)

// These tests check the stand-ins that infra/stack/up.sh starts, so that a
// stand-in that failed to start fails CI here rather than in every package.

const envDynamoDBCmd = "COBALT_TEST_DYNAMODB_CMD"

func TestStandInURLsAreLoopback(t *testing.T) {
	tests := []struct {
		name string
		env  string
	}{
		{name: "dynamodb local", env: testenv.EnvDynamoDB},
		{name: "moto", env: testenv.EnvMoto},
		{name: "toxiproxy", env: testenv.EnvToxiproxy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := testenv.Lookup(t, tt.env)
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatalf("%s=%q: %v", tt.env, raw, err)
			}
			if u.Scheme != "http" {
				t.Errorf("%s scheme = %q, want http", tt.env, u.Scheme)
			}
			if u.Hostname() != "127.0.0.1" {
				t.Errorf("%s host = %q, want 127.0.0.1", tt.env, u.Hostname())
			}
			if _, err := strconv.Atoi(u.Port()); err != nil {
				t.Errorf("%s port = %q, want a number", tt.env, u.Port())
			}
		})
	}
}

func TestStandInsListenOnLoopbackOnly(t *testing.T) {
	tests := []struct {
		name string
		env  string
	}{
		{name: "dynamodb local", env: testenv.EnvDynamoDB},
		{name: "moto", env: testenv.EnvMoto},
		{name: "toxiproxy", env: testenv.EnvToxiproxy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(testenv.Lookup(t, tt.env))
			if err != nil {
				t.Fatalf("parse %s: %v", tt.env, err)
			}
			assertLoopbackOnly(t, u.Port())
		})
	}
}

func TestDynamoDBLocalListsTables(t *testing.T) {
	endpoint := testenv.DynamoDBURL(t)
	client := dynamodb.NewFromConfig(testenv.AWSConfig(t, endpoint))

	if _, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables at %s: %v", endpoint, err)
	}
}

func TestMotoServesSNSAndSQS(t *testing.T) {
	endpoint := testenv.MotoURL(t)
	cfg := testenv.AWSConfig(t, endpoint)
	ctx := context.Background()

	if _, err := sns.NewFromConfig(cfg).ListTopics(ctx, &sns.ListTopicsInput{}); err != nil {
		t.Errorf("SNS ListTopics at %s: %v", endpoint, err)
	}
	if _, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Errorf("SQS ListQueues at %s: %v", endpoint, err)
	}
}

func TestToxiproxyForwardsToDynamoDB(t *testing.T) {
	dynamoURL, err := url.Parse(testenv.DynamoDBURL(t))
	if err != nil {
		t.Fatalf("parse DynamoDB URL: %v", err)
	}
	client := toxiproxy.NewClient(testenv.ToxiproxyURL(t))

	if _, err := client.Version(); err != nil {
		t.Fatalf("toxiproxy version: %v", err)
	}

	name := fmt.Sprintf("stack-test-%d", time.Now().UnixNano())
	proxy, err := client.CreateProxy(name, "127.0.0.1:0", dynamoURL.Host)
	if err != nil {
		t.Fatalf("create proxy %s to %s: %v", name, dynamoURL.Host, err)
	}
	t.Cleanup(func() {
		if err := proxy.Delete(); err != nil {
			t.Errorf("delete proxy %s: %v", name, err)
		}
	})

	host, port, err := net.SplitHostPort(proxy.Listen)
	if err != nil {
		t.Fatalf("proxy listen address %q: %v", proxy.Listen, err)
	}
	if host != "127.0.0.1" {
		t.Errorf("proxy listens on host %q, want 127.0.0.1", host)
	}

	endpoint := "http://127.0.0.1:" + port
	ddb := dynamodb.NewFromConfig(testenv.AWSConfig(t, endpoint))
	if _, err := ddb.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables through proxy %s: %v", endpoint, err)
	}
}

func TestRIEBinaryIsExecutable(t *testing.T) {
	assertExecutable(t, testenv.Lookup(t, testenv.EnvRIE))
}

func TestToxiproxyBinaryIsExecutable(t *testing.T) {
	assertExecutable(t, testenv.Lookup(t, "COBALT_TEST_TOXIPROXY_BIN"))
}

func TestDynamoDBLocalFilesPresent(t *testing.T) {
	dir := testenv.Lookup(t, testenv.EnvDynamoJar)
	for _, name := range []string{
		"DynamoDBLocal.jar",
		"DynamoDBLocal_lib",
		filepath.Join("launcher", "LoopbackDynamoDBLocal.class"),
	} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestDynamoDBLocalCommandStartsOnLoopback starts a second DynamoDB Local
// through the launcher script with a file store, the way a restart test does.
func TestDynamoDBLocalCommandStartsOnLoopback(t *testing.T) {
	testenv.Lookup(t, testenv.EnvDynamoJar)
	command := testenv.Lookup(t, envDynamoDBCmd)
	port := freePort(t)

	cmd := exec.Command(command, "-dbPath", t.TempDir(), "-sharedDb", "-port", port)
	cmd.Dir = t.TempDir()
	logPath := filepath.Join(t.TempDir(), "dynamodb-local.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("create log: %v", err)
	}
	defer logFile.Close()
	cmd.Stdout = logFile
	cmd.Stderr = logFile

	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", command, err)
	}
	t.Cleanup(func() { stopProcess(t, cmd) })

	endpoint := "http://127.0.0.1:" + port
	client := dynamodb.NewFromConfig(testenv.AWSConfig(t, endpoint))
	waitForListTables(t, client, endpoint, logPath)
	assertLoopbackOnly(t, port)
}

func waitForListTables(t *testing.T, client *dynamodb.Client, endpoint, logPath string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{})
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("DynamoDB Local at %s not ready: %v\nlog:\n%s", endpoint, err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func stopProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("SIGTERM PID %d: %v", cmd.Process.Pid, err)
	}
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Errorf("PID %d still running 15s after SIGTERM; killing it", cmd.Process.Pid)
		_ = cmd.Process.Kill()
		<-done
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on 127.0.0.1:0: %v", err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// assertLoopbackOnly fails when port accepts connections on any of this
// machine's own non-loopback addresses. With no such address it checks
// nothing.
func assertLoopbackOnly(t *testing.T, port string) {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatalf("list interface addresses: %v", err)
	}
	for _, addr := range addrs {
		ipNet, ok := addr.(*net.IPNet)
		if !ok || ipNet.IP.IsLoopback() || ipNet.IP.IsLinkLocalUnicast() {
			continue
		}
		target := net.JoinHostPort(ipNet.IP.String(), port)
		conn, err := net.DialTimeout("tcp", target, 2*time.Second)
		if err == nil {
			conn.Close()
			t.Errorf("port %s accepts connections on %s; want loopback only", port, target)
		}
	}
}

func assertExecutable(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	if !info.Mode().IsRegular() {
		t.Errorf("%s is not a regular file (mode %v)", path, info.Mode())
	}
	if info.Mode().Perm()&0o111 == 0 {
		t.Errorf("%s is not executable (mode %v)", path, info.Mode())
	}
}
