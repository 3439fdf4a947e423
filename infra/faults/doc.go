// Package faults holds tests, and no production code, that check the
// receiver's promises while its dependencies fail. Toxiproxy sits between the
// code and the real stand-ins (DynamoDB Local and moto_server), and the tests
// disable proxies, add latency or black-hole traffic, kill processes and
// restart DynamoDB Local. They build the ingest handler and the sweeper with
// the production SDK settings of shared/awsclient, so the retries and
// timeouts under test are the deployed ones. They check that:
//
//   - an SNS outage or hang still gets a 200 inside the answer budget, leaves
//     one record with its alert pending and the error recorded, and the sweep
//     later delivers that alert once;
//   - a DynamoDB outage or slowdown gets a 503 inside the budget and
//     publishes nothing;
//   - a process killed between storing an event and publishing its alert
//     leaves the alert pending, and the sweep delivers it once;
//   - a DynamoDB Local restart loses no acknowledged record, and an SNS
//     outage between requests loses no alert;
//   - concurrent deliveries of one id leave one record, one alert and one
//     conflict record per losing body, with DynamoDB and with the embedded
//     store of local mode;
//   - racing sweepers publish each alert once, an alert that keeps failing
//     is marked failed after its last attempt, and each failure moves the
//     alert's due time by the backoff.
//
// The tests skip under a plain `go test` and need the stand-ins that
// infra/stack/up.sh starts.
package faults
