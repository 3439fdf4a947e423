package faults_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert/snspub"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
)

// envDynamoDBCmd names the launcher that runs DynamoDB Local on loopback.
const envDynamoDBCmd = "COBALT_TEST_DYNAMODB_CMD"

// dynamoDBLocal is a DynamoDB Local process of the test's own, keeping its
// data in a folder so that it survives a restart.
type dynamoDBLocal struct {
	launcher string
	jarDir   string
	dataDir  string
	port     int
	cmd      *exec.Cmd
	exited   chan struct{}
}

func newDynamoDBLocal(t *testing.T) *dynamoDBLocal {
	t.Helper()
	d := &dynamoDBLocal{
		launcher: testenv.Lookup(t, envDynamoDBCmd),
		jarDir:   testenv.Lookup(t, testenv.EnvDynamoJar),
		dataDir:  t.TempDir(),
		port:     freePort(t),
	}
	t.Cleanup(func() { d.kill(t) })
	d.start(t)
	return d
}

func (d *dynamoDBLocal) url() string { return fmt.Sprintf("http://127.0.0.1:%d", d.port) }

// start runs DynamoDB Local on d.port with d.dataDir and waits until it
// serves requests.
func (d *dynamoDBLocal) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command(d.launcher, "-dbPath", d.dataDir, "-sharedDb", "-port", strconv.Itoa(d.port))
	cmd.Env = append(os.Environ(), testenv.EnvDynamoJar+"="+d.jarDir)
	// DynamoDB Local writes a metadata file into its working directory.
	cmd.Dir = t.TempDir()
	cmd.Stdout = testenv.LogWriter(t, "dynamodb-local")
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start DynamoDB Local: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	d.cmd, d.exited = cmd, exited

	client := dynamodb.NewFromConfig(testenv.AWSConfig(t, d.url()))
	waitFor(t, 60*time.Second, "DynamoDB Local on port "+strconv.Itoa(d.port), func() bool {
		select {
		case <-exited:
			t.Fatalf("DynamoDB Local exited during start-up: %v", cmd.ProcessState)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{})
		return err == nil
	})
}

// kill stops DynamoDB Local with SIGKILL by its PID, as a crash would, and
// waits until it has exited.
func (d *dynamoDBLocal) kill(t *testing.T) {
	t.Helper()
	if d.cmd == nil {
		return
	}
	if err := d.cmd.Process.Kill(); err != nil {
		t.Logf("kill DynamoDB Local process %d: %v", d.cmd.Process.Pid, err)
	}
	<-d.exited
	d.cmd = nil
}

// responseLog records webhook responses from several goroutines.
type responseLog struct {
	mu        sync.Mutex
	responses []sentEvent
}

// sentEvent is one delivery and its response.
type sentEvent struct {
	id     string
	body   []byte
	sentAt time.Time
	code   int
	err    error
}

func (l *responseLog) add(e sentEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.responses = append(l.responses, e)
}

// count returns how many deliveries sent after since got a response with
// code, or with any code when code is 0.
func (l *responseLog) count(since time.Time, code int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.responses {
		if e.err == nil && e.sentAt.After(since) && (code == 0 || e.code == code) {
			n++
		}
	}
	return n
}

func (l *responseLog) all() []sentEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sentEvent(nil), l.responses...)
}

func TestDynamoDBRestartLosesNoRecord(t *testing.T) {
	t.Parallel()
	ddb := newDynamoDBLocal(t)
	table := newTable(t, ddb.url())
	cfg := productionConfig(t)
	st := dynamostore.New(dynamoClient(cfg, ddb.url()), table)
	direct := dynamostore.New(dynamodb.NewFromConfig(testenv.AWSConfig(t, ddb.url())), table)
	sink := newAlertSink(t)
	pub, err := snspub.New(snsClient(cfg, testenv.MotoURL(t)), sink.topics)
	if err != nil {
		t.Fatalf("create SNS publisher: %v", err)
	}
	url := serve(t, newHandler(t, st, pub, 30*time.Second), st)

	// One sender posts new events one after another through the restart.
	var log responseLog
	prefix := "evt-restart-" + randomSuffix(t) + "-"
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := fmt.Sprintf("%s%04d", prefix, i)
			body, err := failureEventBody(id, i)
			if err != nil {
				log.add(sentEvent{id: id, err: err})
				return
			}
			sentAt := time.Now()
			resp, err := send(url, body, "2")
			log.add(sentEvent{id: id, body: body, sentAt: sentAt, code: resp.code, err: err})
			time.Sleep(20 * time.Millisecond)
		}
	}()
	stopSender := sync.OnceFunc(func() {
		close(stop)
		<-stopped
	})
	defer stopSender()

	began := time.Now()
	waitFor(t, 10*time.Second, "5 events stored before the restart", func() bool {
		return log.count(began, http.StatusOK) >= 5
	})
	killedAt := time.Now()
	ddb.kill(t)
	waitFor(t, 10*time.Second, "3 answers during the outage", func() bool {
		return log.count(killedAt, 0) >= 3
	})
	ddb.start(t)
	restartedAt := time.Now()
	waitFor(t, 10*time.Second, "3 events stored after the restart", func() bool {
		return log.count(restartedAt, http.StatusOK) >= 3
	})
	stopSender()

	sent := log.all()
	var unavailable []sentEvent
	for _, e := range sent {
		switch {
		case e.err != nil:
			t.Errorf("event %s: %v", e.id, e.err)
		case e.code == http.StatusServiceUnavailable:
			unavailable = append(unavailable, e)
		case e.code != http.StatusOK:
			t.Errorf("event %s answered %d, want 200 or 503", e.id, e.code)
		}
	}
	t.Logf("%d events sent, %d answered 503 during the restart", len(sent), len(unavailable))
	if len(unavailable) == 0 {
		t.Error("no event was answered 503, so the restart was not noticed")
	}
	if last := sent[len(sent)-1]; last.code != http.StatusOK {
		t.Errorf("last event answered %d after the restart, want 200", last.code)
	}

	// Every acknowledged event survived the crash, whole.
	for _, e := range sent {
		if e.code != http.StatusOK {
			continue
		}
		rec, err := direct.Get(t.Context(), e.id)
		if err != nil {
			t.Errorf("event %s was answered 200 but is lost: %v", e.id, err)
			continue
		}
		if string(rec.Raw) != string(e.body) {
			t.Errorf("event %s was stored with another body", e.id)
		}
	}

	// Cobalt retries each 503, and the retry is accepted once DynamoDB is back.
	for _, e := range unavailable {
		if resp := mustSend(t, url, e.body, "2"); resp.code != http.StatusOK {
			t.Errorf("retry of %s answered %d %q, want 200", e.id, resp.code, resp.answer.Status)
		}
	}
	if recs := scanRecords(t, direct, store.ScanFilter{}); len(recs) != len(sent) {
		t.Errorf("table holds %d records, want one per event sent, %d", len(recs), len(sent))
	}
}

// TestSNSRestartLosesNoAlert takes the proxy to moto_server down and up
// again between deliveries, as an SNS outage would. moto_server itself
// keeps its topics in memory, so restarting it would lose them.
func TestSNSRestartLosesNoAlert(t *testing.T) {
	t.Parallel()
	rig := newAWSRig(t)
	const lease = time.Second
	url := serve(t, newHandler(t, rig.store, rig.publisher, lease), rig.store)
	prefix := "evt-sns-restart-" + randomSuffix(t) + "-"

	var ids []string
	deliver := func(phase string, wantAlert store.AlertState) {
		for i := range 3 {
			id := fmt.Sprintf("%s%s-%d", prefix, phase, i)
			ids = append(ids, id)
			resp := mustSend(t, url, failureEvent(t, id, i), "2")
			if resp.code != http.StatusOK || resp.answer.Status != "stored" {
				t.Fatalf("%s: event %s answered %d %q, want 200 stored", phase, id, resp.code, resp.answer.Status)
			}
			if rec := getRecord(t, rig.direct, id); rec.Alert != wantAlert {
				t.Errorf("%s: alert of %s = %q, want %q", phase, id, rec.Alert, wantAlert)
			}
		}
	}
	deliver("before", store.AlertPublished)
	rig.sns.disable(t)
	deliver("outage", store.AlertPending)
	rig.sns.enable(t)
	deliver("after", store.AlertPublished)

	if got := sweepUntilPublished(t, newSweeper(t, rig.store, rig.publisher, lease, 3), 3); got != 3 {
		t.Errorf("sweep published %d alerts, want the 3 left pending by the outage", got)
	}
	checkPublishedOnce(t, rig.direct, rig.sink.deliveries(t), ids)
}
