package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/redrive"
)

// errUsage marks a command line that cannot run.
var errUsage = errors.New("invalid usage")

// options are the parsed command line.
type options struct {
	table string
	// local is the base URL of a local-mode receiver.
	local    string
	selector redrive.Selector
	dryRun   bool
	yes      bool
	// publishNow runs one sweep from the tool after the requeue (-table
	// only); topicsFromEnv confirms the topic ARNs come from the
	// environment.
	publishNow    bool
	topicsFromEnv bool
}

const usageLine = `usage: redrive (-table NAME | -local URL) [-id ID]... [-job ID]... [-type TYPE] [-category CATEGORY]
               [-from TIME] [-to TIME] [-dry-run] [-yes] [-publish-now -topics-from-env]`

// parseOptions parses args into options.
func parseOptions(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("redrive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, usageLine)
		fs.PrintDefaults()
	}

	opts := &options{}
	var from, to string
	fs.StringVar(&opts.table, "table", "",
		"DynamoDB table of a deployed stack (the stack's TableName output)")
	fs.StringVar(&opts.local, "local", "",
		"base URL of a local-mode receiver, such as http://127.0.0.1:8080")
	fs.Func("id", "event id to redrive; repeat for several", appendTo(&opts.selector.IDs, "-id"))
	fs.Func("job", "Cobalt job id whose events to redrive; repeat for several",
		appendTo(&opts.selector.JobIDs, "-job"))
	fs.StringVar(&opts.selector.Type, "type", "", "event type, a failure or partial type such as appointment.failed")
	fs.StringVar(&opts.selector.Category, "category", "",
		"event category: "+strings.Join(alert.Topics(), ", "))
	fs.StringVar(&from, "from", "", "earliest received time, RFC 3339, inclusive")
	fs.StringVar(&to, "to", "", "latest received time, RFC 3339, exclusive")
	fs.BoolVar(&opts.dryRun, "dry-run", false, "list what would be redriven and change nothing")
	fs.BoolVar(&opts.yes, "yes", false,
		fmt.Sprintf("allow changing more than %d alerts in one run", maxWithoutYes))
	fs.BoolVar(&opts.publishNow, "publish-now", false,
		"with -table, run one sweep from this tool after the requeue instead of waiting for the scheduled sweep")
	fs.BoolVar(&opts.topicsFromEnv, "topics-from-env", false,
		"read the topic ARNs for -publish-now from the ALERT_TOPIC_ARN_* variables, as the functions do")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q: give event ids with -id", errUsage, fs.Arg(0))
	}

	var problems []string
	var err error
	if opts.selector.From, err = parseTime("-from", from); err != nil {
		problems = append(problems, err.Error())
	}
	if opts.selector.To, err = parseTime("-to", to); err != nil {
		problems = append(problems, err.Error())
	}
	problems = append(problems, opts.modeProblems()...)
	if err := opts.selector.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", errUsage, strings.Join(problems, "; "))
	}
	return opts, nil
}

// modeProblems lists what is wrong with the choice of mode and its flags.
func (o *options) modeProblems() []string {
	var problems []string
	switch {
	case o.table == "" && o.local == "":
		problems = append(problems, "give -table NAME for a deployed stack or -local URL for a local receiver")
	case o.table != "" && o.local != "":
		problems = append(problems, "give either -table or -local, not both")
	}
	if o.local != "" {
		if err := checkLocalURL(o.local); err != nil {
			problems = append(problems, err.Error())
		}
		if o.publishNow || o.topicsFromEnv {
			problems = append(problems, "-publish-now and -topics-from-env apply to -table only: "+
				"the local receiver runs the sweep at once by itself")
		}
	}
	switch {
	case o.publishNow && !o.topicsFromEnv:
		problems = append(problems, "-publish-now needs -topics-from-env and the ALERT_TOPIC_ARN_* variables set")
	case o.topicsFromEnv && !o.publishNow:
		problems = append(problems, "-topics-from-env is used only with -publish-now")
	}
	if o.publishNow && o.dryRun {
		problems = append(problems, "-publish-now has no effect with -dry-run, which changes nothing")
	}
	return problems
}

func appendTo(list *[]string, name string) func(string) error {
	return func(value string) error {
		if strings.TrimSpace(value) == "" {
			return fmt.Errorf("%s is empty", name)
		}
		*list = append(*list, value)
		return nil
	}
}

func parseTime(name, value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time such as 2026-03-01T00:00:00Z", name, value)
	}
	return t, nil
}

// checkLocalURL accepts an http or https URL with a host and no path, query
// or fragment.
func checkLocalURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("-local %q is not a URL such as http://127.0.0.1:8080", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("-local %q must start with http:// or https://, as in http://127.0.0.1:8080", raw)
	case u.Host == "":
		return fmt.Errorf("-local %q has no host", raw)
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("-local %q must be the receiver's base URL, without a path", raw)
	}
	return nil
}
