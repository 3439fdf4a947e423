// Package awsclient loads the AWS SDK configuration shared by the functions:
// the standard credential and endpoint chain (emulator endpoints come only
// from the SDK's AWS_ENDPOINT_URL_<SERVICE> variables), with retries and
// connection timeouts short enough to fit Cobalt's answer deadline. Each
// call's context deadline bounds the whole call, retries included.
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
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

// PublishRetryer returns the retryer for SNS Publish: the standard one with
// the same limits, except that it does not retry a connection that broke
// after the request was sent. SNS may already have accepted that message,
// and Publish is not idempotent, so a retry could deliver the alert twice. A
// pending alert whose publish failed is published by the sweep instead.
func PublishRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.MaxBackoff = MaxBackoff
		o.Retryables = append([]retry.IsErrorRetryable{maybeDelivered{}}, o.Retryables...)
	})
}

// maybeDelivered marks as not retryable the connection errors that can
// happen after a request was written: a reset or closed connection, or an
// unexpected end of the response. A failed dial sent nothing, so the
// standard checks still decide on it.
type maybeDelivered struct{}

// IsErrorRetryable implements retry.IsErrorRetryable.
func (maybeDelivered) IsErrorRetryable(err error) aws.Ternary {
	var opErr *net.OpError
	if err == nil || (errors.As(err, &opErr) && opErr.Op == "dial") {
		return aws.UnknownTernary
	}
	text := err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(text, "connection reset") ||
		strings.Contains(text, "use of closed network connection") || strings.Contains(text, "broken pipe") {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
}
