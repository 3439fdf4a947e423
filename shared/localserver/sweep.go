package localserver

import (
	"context"
	"log/slog"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/sweep"
)

func newSweeper(cfg *config.Config, st store.Store, pub alert.Publisher, logger *slog.Logger) *sweep.Sweeper {
	return &sweep.Sweeper{
		Store:       st,
		Publisher:   pub,
		Alerts:      alert.Options{IncludePHI: cfg.IncludePHI},
		Lease:       cfg.AlertLease,
		MaxAttempts: cfg.AlertMaxAttempts,
		Grace:       cfg.SweepGrace,
		Batch:       cfg.SweepBatch,
		Logger:      logger,
		Metrics:     metrics.Discard{},
		Now:         time.Now,
	}
}

// RunSweeps runs the pending-alert sweep every interval until ctx ends, as
// the scheduled sweep function does in AWS. A run that finds a full batch is
// followed at once by another.
func RunSweeps(ctx context.Context, s *sweep.Sweeper, interval time.Duration, logger *slog.Logger) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		for ctx.Err() == nil {
			res, err := s.Run(ctx)
			if err != nil {
				logger.ErrorContext(ctx, "sweep failed", "error", err)
				break
			}
			if res.Due < s.Batch {
				break
			}
		}
	}
}
