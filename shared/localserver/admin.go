package localserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/redrive"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/sweep"
)

// AdminRedrivePath is the local-only route that redrives alerts. It serves
// only requests from a loopback address whose Host header names a loopback
// host, and only JSON bodies, so a web page open in a browser on the same
// machine cannot call it without a CORS preflight, which the server never
// approves.
const AdminRedrivePath = "/admin/redrive"

// maxAdminBodyBytes is the maximum size of a POST /admin/redrive body.
const maxAdminBodyBytes = 1 << 20

// RedriveRequest is the JSON body of POST /admin/redrive: the selectors of
// redrive.Selector (ids, job_ids, type, category, from, to, the times in
// RFC 3339) and dry_run.
type RedriveRequest struct {
	redrive.Selector
	DryRun bool `json:"dry_run"`
}

// RedriveResponse is the JSON response of POST /admin/redrive. Status is "ok",
// or on an error "forbidden", "unsupported_media_type", "bad_request" (with
// Error saying what is invalid) or "unavailable".
type RedriveResponse struct {
	Status  string           `json:"status"`
	Error   string           `json:"error,omitempty"`
	DryRun  bool             `json:"dry_run"`
	Actions []redrive.Action `json:"actions,omitempty"`
	Summary redrive.Summary  `json:"summary"`
	// Sweep counts what the sweep run after the requeue did; it is absent
	// when nothing was requeued.
	Sweep *SweepCounts `json:"sweep,omitempty"`
	// SweepError is set when that sweep failed. The requeued alerts stay
	// pending, and the interval sweep publishes them.
	SweepError string `json:"sweep_error,omitempty"`
}

// SweepCounts counts what the sweeps run by POST /admin/redrive did.
type SweepCounts struct {
	Due       int `json:"due"`
	Published int `json:"published"`
	Retrying  int `json:"retrying"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
}

// adminRedrive serves POST /admin/redrive: it selects events, requeues
// their alerts and, unless nothing was requeued or sweeper is nil, runs the
// sweep at once so the alert lines are in the alert log before it responds.
type adminRedrive struct {
	store   store.Store
	sweeper *sweep.Sweeper
	logger  *slog.Logger
}

func newAdminRedrive(st store.Store, sweeper *sweep.Sweeper, logger *slog.Logger) http.Handler {
	return adminRedrive{store: st, sweeper: sweeper, logger: logger}
}

func (a adminRedrive) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if reason := rejectReason(r); reason != "" {
		a.logger.WarnContext(ctx, "admin request rejected", "reason", reason,
			"remoteAddr", r.RemoteAddr, "path", r.URL.Path)
		writeJSON(w, http.StatusForbidden, RedriveResponse{Status: "forbidden"})
		return
	}
	if mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mediaType != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, RedriveResponse{
			Status: "unsupported_media_type", Error: "send the body as Content-Type: application/json",
		})
		return
	}
	req, err := decodeRedriveRequest(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, RedriveResponse{Status: "bad_request", Error: err.Error()})
		return
	}

	sel, err := redrive.Select(ctx, a.store, req.Selector)
	if errors.Is(err, redrive.ErrInvalidSelector) {
		writeJSON(w, http.StatusBadRequest, RedriveResponse{Status: "bad_request", Error: err.Error()})
		return
	}
	if err != nil {
		a.logger.ErrorContext(ctx, "redrive selection failed", "error", err)
		writeJSON(w, http.StatusServiceUnavailable, RedriveResponse{Status: "unavailable"})
		return
	}
	actions, err := redrive.Requeue(ctx, a.store, sel, a.due(), req.DryRun)
	if err != nil {
		a.logger.ErrorContext(ctx, "redrive requeue failed", "error", err, "requeuedBefore", len(actions))
		writeJSON(w, http.StatusServiceUnavailable, RedriveResponse{Status: "unavailable"})
		return
	}

	resp := RedriveResponse{Status: "ok", DryRun: req.DryRun, Actions: actions, Summary: redrive.Summarize(actions)}
	a.logger.InfoContext(ctx, "redrive", "dryRun", req.DryRun, "total", resp.Summary.Total,
		"requeued", resp.Summary.Requeued, "wouldRequeue", resp.Summary.WouldRequeue,
		"alreadyPending", resp.Summary.AlreadyPending, "notFound", resp.Summary.NotFound)
	if resp.Summary.Requeued > 0 && a.sweeper != nil {
		counts, err := a.sweepNow(ctx)
		resp.Sweep = &counts
		if err != nil {
			a.logger.ErrorContext(ctx, "redrive sweep failed", "error", err)
			resp.SweepError = "sweep failed; the interval sweep publishes the requeued alerts"
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func decodeRedriveRequest(w http.ResponseWriter, r *http.Request) (*RedriveRequest, error) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBodyBytes))
	dec.DisallowUnknownFields()
	var req RedriveRequest
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("invalid JSON body: %w", err)
	}
	if dec.More() {
		return nil, errors.New("invalid JSON body: more than one JSON value")
	}
	return &req, nil
}

// due returns the due time of requeued alerts: now minus the sweep's grace,
// so the sweep run right after takes them. No first delivery of a requeued
// alert is under way, so the grace has nothing to protect.
func (a adminRedrive) due() time.Time {
	if a.sweeper == nil {
		return time.Now()
	}
	return a.sweeper.Now().Add(-a.sweeper.Grace)
}

// sweepNow runs sweeps back to back while each finds a full batch, as the
// interval sweep does.
func (a adminRedrive) sweepNow(ctx context.Context) (SweepCounts, error) {
	var counts SweepCounts
	for {
		res, err := a.sweeper.Run(ctx)
		counts.Due += res.Due
		counts.Published += res.Published
		counts.Retrying += res.Retrying
		counts.Failed += res.Failed
		counts.Skipped += res.Skipped
		if err != nil || res.Due < a.sweeper.Batch {
			return counts, err
		}
	}
}

// rejectReason returns why r may not use the admin route, or "" when it may.
func rejectReason(r *http.Request) string {
	switch {
	case !loopbackRemote(r.RemoteAddr):
		return "remote address is not a loopback address"
	case !loopbackHost(r.Host):
		return "Host header does not name a loopback host"
	}
	return ""
}

// loopbackRemote reports whether remoteAddr, as net/http sets it, is a
// loopback address.
func loopbackRemote(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

// loopbackHost reports whether a Host header names a loopback host:
// localhost or a loopback address, with or without a port. It rejects DNS
// rebinding, where a page served from another name reaches 127.0.0.1.
func loopbackHost(hostHeader string) bool {
	host := hostHeader
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}
