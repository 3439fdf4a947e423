// Command send posts Cobalt webhook payloads to a receiver, signed the way
// Cobalt signs them, and prints one line per file: the file name, the HTTP
// status and the response body.
//
// Usage:
//
//	go run ./events/send [-url URL] [-secret S] [-attempt N] [-id-header=false] [-all] [FILE...]
//
// Each file is sent byte for byte, JSON or not. -all sends every embedded
// sample in events/cobalt. The secret comes from -secret, else
// COBALT_WEBHOOK_SECRET, else the first secret in COBALT_WEBHOOK_SECRETS,
// else the local receiver's development secret. The exit status is 1 when
// any request fails or gets a status outside 2xx, and 2 for invalid usage.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
