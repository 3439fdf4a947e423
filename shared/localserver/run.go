package localserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/alertlog"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/store/embedded"
)

// File names inside the data directory.
const (
	StoreFile    = "events.db"
	AlertLogFile = "alerts.jsonl"
)

// Run serves local mode until ctx is cancelled, then shuts down gracefully.
// It logs a "listening" line with the address once it accepts connections.
func Run(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	st, err := embedded.Open(filepath.Join(cfg.DataDir, StoreFile))
	if errors.Is(err, bolterrors.ErrTimeout) {
		return fmt.Errorf("open embedded store in %s: the store is locked by another process; stop that receiver or set %s to another folder",
			cfg.DataDir, config.EnvDataDir)
	}
	if err != nil {
		return fmt.Errorf("open embedded store in %s: %w", cfg.DataDir, err)
	}
	if cfg.UsesDevelopmentSecret {
		logger.Warn("accepting the public development webhook secret; set COBALT_WEBHOOK_SECRETS to your own")
	}
	defer st.Close()
	alerts, err := alertlog.Open(filepath.Join(cfg.DataDir, AlertLogFile))
	if err != nil {
		return fmt.Errorf("open alert log in %s: %w", cfg.DataDir, err)
	}
	defer alerts.Close()

	h := &ingest.Handler{
		Store:      st,
		Publisher:  alerts,
		Secrets:    secrets.Static(cfg.Secrets),
		Alerts:     alert.Options{IncludePHI: cfg.IncludePHI},
		AlertLease: cfg.AlertLease,
		Retention:  cfg.Retention,
		Logger:     logger,
		Metrics:    metrics.Discard{},
		Now:        time.Now,
	}

	sweeper := newSweeper(cfg, st, alerts, logger)

	listener, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (set %s to another address): %w", cfg.ListenAddr, config.EnvListenAddr, err)
	}
	srv := &http.Server{
		Handler:           NewMux(h, st, sweeper, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", listener.Addr().String(), "dataDir", cfg.DataDir)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(listener) }()

	sweepCtx, stopSweep := context.WithCancel(ctx)
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		RunSweeps(sweepCtx, sweeper, cfg.SweepInterval, logger)
	}()
	defer func() {
		stopSweep()
		<-sweepDone
	}()

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve on %s: %w", cfg.ListenAddr, err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down server: %w", err)
	}
	return nil
}
