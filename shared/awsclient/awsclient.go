// Package awsclient loads the AWS SDK configuration shared by the functions:
// the standard credential and endpoint chain (emulator endpoints come only
// from the SDK's AWS_ENDPOINT_URL_<SERVICE> variables), with retries and
// connection timeouts short enough to fit Cobalt's answer deadline. Each
// call's context deadline bounds the whole call, retries included.
package awsclient

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Retry settings: three attempts in all with at most 200 ms between them,
// so a transient error is retried inside a 1.5 s budget.
const (
	MaxAttempts = 3
	MaxBackoff  = 200 * time.Millisecond
)

// Load returns the SDK configuration from the environment.
func Load(ctx context.Context, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	httpClient := awshttp.NewBuildableClient().WithDialerOptions(func(d *net.Dialer) {
		d.Timeout = time.Second
		d.KeepAlive = 30 * time.Second
	}).WithTransportOptions(func(t *http.Transport) {
		// No response-header timeout: a publish that SNS is slow to answer
		// may already be delivered, and retrying it after a timeout would
		// send the alert twice. Each call's context deadline bounds it.
		t.TLSHandshakeTimeout = 2 * time.Second
		t.MaxIdleConnsPerHost = 64
		t.IdleConnTimeout = 60 * time.Second
	})
	base := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = MaxAttempts
				o.MaxBackoff = MaxBackoff
			})
		}),
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(base, opts...)...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}
