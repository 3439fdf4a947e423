package envelope

import (
	"fmt"
	"slices"
	"strings"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// reasonsKey is the data member that carries failure reasons.
const reasonsKey = "reasons"

// maxSchemaIssues bounds the schema issues kept for one event, so that a
// large malformed array cannot produce a record or log line of its own size.
const maxSchemaIssues = 32

// moreIssues is the last schema issue when more than maxSchemaIssues were
// found.
const moreIssues = "further schema issues not listed"

// CheckData returns the schema issues of data for eventType. For a catalogue
// type it reports each expected field that is missing, each field of a JSON
// type the catalogue does not allow, and each string that does not have its
// field's format. For any type it reports a reasons member that is not an
// array of objects with a string code and a string description. Issues name
// fields and JSON types, never values. The result is nil when data matches.
func CheckData(eventType string, data jsjson.Value) []string {
	if data.Kind != jsjson.Object {
		return []string{"data must be an object, got " + kindName(data.Kind)}
	}

	var issues []string
	if spec, ok := lookup(eventType); ok {
		for _, f := range spec.Fields {
			issues = append(issues, checkField(f, data)...)
		}
	}
	issues = append(issues, checkReasons(data)...)
	return capIssues(issues)
}

// checkField returns the issues of field f in data. The reasons member is
// checked by checkReasons for every type, so here only its absence counts.
func checkField(f Field, data jsjson.Value) []string {
	var issues []string
	present := false
	for _, name := range append([]string{f.Name}, f.Aliases...) {
		v, ok := data.Get(name)
		if !ok {
			continue
		}
		present = true
		if name == reasonsKey {
			continue
		}
		issues = append(issues, checkValue(f, "data."+name, v)...)
	}

	if !present && f.Expected {
		issues = append(issues, "data."+f.Name+" is missing")
	}
	return issues
}

// checkValue returns the issues of value v of field f, found at path.
func checkValue(f Field, path string, v jsjson.Value) []string {
	if !slices.Contains(f.Types, v.Kind) {
		return []string{typeIssue(path, f.Types, v.Kind)}
	}

	if v.Kind == jsjson.String {
		switch f.Format {
		case FormatDateTime:
			if _, ok := ParseTime(v.Str); !ok {
				return []string{path + ": not an ISO 8601 date-time"}
			}
		case FormatDate:
			if !isDate(v.Str) {
				return []string{path + ": not a YYYY-MM-DD date"}
			}
		}
	}

	var issues []string
	if v.Kind == jsjson.Array && len(f.ItemTypes) > 0 {
		for i, item := range v.Items {
			if len(issues) > maxSchemaIssues {
				break
			}
			if !slices.Contains(f.ItemTypes, item.Kind) {
				itemPath := fmt.Sprintf("%s[%d]", path, i)
				issues = append(issues, typeIssue(itemPath, f.ItemTypes, item.Kind))
			}
		}
	}
	return issues
}

// checkReasons returns the issues of data.reasons when it is present.
func checkReasons(data jsjson.Value) []string {
	v, ok := data.Get(reasonsKey)
	if !ok {
		return nil
	}
	if v.Kind != jsjson.Array {
		return []string{typeIssue("data.reasons", typeArray, v.Kind)}
	}

	var issues []string
	for i, item := range v.Items {
		if len(issues) > maxSchemaIssues {
			break
		}
		path := fmt.Sprintf("data.reasons[%d]", i)
		if item.Kind != jsjson.Object {
			issues = append(issues, typeIssue(path, typeObject, item.Kind))
			continue
		}
		for _, name := range []string{"code", "description"} {
			member, ok := item.Get(name)
			switch {
			case !ok:
				issues = append(issues, path+"."+name+" is missing")
			case member.Kind != jsjson.String:
				issues = append(issues, typeIssue(path+"."+name, typeString, member.Kind))
			}
		}
	}
	return issues
}

// typeIssue returns the issue for a value of JSON type got at path where one
// of want was expected, such as "data.mrn: expected string, got number".
func typeIssue(path string, want []jsjson.Kind, got jsjson.Kind) string {
	names := make([]string, len(want))
	for i, k := range want {
		names[i] = kindName(k)
	}

	var expected string
	switch len(names) {
	case 1:
		expected = names[0]
	case 2:
		expected = names[0] + " or " + names[1]
	default:
		expected = strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	}
	return fmt.Sprintf("%s: expected %s, got %s", path, expected, kindName(got))
}

// capIssues returns issues cut to maxSchemaIssues entries, the last of them
// moreIssues when any were dropped.
func capIssues(issues []string) []string {
	if len(issues) <= maxSchemaIssues {
		return issues
	}
	return append(issues[:maxSchemaIssues-1:maxSchemaIssues-1], moreIssues)
}
