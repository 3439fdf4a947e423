package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/localserver"
	"github.com/clinicops/cobalt-receiver/shared/redrive"
)

// localTimeout bounds one request to the local receiver, the sweep it runs
// included.
const localTimeout = 2 * time.Minute

// maxLocalResponseBytes is the maximum size of a response read from the local
// receiver.
const maxLocalResponseBytes = 64 << 20

// localTarget redrives through POST /admin/redrive of a local-mode receiver,
// which holds the embedded store open and runs the sweep at once.
type localTarget struct {
	endpoint string
	client   *http.Client
}

func newLocalTarget(baseURL string) *localTarget {
	return &localTarget{
		endpoint: strings.TrimRight(baseURL, "/") + localserver.AdminRedrivePath,
		client:   &http.Client{Timeout: localTimeout},
	}
}

func (t *localTarget) plan(ctx context.Context, sel redrive.Selector) ([]redrive.Action, error) {
	resp, err := t.post(ctx, localserver.RedriveRequest{Selector: sel, DryRun: true})
	if err != nil {
		return nil, err
	}
	return resp.Actions, nil
}

func (t *localTarget) apply(ctx context.Context, sel redrive.Selector) (*result, error) {
	resp, err := t.post(ctx, localserver.RedriveRequest{Selector: sel})
	if err != nil {
		return nil, err
	}
	return &result{actions: resp.Actions, sweep: resp.Sweep, sweepErr: resp.SweepError}, nil
}

// post sends req and decodes a 200 response, or returns an error that
// explains the receiver's status code.
func (t *localTarget) post(ctx context.Context, req localserver.RedriveRequest) (*localserver.RedriveResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request to %s: %w", t.endpoint, err)
	}
	httpReq.Header.Set("Content-Type", "application/json")
	httpResp, err := t.client.Do(httpReq)
	if err != nil {
		return nil, fmt.Errorf("POST %s failed: %w; is the local receiver (go run ./functions/ingest) running there?",
			t.endpoint, err)
	}
	defer httpResp.Body.Close()

	raw, err := io.ReadAll(io.LimitReader(httpResp.Body, maxLocalResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("read response of %s: %w", t.endpoint, err)
	}
	var resp localserver.RedriveResponse
	decodeErr := json.Unmarshal(raw, &resp)
	switch {
	case httpResp.StatusCode == http.StatusOK && decodeErr == nil:
		return &resp, nil
	case httpResp.StatusCode == http.StatusOK:
		return nil, fmt.Errorf("response of %s is not the expected JSON: %w", t.endpoint, decodeErr)
	case httpResp.StatusCode == http.StatusBadRequest && resp.Error != "":
		return nil, fmt.Errorf("local receiver rejected the request: %s", resp.Error)
	case httpResp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("%s returned 403: the admin route serves only loopback requests to a loopback host "+
			"name, such as http://127.0.0.1:8080", t.endpoint)
	case httpResp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s returned 404: the receiver there has no redrive route; "+
			"restart it from this checkout", t.endpoint)
	case httpResp.StatusCode == http.StatusServiceUnavailable:
		return nil, fmt.Errorf("%s returned 503: the receiver could not read or write its store; see its log",
			t.endpoint)
	}
	return nil, fmt.Errorf("%s returned %d %s", t.endpoint, httpResp.StatusCode, resp.Status)
}
