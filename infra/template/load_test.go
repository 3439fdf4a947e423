package template_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/intrinsics"
	"gopkg.in/yaml.v3"
)

const (
	templatePath  = "../../template.yaml"
	samconfigPath = "../../samconfig.toml"
	makefilePath  = "../../Makefile"
)

// rawTemplate is template.yaml decoded by yaml.v3 into maps, slices and
// scalars, with every short-form tag (!Ref, !Sub, !GetAtt...) turned into the
// long form that CloudFormation's JSON syntax uses, such as {"Ref": "Table"}.
type rawTemplate map[string]any

// loadRaw reads and decodes template.yaml.
func loadRaw(t *testing.T) rawTemplate {
	t.Helper()
	data, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatalf("read template: %v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse %s: %v", templatePath, err)
	}
	v, err := decodeNode(&doc)
	if err != nil {
		t.Fatalf("decode %s: %v", templatePath, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: top level is %T, want a mapping", templatePath, v)
	}
	return m
}

// decodeNode converts a yaml.v3 node into plain Go values. A node carrying a
// CloudFormation short-form tag becomes a one-key map of the long form:
// !GetAtt "A.B" becomes {"Fn::GetAtt": ["A", "B"]}, !Ref and !Condition keep
// their names and every other tag gets the "Fn::" prefix.
func decodeNode(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return decodeNode(n.Content[0])
	case yaml.AliasNode:
		return decodeNode(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if _, dup := m[key]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", n.Content[i].Line, key)
			}
			val, err := decodeNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[key] = val
		}
		v = m
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := decodeNode(c)
			if err != nil {
				return nil, err
			}
			list = append(list, val)
		}
		v = list
	case yaml.ScalarNode:
		if isShortForm(n.Tag) {
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node kind %v", n.Line, n.Kind)
	}
	if !isShortForm(n.Tag) {
		return v, nil
	}
	name := strings.TrimPrefix(n.Tag, "!")
	switch name {
	case "Ref", "Condition":
	case "GetAtt":
		if s, ok := v.(string); ok {
			resource, attribute, _ := strings.Cut(s, ".")
			v = []any{resource, attribute}
		}
		name = "Fn::GetAtt"
	default:
		name = "Fn::" + name
	}
	return map[string]any{name: v}, nil
}

// isShortForm reports whether tag is a CloudFormation short-form tag rather
// than a YAML core tag such as !!str.
func isShortForm(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

// section returns the top-level section name of the template as a map.
func (r rawTemplate) section(t *testing.T, name string) map[string]any {
	t.Helper()
	m, ok := r[name].(map[string]any)
	if !ok {
		t.Fatalf("template has no %s section", name)
	}
	return m
}

// resource returns the raw definition of the resource with logical id.
func (r rawTemplate) resource(t *testing.T, id string) map[string]any {
	t.Helper()
	res, ok := r.section(t, "Resources")[id].(map[string]any)
	if !ok {
		t.Fatalf("template has no resource %s", id)
	}
	return res
}

// resourcesOfType returns the logical ids of the resources of typ, sorted.
func (r rawTemplate) resourcesOfType(t *testing.T, typ string) []string {
	t.Helper()
	var ids []string
	for id, res := range r.section(t, "Resources") {
		if m, ok := res.(map[string]any); ok && m["Type"] == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// lookup follows path through nested maps and returns the value at its end.
func lookup(v any, path ...string) (any, bool) {
	if r, ok := v.(rawTemplate); ok {
		v = map[string]any(r)
	}
	for _, key := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[key]; !ok {
			return nil, false
		}
	}
	return v, true
}

// describe renders a raw value as one string, writing each intrinsic in the
// notation of Fn::Sub: {"Ref": "X"} as "${X}", {"Fn::GetAtt": ["X", "Arn"]}
// as "${X.Arn}" and a Fn::Sub as its template string. Other intrinsics are
// written as their JSON form, so comparisons with them fail visibly.
func describe(v any) string {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for name, arg := range m {
			switch name {
			case "Ref":
				return fmt.Sprintf("${%v}", arg)
			case "Fn::GetAtt":
				if parts, ok := arg.([]any); ok && len(parts) == 2 {
					return fmt.Sprintf("${%v.%v}", parts[0], parts[1])
				}
			case "Fn::Sub":
				if s, ok := arg.(string); ok {
					return s
				}
				if list, ok := arg.([]any); ok && len(list) > 0 {
					return fmt.Sprint(list[0])
				}
			}
		}
	}
	if s, ok := v.(string); ok {
		return s
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

// renderer replaces intrinsics with plain values so that goformation's typed
// resources can hold them. A Ref to a parameter becomes the parameter's
// value, its Default unless overridden. Fn::If picks its branch by evaluating
// the condition with those values, and a Ref to AWS::NoValue removes the
// property. Refs to resources, Fn::GetAtt and Fn::Sub become strings as
// describe writes them.
type renderer struct {
	params     map[string]any
	conditions map[string]any
	overrides  map[string]any
	// evaluating guards against conditions that refer to themselves.
	evaluating map[string]bool
}

// absent is what a property rendered from Ref AWS::NoValue turns into; the
// enclosing map or list drops it.
type absent struct{}

func newRenderer(raw rawTemplate, overrides map[string]any) *renderer {
	conditions, _ := raw["Conditions"].(map[string]any)
	params, _ := raw["Parameters"].(map[string]any)
	return &renderer{params: params, conditions: conditions, overrides: overrides, evaluating: map[string]bool{}}
}

// paramValue returns the value of parameter name.
func (r *renderer) paramValue(name string) (any, bool) {
	if v, ok := r.overrides[name]; ok {
		return v, true
	}
	def, ok := r.params[name].(map[string]any)
	if !ok {
		return nil, false
	}
	return def["Default"], true
}

func (r *renderer) render(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for name, arg := range v {
				if name == "Ref" || strings.HasPrefix(name, "Fn::") {
					return r.intrinsic(name, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for key, val := range v {
			rendered, err := r.render(val)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			if _, skip := rendered.(absent); !skip {
				out[key] = rendered
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(v))
		for i, val := range v {
			rendered, err := r.render(val)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if _, skip := rendered.(absent); !skip {
				out = append(out, rendered)
			}
		}
		return out, nil
	}
	return v, nil
}

func (r *renderer) intrinsic(name string, arg any) (any, error) {
	switch name {
	case "Ref":
		ref := fmt.Sprint(arg)
		if ref == "AWS::NoValue" {
			return absent{}, nil
		}
		if v, ok := r.paramValue(ref); ok {
			return v, nil
		}
		return describe(map[string]any{name: arg}), nil
	case "Fn::GetAtt", "Fn::Sub":
		return describe(map[string]any{name: arg}), nil
	case "Fn::If":
		args, ok := arg.([]any)
		if !ok || len(args) != 3 {
			return nil, fmt.Errorf("Fn::If takes [condition, then, else], got %v", arg)
		}
		cond, err := r.condition(fmt.Sprint(args[0]))
		if err != nil {
			return nil, err
		}
		if cond {
			return r.render(args[1])
		}
		return r.render(args[2])
	case "Fn::Join":
		args, ok := arg.([]any)
		if !ok || len(args) != 2 {
			return nil, fmt.Errorf("Fn::Join takes [separator, list], got %v", arg)
		}
		items, err := r.render(args[1])
		if err != nil {
			return nil, err
		}
		list, ok := items.([]any)
		if !ok {
			return nil, fmt.Errorf("Fn::Join list is %T", items)
		}
		parts := make([]string, len(list))
		for i, item := range list {
			parts[i] = fmt.Sprint(item)
		}
		return strings.Join(parts, fmt.Sprint(args[0])), nil
	}
	return nil, fmt.Errorf("intrinsic %s is not supported by this test's renderer", name)
}

// condition evaluates the named condition with the parameter values.
func (r *renderer) condition(name string) (bool, error) {
	expr, ok := r.conditions[name]
	if !ok {
		return false, fmt.Errorf("condition %s is not defined", name)
	}
	if r.evaluating[name] {
		return false, fmt.Errorf("condition %s refers to itself", name)
	}
	r.evaluating[name] = true
	defer delete(r.evaluating, name)
	return r.evaluate(expr)
}

func (r *renderer) evaluate(expr any) (bool, error) {
	m, ok := expr.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("condition expression %v is not a one-key map", expr)
	}
	for name, arg := range m {
		if name == "Condition" {
			return r.condition(fmt.Sprint(arg))
		}
		args, ok := arg.([]any)
		if !ok {
			return false, fmt.Errorf("%s takes a list, got %v", name, arg)
		}
		switch name {
		case "Fn::Equals":
			if len(args) != 2 {
				return false, fmt.Errorf("Fn::Equals takes two values, got %d", len(args))
			}
			a, err := r.render(args[0])
			if err != nil {
				return false, err
			}
			b, err := r.render(args[1])
			if err != nil {
				return false, err
			}
			// CloudFormation compares the string forms, so 0 equals "0".
			return fmt.Sprint(a) == fmt.Sprint(b), nil
		case "Fn::Not", "Fn::And", "Fn::Or":
			values := make([]bool, len(args))
			for i, a := range args {
				v, err := r.evaluate(a)
				if err != nil {
					return false, err
				}
				values[i] = v
			}
			return combine(name, values)
		}
		return false, fmt.Errorf("condition function %s is not supported by this test's renderer", name)
	}
	return false, nil
}

func combine(name string, values []bool) (bool, error) {
	switch name {
	case "Fn::Not":
		if len(values) != 1 {
			return false, fmt.Errorf("Fn::Not takes one condition, got %d", len(values))
		}
		return !values[0], nil
	case "Fn::And":
		for _, v := range values {
			if !v {
				return false, nil
			}
		}
		return true, nil
	default:
		for _, v := range values {
			if v {
				return true, nil
			}
		}
		return false, nil
	}
}

// unknownToGoformation lists, per resource type, the properties that SAM
// accepts but goformation v7.14.9's types lack: with DisallowUnknownFields in
// its decoder, either would make the whole template fail to parse. The tests
// read them from the raw template instead.
var unknownToGoformation = map[string][]string{
	"AWS::Serverless::Function": {"LoggingConfig"},
	// goformation spells it AccessLogSetting, as AWS::Serverless::Api does;
	// SAM's HttpApi takes AccessLogSettings.
	"AWS::Serverless::HttpApi": {"AccessLogSettings"},
}

// parseTemplate renders the raw template with parameter values (defaults
// unless overridden) and parses the result with goformation.
func parseTemplate(t *testing.T, raw rawTemplate, overrides map[string]any) *cloudformation.Template {
	t.Helper()
	r := newRenderer(raw, overrides)
	doc := map[string]any{}
	for key, val := range raw {
		switch key {
		case "Parameters", "Conditions":
			doc[key] = val
			continue
		}
		rendered, err := r.render(val)
		if err != nil {
			t.Fatalf("render %s: %v", key, err)
		}
		doc[key] = rendered
	}
	if err := adaptForGoformation(doc); err != nil {
		t.Fatalf("prepare template for goformation: %v", err)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("encode rendered template: %v", err)
	}
	tpl, err := goformation.ParseJSONWithOptions(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatalf("goformation cannot parse the template: %v", err)
	}
	return tpl
}

// adaptForGoformation removes the properties in unknownToGoformation and
// turns environment variable values into strings, as CloudFormation does with
// a number there, because goformation's Variables is a map of strings.
func adaptForGoformation(doc map[string]any) error {
	if fn, ok := lookup(doc, "Globals", "Function"); ok {
		props, _ := fn.(map[string]any)
		for _, name := range unknownToGoformation["AWS::Serverless::Function"] {
			delete(props, name)
		}
		stringifyVariables(props)
	}
	resources, ok := doc["Resources"].(map[string]any)
	if !ok {
		return fmt.Errorf("no Resources section")
	}
	for _, res := range resources {
		m, _ := res.(map[string]any)
		typ, _ := m["Type"].(string)
		props, _ := m["Properties"].(map[string]any)
		for _, name := range unknownToGoformation[typ] {
			delete(props, name)
		}
		if typ == "AWS::Serverless::Function" {
			stringifyVariables(props)
		}
	}
	return nil
}

func stringifyVariables(props map[string]any) {
	vars, ok := lookup(props, "Environment", "Variables")
	if !ok {
		return
	}
	m, _ := vars.(map[string]any)
	for name, v := range m {
		m[name] = fmt.Sprint(v)
	}
}

// subVariable matches a ${Name} or ${Name.Attribute} reference in a Fn::Sub
// template; ${!Literal} is an escaped literal and does not match.
var subVariable = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

// references collects every name a value refers to through Ref, Fn::GetAtt
// (the resource) and the variables of Fn::Sub, and every condition named by
// Condition or Fn::If.
func references(v any, refs, conditions map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for key, val := range v {
			switch key {
			case "Ref":
				refs[fmt.Sprint(val)] = true
			case "Fn::GetAtt":
				if parts, ok := val.([]any); ok && len(parts) > 0 {
					refs[fmt.Sprint(parts[0])] = true
				}
			case "Fn::Sub":
				subReferences(val, refs)
			case "Condition":
				if s, ok := val.(string); ok {
					conditions[s] = true
				}
			case "Fn::If":
				if args, ok := val.([]any); ok && len(args) > 0 {
					conditions[fmt.Sprint(args[0])] = true
				}
			}
			references(val, refs, conditions)
		}
	case []any:
		for _, val := range v {
			references(val, refs, conditions)
		}
	}
}

func subReferences(arg any, refs map[string]bool) {
	template, vars := "", map[string]any{}
	switch arg := arg.(type) {
	case string:
		template = arg
	case []any:
		if len(arg) > 0 {
			template, _ = arg[0].(string)
		}
		if len(arg) > 1 {
			vars, _ = arg[1].(map[string]any)
		}
	}
	for _, m := range subVariable.FindAllStringSubmatch(template, -1) {
		name, _, _ := strings.Cut(m[1], ".")
		if _, local := vars[name]; !local {
			refs[name] = true
		}
	}
}
