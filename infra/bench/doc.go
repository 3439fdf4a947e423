// Package bench holds no production code. Its test counts the AWS requests
// the ingest handler sends per event, with the production SDK settings of
// shared/awsclient, against DynamoDB Local and moto_server.
package bench
