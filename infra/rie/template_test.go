package rie_test

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	templatePath = "../../template.yaml"
	// ingestFunction is the ingest function's logical id in the template.
	ingestFunction = "IngestFunction"
)

// templateEnvironment returns the environment variables template.yaml gives
// the ingest function: those of Globals.Function, then the function's own.
// A value is the variable's literal text, or the default of the parameter a
// !Ref names. It is "" for anything the stack resolves at deploy time
// (resources, !Sub, !If), which the test must supply.
func templateEnvironment(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatalf("read template: %v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse %s: %v", templatePath, err)
	}
	if len(doc.Content) == 0 {
		t.Fatalf("%s is empty", templatePath)
	}
	root := doc.Content[0]

	defaults := map[string]string{}
	if params := child(root, "Parameters"); params != nil {
		for i := 0; i+1 < len(params.Content); i += 2 {
			if def := child(params.Content[i+1], "Default"); def != nil && def.Kind == yaml.ScalarNode {
				defaults[params.Content[i].Value] = def.Value
			}
		}
	}

	env := map[string]string{}
	for _, vars := range []*yaml.Node{
		child(root, "Globals", "Function", "Environment", "Variables"),
		child(root, "Resources", ingestFunction, "Properties", "Environment", "Variables"),
	} {
		if vars == nil {
			continue
		}
		for i := 0; i+1 < len(vars.Content); i += 2 {
			env[vars.Content[i].Value] = scalarValue(vars.Content[i+1], defaults)
		}
	}
	if len(env) == 0 {
		t.Fatalf("%s gives %s no environment variables", templatePath, ingestFunction)
	}
	return env
}

// scalarValue returns the text of a plain scalar, the default of the
// parameter a !Ref names, or "" for any other value.
func scalarValue(n *yaml.Node, defaults map[string]string) string {
	if n.Kind != yaml.ScalarNode {
		return ""
	}
	switch n.Tag {
	case "!!str", "!!int", "!!float", "!!bool":
		return n.Value
	case "!Ref":
		return defaults[n.Value]
	}
	return ""
}

// child follows keys through nested mappings and returns the node found, or
// nil when a key is missing.
func child(n *yaml.Node, keys ...string) *yaml.Node {
	for _, key := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

func TestTemplateEnvironmentResolvesDefaults(t *testing.T) {
	env := templateEnvironment(t)
	// WEBHOOK_SECRET_ID names a resource, so only the deployed stack knows
	// its value.
	if v, ok := env["WEBHOOK_SECRET_ID"]; !ok || v != "" {
		t.Errorf("WEBHOOK_SECRET_ID = %q (present %v), want present without a value", v, ok)
	}
	if v := env["WEBHOOK_SECRET_REFRESH_SECONDS"]; v == "" {
		t.Error("WEBHOOK_SECRET_REFRESH_SECONDS has no literal value in the template")
	}
	if v := env["ALERT_LEASE_SECONDS"]; v == "" {
		t.Error("ALERT_LEASE_SECONDS has no value from its parameter's default")
	}
}
