// Package standin builds AWS SDK configurations for the benchmark commands
// that reach only local stand-ins on the loopback interface, with the
// production client settings of shared/awsclient.
package standin

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/clinicops/cobalt-receiver/shared/awsclient"
)

// CheckLoopback returns an error unless rawURL is an http URL whose host is
// a loopback address or localhost.
func CheckLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("stand-in URL %q: %w", rawURL, err)
	}
	if u.Scheme != "http" {
		return fmt.Errorf("stand-in URL %q: want scheme http, got %q", rawURL, u.Scheme)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("stand-in URL %q: host %q is not a loopback address; benchmarks run only against local stand-ins", rawURL, host)
	}
	return nil
}

// Config returns awsclient.Load's configuration with static test
// credentials, region us-east-1, the instance metadata client disabled and
// every service endpoint set to endpoint, which must be a loopback URL. It
// first removes the AWS_ENDPOINT_URL variables and AWS_PROFILE from the
// process environment, since the SDK would let them override endpoint.
func Config(ctx context.Context, endpoint string) (aws.Config, error) {
	if err := CheckLoopback(endpoint); err != nil {
		return aws.Config{}, err
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_ENDPOINT_URL") || name == "AWS_PROFILE" {
			os.Unsetenv(name)
		}
	}
	return awsclient.Load(ctx,
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
		config.WithBaseEndpoint(endpoint),
	)
}
