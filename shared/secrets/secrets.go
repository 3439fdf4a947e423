// Package secrets supplies the webhook secrets the signature check accepts:
// a fixed list in local mode, or a Secrets Manager secret re-read on an
// interval so that a rotation needs no redeploy.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/clinicops/cobalt-receiver/shared/signature"
)

// Source returns the secrets currently accepted.
type Source interface {
	// Secrets returns every accepted secret. An error means no secret is
	// known, so no signature can be checked.
	Secrets(ctx context.Context) ([]signature.Secret, error)
}

// Refresher is a Source that can re-read its secrets ahead of schedule. The
// handler calls Refresh when a signature matches none of the secrets it has,
// so a secret rotated a moment ago is accepted at once.
type Refresher interface {
	Source
	// Refresh re-reads the secrets unless it did so within its minimum
	// interval, and reports whether the list changed.
	Refresh(ctx context.Context) bool
}

// Static is a fixed list of secrets.
type Static []signature.Secret

// Secrets returns the list, or an error when it is empty.
func (s Static) Secrets(context.Context) ([]signature.Secret, error) {
	if len(s) == 0 {
		return nil, errors.New("no webhook secret configured")
	}
	return s, nil
}

// API is the part of the Secrets Manager client that Manager uses.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// IAMActions lists the Secrets Manager actions Manager calls.
func IAMActions() []string { return []string{"secretsmanager:GetSecretValue"} }

// Manager reads the secrets from one Secrets Manager secret, whose
// SecretString is a JSON array of secrets or a comma-separated list, and
// re-reads it once RefreshInterval has passed since the last successful read. When a
// re-read fails it keeps the secrets it has and retries on the next call
// after RetryAfter.
type Manager struct {
	Client   API
	SecretID string
	// Parse turns a SecretString into secrets.
	Parse           func(string) []signature.Secret
	RefreshInterval time.Duration
	RetryAfter      time.Duration
	Logger          *slog.Logger
	// MinRefresh is the least time between two reads forced by Refresh, so
	// requests with bad signatures cannot flood Secrets Manager.
	MinRefresh time.Duration
	// OnRefreshError is called when a read fails; it may be nil.
	OnRefreshError func()
	Now            func() time.Time

	mu        sync.Mutex
	current   []signature.Secret
	nextRead  time.Time
	lastRead  time.Time
	lastError error
}

// Refresh re-reads the secret now unless a read happened within MinRefresh.
// It reports whether the secrets changed; on a failed read it keeps them.
func (m *Manager) Refresh(ctx context.Context) bool {
	m.mu.Lock()
	defer m.mu.Unlock()

	now := m.Now()
	if !m.lastRead.IsZero() && now.Sub(m.lastRead) < m.MinRefresh {
		return false
	}
	m.lastRead = now
	list, err := m.read(ctx)
	if err != nil {
		m.Logger.ErrorContext(ctx, "webhook secret read failed", "error", err, "secretId", m.SecretID)
		if m.OnRefreshError != nil {
			m.OnRefreshError()
		}
		return false
	}
	changed := !slices.Equal(list, m.current)
	m.current, m.lastError, m.nextRead = list, nil, now.Add(m.RefreshInterval)
	if changed {
		m.Logger.InfoContext(ctx, "webhook secrets reloaded", "secretId", m.SecretID, "count", len(list))
	}
	return changed
}

// Secrets returns the cached secrets, re-reading them when they are due.
func (m *Manager) Secrets(ctx context.Context) ([]signature.Secret, error) {
	m.mu.Lock()
	defer m.mu.Unlock()

	now := m.Now()
	if len(m.current) > 0 && now.Before(m.nextRead) {
		return m.current, nil
	}
	if len(m.current) == 0 && m.lastError != nil && now.Before(m.nextRead) {
		return nil, m.lastError
	}

	m.lastRead = now
	list, err := m.read(ctx)
	if err != nil {
		m.lastError = err
		m.nextRead = now.Add(m.RetryAfter)
		m.Logger.ErrorContext(ctx, "webhook secret read failed", "error", err, "secretId", m.SecretID)
		if m.OnRefreshError != nil {
			m.OnRefreshError()
		}
		if len(m.current) > 0 {
			return m.current, nil
		}
		return nil, err
	}
	m.current, m.lastError, m.nextRead = list, nil, now.Add(m.RefreshInterval)
	return m.current, nil
}

func (m *Manager) read(ctx context.Context) ([]signature.Secret, error) {
	out, err := m.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &m.SecretID})
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", m.SecretID, err)
	}
	if out.SecretString == nil {
		return nil, fmt.Errorf("secret %s has no SecretString", m.SecretID)
	}
	list := m.Parse(*out.SecretString)
	if len(list) == 0 {
		return nil, fmt.Errorf("secret %s contains no webhook secret", m.SecretID)
	}
	return list, nil
}
