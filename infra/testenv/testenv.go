// Package testenv finds the local AWS stand-ins that infra/stack/up.sh starts
// for integration tests, and builds SDK configurations that reach only them.
//
// Each stand-in's address comes from an environment variable. When one is
// unset, the test is skipped under a plain `go test ./...`, and fails when
// COBALT_TEST_REQUIRE_STANDINS=1 (set by the README's test command and CI),
// so that no integration test is skipped silently there.
package testenv

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// Environment variables naming the stand-ins.
const (
	EnvDynamoDB  = "COBALT_TEST_DYNAMODB_URL"  // DynamoDB Local, http://127.0.0.1:PORT
	EnvMoto      = "COBALT_TEST_MOTO_URL"      // moto_server for SNS, SQS, Secrets Manager
	EnvToxiproxy = "COBALT_TEST_TOXIPROXY_URL" // toxiproxy API, http://127.0.0.1:PORT
	EnvRIE       = "COBALT_TEST_RIE_BIN"       // path of the aws-lambda-rie binary
	EnvDynamoJar = "COBALT_TEST_DYNAMODB_DIR"  // folder with DynamoDBLocal.jar and the loopback launcher
	EnvRequire   = "COBALT_TEST_REQUIRE_STANDINS"
)

// Lookup returns the value of the stand-in variable name. It skips the test
// when the variable is unset, or fails it when stand-ins are required.
func Lookup(t testing.TB, name string) string {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		return v
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s is not set but %s=1: start the stand-ins with infra/stack/up.sh", name, EnvRequire)
	}
	t.Skipf("%s is not set; run the README's test command to start the stand-ins", name)
	return ""
}

// DynamoDBURL returns the DynamoDB Local endpoint.
func DynamoDBURL(t testing.TB) string { return Lookup(t, EnvDynamoDB) }

// MotoURL returns the moto_server endpoint.
func MotoURL(t testing.TB) string { return Lookup(t, EnvMoto) }

// ToxiproxyURL returns the toxiproxy API endpoint.
func ToxiproxyURL(t testing.TB) string { return Lookup(t, EnvToxiproxy) }

// AWSConfig returns an SDK configuration with static test credentials and
// region us-east-1 whose every service endpoint is endpoint, so no request
// can leave the machine or reach the instance metadata address.
func AWSConfig(t testing.TB, endpoint string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
		config.WithBaseEndpoint(endpoint),
	)
	if err != nil {
		t.Fatalf("load AWS config for %s: %v", endpoint, err)
	}
	return cfg
}
