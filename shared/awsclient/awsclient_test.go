package awsclient_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/clinicops/cobalt-receiver/shared/awsclient"
)

func TestPublishRetryerSkipsAmbiguousErrors(t *testing.T) {
	retryer := awsclient.PublishRetryer()
	tests := []struct {
		name  string
		err   error
		retry bool
	}{
		{"dial refused", &url.Error{Op: "Post", URL: "http://127.0.0.1:1",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, true},
		{"throttled", &smithy.GenericAPIError{Code: "Throttling", Message: "slow down"}, true},
		{"reset after send", &url.Error{Op: "Post", URL: "http://127.0.0.1:1",
			Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}, false},
		{"closed connection", fmt.Errorf("read response: %w",
			errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: use of closed network connection")), false},
		{"truncated response", fmt.Errorf("deserialize: %w", io.ErrUnexpectedEOF), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryer.IsErrorRetryable(tt.err); got != tt.retry {
				t.Errorf("IsErrorRetryable = %v, want %v", got, tt.retry)
			}
		})
	}
}
