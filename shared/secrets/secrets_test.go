package secrets_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

func TestStaticEmpty(t *testing.T) {
	if _, err := secrets.Static(nil).Secrets(context.Background()); err == nil {
		t.Fatal("empty Static returned no error")
	}
}

type clock struct{ now atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// TestManagerRotation reads a secret from moto_server's Secrets Manager,
// rotates it, and checks the new value is used only after the refresh
// interval, and that a failed re-read keeps the last good secrets.
func TestManagerRotation(t *testing.T) {
	url := testenv.MotoURL(t)
	client := secretsmanager.NewFromConfig(testenv.AWSConfig(t, url))
	ctx := context.Background()
	name := fmt.Sprintf("cobalt-test-%d", time.Now().UnixNano())
	created, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(`["whsec_old"]`),
	})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}

	clk := &clock{}
	clk.now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	var failures atomic.Int32
	m := &secrets.Manager{
		Client: client, SecretID: *created.ARN, Parse: config.ParseSecrets,
		RefreshInterval: 5 * time.Minute, RetryAfter: 10 * time.Second, MinRefresh: 5 * time.Second,
		Logger:         testenv.Logger(t),
		OnRefreshError: func() { failures.Add(1) },
		Now:            clk.Now,
	}
	assertSecrets(t, m, "whsec_old")

	_, err = client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: created.ARN, SecretString: aws.String("whsec_old,whsec_new"),
	})
	if err != nil {
		t.Fatalf("PutSecretValue: %v", err)
	}
	assertSecrets(t, m, "whsec_old")
	clk.Advance(5*time.Minute + time.Second)
	assertSecrets(t, m, "whsec_old", "whsec_new")

	_, err = client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: created.ARN, SecretString: aws.String(`["whsec_new","whsec_newer"]`),
	})
	if err != nil {
		t.Fatalf("PutSecretValue: %v", err)
	}
	if m.Refresh(ctx) {
		t.Error("Refresh within MinRefresh of the last read re-read the secret")
	}
	clk.Advance(m.MinRefresh)
	if !m.Refresh(ctx) {
		t.Fatal("Refresh after MinRefresh reported no change")
	}
	assertSecrets(t, m, "whsec_new", "whsec_newer")

	_, err = client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{
		SecretId: created.ARN, ForceDeleteWithoutRecovery: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("DeleteSecret: %v", err)
	}
	clk.Advance(5*time.Minute + time.Second)
	assertSecrets(t, m, "whsec_new", "whsec_newer")
	if failures.Load() != 1 {
		t.Errorf("OnRefreshError called %d times, want 1", failures.Load())
	}
}

func TestManagerMissingSecret(t *testing.T) {
	url := testenv.MotoURL(t)
	m := &secrets.Manager{
		Client:   secretsmanager.NewFromConfig(testenv.AWSConfig(t, url)),
		SecretID: "cobalt-test-missing", Parse: config.ParseSecrets,
		RefreshInterval: time.Minute, RetryAfter: time.Second,
		Logger: testenv.Logger(t), Now: time.Now,
	}
	if _, err := m.Secrets(context.Background()); err == nil {
		t.Fatal("Secrets returned no error for a missing secret")
	}
}

func assertSecrets(t *testing.T, m *secrets.Manager, want ...signature.Secret) {
	t.Helper()
	got, err := m.Secrets(context.Background())
	if err != nil {
		t.Fatalf("Secrets: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d secrets, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("secret %d differs from the expected one", i)
		}
	}
}
