package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/jsjson"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

const (
	defaultURL = "http://127.0.0.1:8080/webhooks/cobalt"
	// envSecret names a single webhook secret, read before config.EnvSecrets.
	envSecret      = "COBALT_WEBHOOK_SECRET"
	requestTimeout = 10 * time.Second
	// maxPrintedResponse is the maximum number of response body bytes printed.
	maxPrintedResponse = 4096
)

// Delivery headers Cobalt sends besides the signature, spelled in lower case
// as Cobalt sends them.
const (
	headerID        = "webhook-id"
	headerTimestamp = "webhook-timestamp"
	headerAttempt   = "webhook-attempt"
)

// options are the parsed command line.
type options struct {
	url     string
	secret  signature.Secret
	attempt int
	// idHeaders sends webhook-id and webhook-timestamp taken from the body.
	idHeaders bool
	all       bool
	files     []string
}

// payload is one body to send and the name printed for it.
type payload struct {
	name string
	body []byte
}

// errUsage marks a command line that cannot run.
var errUsage = errors.New("invalid usage")

// run sends every payload named by args and returns the exit status.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, getenv, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, err)
		}
		return 2
	}

	client := &http.Client{Timeout: requestTimeout}
	failed := false
	if opts.all {
		samples, err := events.Samples()
		if err != nil {
			fmt.Fprintf(stderr, "load embedded samples: %v\n", err)
			return 1
		}
		for _, s := range samples {
			ok := sendAndPrint(client, opts, payload{name: s.Name, body: s.Body}, stdout)
			failed = failed || !ok
		}
	}

	for _, file := range opts.files {
		body, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stdout, "%s error: %v\n", file, err)
			failed = true
			continue
		}
		ok := sendAndPrint(client, opts, payload{name: filepath.Base(file), body: body}, stdout)
		failed = failed || !ok
	}

	if failed {
		return 1
	}
	return 0
}

// parseOptions parses args into options.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: send [-url URL] [-secret S] [-attempt N] [-id-header=false] [-all] [FILE...]")
		fs.PrintDefaults()
	}

	var opts options
	var secret string
	fs.StringVar(&opts.url, "url", defaultURL, "receiver URL to POST to")
	fs.StringVar(&secret, "secret", "",
		"webhook secret (default: $"+envSecret+", else the first of $"+config.EnvSecrets+
			", else the local development secret)")
	fs.IntVar(&opts.attempt, "attempt", 1, "value of the webhook-attempt header, 1 or more")
	fs.BoolVar(&opts.idHeaders, "id-header", true,
		"send webhook-id and webhook-timestamp taken from the body's id and created")
	fs.BoolVar(&opts.all, "all", false, "send every embedded sample in events/cobalt")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}

	opts.files = fs.Args()
	opts.secret = resolveSecret(secret, getenv)
	if opts.attempt < 1 {
		return options{}, fmt.Errorf("%w: -attempt is %d, must be 1 or more", errUsage, opts.attempt)
	}
	if !opts.all && len(opts.files) == 0 {
		return options{}, fmt.Errorf("%w: give one or more files, or -all", errUsage)
	}
	return opts, nil
}

// resolveSecret returns the first secret set among the -secret flag,
// envSecret and the list in config.EnvSecrets, else config.DevelopmentSecret.
func resolveSecret(flagValue string, getenv func(string) string) signature.Secret {
	if s := strings.TrimSpace(flagValue); s != "" {
		return signature.Secret(s)
	}
	if s := strings.TrimSpace(getenv(envSecret)); s != "" {
		return signature.Secret(s)
	}
	if list := config.ParseSecrets(getenv(config.EnvSecrets)); len(list) > 0 {
		return list[0]
	}
	return config.DevelopmentSecret
}

// sendAndPrint posts p and prints its result line. It returns false when the
// request failed or the status is outside 2xx.
func sendAndPrint(client *http.Client, opts options, p payload, stdout io.Writer) bool {
	status, response, err := send(client, opts, p.body)
	if err != nil {
		fmt.Fprintf(stdout, "%s error: %v\n", p.name, err)
		return false
	}
	fmt.Fprintf(stdout, "%s %d %s\n", p.name, status, response)
	return status >= 200 && status < 300
}

// send posts body and returns the status and the response body on one line.
func send(client *http.Client, opts options, body []byte) (int, string, error) {
	req, err := newRequest(context.Background(), opts, body)
	if err != nil {
		return 0, "", err
	}
	// The client's timeout bounds the whole exchange, and its error names
	// the method and the URL.
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()

	response, err := io.ReadAll(io.LimitReader(resp.Body, maxPrintedResponse))
	if err != nil {
		return 0, "", fmt.Errorf("read response from %s: %w", opts.url, err)
	}
	return resp.StatusCode, oneLine(response), nil
}

// newRequest builds the signed POST of body with Cobalt's delivery headers.
// Header names are set in lower case, as Cobalt sends them.
func newRequest(ctx context.Context, opts options, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, opts.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request for %s: %w", opts.url, err)
	}

	req.Header.Set("Content-Type", "application/json")
	req.Header[signature.HeaderName] = []string{signature.Sign(body, opts.secret)}
	req.Header[headerAttempt] = []string{strconv.Itoa(opts.attempt)}
	if !opts.idHeaders {
		return req, nil
	}

	id, created := deliveryValues(body)
	if id != "" {
		req.Header[headerID] = []string{id}
	}
	if created != "" {
		req.Header[headerTimestamp] = []string{created}
	}
	return req, nil
}

// deliveryValues returns the body's id (a number as its literal text) and
// created, each "" when the body is not a JSON object or the value is absent,
// of another type, or not valid in a header.
func deliveryValues(body []byte) (id, created string) {
	root, err := jsjson.Parse(body)
	if err != nil || root.Kind != jsjson.Object {
		return "", ""
	}

	if v, ok := root.Get("id"); ok {
		switch v.Kind {
		case jsjson.String:
			id = v.Str
		case jsjson.Number:
			id = v.Literal
		}
	}
	if v, ok := root.Get("created"); ok && v.Kind == jsjson.String {
		created = v.Str
	}
	return headerSafe(id), headerSafe(created)
}

// headerSafe returns s, or "" when s holds a control character that net/http
// rejects in a header value.
func headerSafe(s string) string {
	for i := 0; i < len(s); i++ {
		if (s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f {
			return ""
		}
	}
	return s
}

// oneLine returns b as text on one line, without surrounding white space.
func oneLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}
