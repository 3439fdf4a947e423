// Package rie holds no code of its own. Its tests build the ingest
// function's bootstrap binary as `sam build` does and run it under the AWS
// Lambda Runtime Interface Emulator (aws-lambda-rie), against DynamoDB Local
// and moto_server, with the environment template.yaml gives the function.
package rie
