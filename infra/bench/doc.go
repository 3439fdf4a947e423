// Package bench holds no production code. Its test counts the AWS requests
// the ingest handler sends per event, with the production SDK settings of
// shared/awsclient, against DynamoDB Local and moto_server.
//
// The commands below it measure the receiver. load compares the handler
// with a bare conditional PutItem loop on DynamoDB Local. coldstart times
// the Lambda bootstrap under the Runtime Interface Emulator and reads its
// peak memory. localload drives local mode. report writes BENCHMARKS.md
// from their results, and run.sh runs them all.
package bench
