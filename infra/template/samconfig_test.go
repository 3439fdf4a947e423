package template_test

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// samconfig maps "env.command.parameters" to the keys of that table.
type samconfig map[string]map[string]any

// loadSamconfig reads samconfig.toml. It understands only the part of TOML
// that SAM CLI writes: table headers, and keys whose values are strings,
// booleans, numbers or arrays of strings, one array element per line. It
// fails the test on anything else, so a new construct cannot be skipped
// silently.
func loadSamconfig(t *testing.T) (samconfig, string) {
	t.Helper()
	f, err := os.Open(samconfigPath)
	if err != nil {
		t.Fatalf("open samconfig: %v", err)
	}
	defer f.Close()

	cfg := samconfig{}
	var version string
	var table map[string]any
	var arrayKey string
	var array []string
	scanner := bufio.NewScanner(f)
	for line := 1; scanner.Scan(); line++ {
		text := strings.TrimSpace(scanner.Text())
		switch {
		case text == "" || strings.HasPrefix(text, "#"):
		case arrayKey != "":
			if text == "]" {
				table[arrayKey], arrayKey = array, ""
				continue
			}
			s, err := strconv.Unquote(strings.TrimSuffix(text, ","))
			if err != nil {
				t.Fatalf("samconfig line %d: array element %q is not a quoted string", line, text)
			}
			array = append(array, s)
		case strings.HasPrefix(text, "["):
			name := strings.Trim(text, "[]")
			table = map[string]any{}
			cfg[name] = table
		default:
			key, value, ok := strings.Cut(text, " = ")
			if !ok {
				t.Fatalf("samconfig line %d: %q is not key = value", line, text)
			}
			if key == "version" && table == nil {
				version = value
				continue
			}
			if table == nil {
				t.Fatalf("samconfig line %d: key %s outside a table", line, key)
			}
			if value == "[" {
				arrayKey, array = key, nil
				continue
			}
			v, err := samconfigScalar(value)
			if err != nil {
				t.Fatalf("samconfig line %d: %v", line, err)
			}
			table[key] = v
		}
	}
	if err := scanner.Err(); err != nil {
		t.Fatalf("read samconfig: %v", err)
	}
	if arrayKey != "" {
		t.Fatalf("samconfig: array %s is not closed", arrayKey)
	}
	return cfg, version
}

func samconfigScalar(value string) (any, error) {
	switch value {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	if s, err := strconv.Unquote(value); err == nil {
		return s, nil
	}
	if n, err := strconv.ParseFloat(value, 64); err == nil {
		return n, nil
	}
	return nil, fmt.Errorf("value %q is not a string, boolean or number", value)
}

// overridePattern matches one Key=Value element of parameter_overrides, the
// value bare or in double quotes, as SAM CLI parses it.
var overridePattern = regexp.MustCompile(`^([A-Za-z0-9]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))$`)

func TestSamconfigEnvironments(t *testing.T) {
	cfg, version := loadSamconfig(t)
	raw := loadRaw(t)
	params := parseTemplate(t, raw, nil).Parameters

	if version != "0.1" {
		t.Errorf("version = %s, want 0.1", version)
	}
	stacks := map[string]string{}
	for _, env := range []string{"default", "production"} {
		t.Run(env, func(t *testing.T) {
			global := cfg[env+".global.parameters"]
			deploy := cfg[env+".deploy.parameters"]
			if deploy == nil {
				t.Fatalf("samconfig has no [%s.deploy.parameters]", env)
			}
			stack, _ := global["stack_name"].(string)
			if stack == "" {
				t.Errorf("[%s.global.parameters] has no stack_name", env)
			}
			stacks[env] = stack

			want := map[string]any{
				"capabilities":      "CAPABILITY_IAM",
				"confirm_changeset": true,
				"resolve_s3":        true,
			}
			for key, w := range want {
				if deploy[key] != w {
					t.Errorf("%s = %v, want %v", key, deploy[key], w)
				}
			}

			overrides, ok := deploy["parameter_overrides"].([]string)
			if !ok {
				t.Fatalf("parameter_overrides is not an array of Key=Value strings")
			}
			seen := map[string]bool{}
			for _, o := range overrides {
				m := overridePattern.FindStringSubmatch(o)
				if m == nil {
					t.Errorf("override %q is not Key=Value or Key=\"Value\"", o)
					continue
				}
				name, value := m[1], m[2]+m[3]
				seen[name] = true
				p, ok := params[name]
				if !ok {
					t.Errorf("override %s names no template parameter", name)
					continue
				}
				if err := checkParameterValue(p, value); err != nil {
					t.Errorf("override %s: %v", name, err)
				}
			}
			for name := range params {
				if !seen[name] {
					t.Errorf("parameter %s has no override, so this environment takes whatever default the template has", name)
				}
			}
		})
	}
	if stacks["default"] == stacks["production"] {
		t.Errorf("default and production share the stack name %q", stacks["default"])
	}

	prod := cfg["production.deploy.parameters"]
	overrides, _ := prod["parameter_overrides"].([]string)
	if !slices.Contains(overrides, "Stage=prod") {
		t.Errorf("production does not deploy Stage=prod: %v", overrides)
	}
}
