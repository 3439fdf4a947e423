// Package alerttest builds envelopes for the alert packages' tests without
// going through the envelope parser.
package alerttest

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// Object is a JSON object whose members keep the order in which they are
// listed, for tests where member order matters. Each member is a key string
// and a value.
type Object [][2]any

// Value converts x to a jsjson.Value. It accepts nil, bool, string, int,
// int64, float64, jsjson.Value, Object, map[string]any (members sorted by
// key) and []any, recursively, and panics on any other type.
func Value(x any) jsjson.Value {
	switch x := x.(type) {
	case nil:
		return jsjson.Value{Kind: jsjson.Null}
	case bool:
		return jsjson.Value{Kind: jsjson.Bool, Bool: x}
	case string:
		return jsjson.Value{Kind: jsjson.String, Str: x}
	case int:
		return jsjson.Value{Kind: jsjson.Number, Num: float64(x), Literal: strconv.Itoa(x)}
	case int64:
		return jsjson.Value{Kind: jsjson.Number, Num: float64(x), Literal: strconv.FormatInt(x, 10)}
	case float64:
		return jsjson.Value{Kind: jsjson.Number, Num: x, Literal: strconv.FormatFloat(x, 'g', -1, 64)}
	case jsjson.Value:
		return x
	case Object:
		members := make([]jsjson.Member, 0, len(x))
		for _, m := range x {
			members = append(members, jsjson.Member{Key: m[0].(string), Value: Value(m[1])})
		}
		return jsjson.Value{Kind: jsjson.Object, Members: members}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		members := make([]jsjson.Member, 0, len(x))
		for _, k := range keys {
			members = append(members, jsjson.Member{Key: k, Value: Value(x[k])})
		}
		return jsjson.Value{Kind: jsjson.Object, Members: members}
	case []any:
		items := make([]jsjson.Value, 0, len(x))
		for _, item := range x {
			items = append(items, Value(item))
		}
		return jsjson.Value{Kind: jsjson.Array, Items: items}
	case []map[string]any:
		items := make([]jsjson.Value, 0, len(x))
		for _, item := range x {
			items = append(items, Value(item))
		}
		return jsjson.Value{Kind: jsjson.Array, Items: items}
	default:
		panic(fmt.Sprintf("alerttest.Value: unsupported type %T", x))
	}
}

// Event builds an envelope of eventType with category and kind set as the
// envelope parser would set them for the documented types, clinic reference
// clinic_1, job id 12345 and the given data.
func Event(id, eventType, category string, kind envelope.Kind, data any) *envelope.Envelope {
	dataValue := Value(data)
	root := Value(Object{
		{"id", id},
		{"access_token_reference_id", "clinic_1"},
		{"object", "event"},
		{"created", "2025-10-21T14:30:00.000Z"},
		{"type", eventType},
		{"job_id", "12345"},
		{"data", dataValue},
	})
	return &envelope.Envelope{
		ID:       id,
		Type:     eventType,
		Clinic:   "clinic_1",
		Object:   "event",
		Created:  "2025-10-21T14:30:00.000Z",
		JobID:    "12345",
		Data:     dataValue,
		Category: category,
		Kind:     kind,
		Known:    true,
		Root:     root,
	}
}

// Reasons returns a reasons array with one {code, description} object per
// pair of arguments.
func Reasons(codeDescription ...string) []any {
	var reasons []any
	for i := 0; i+1 < len(codeDescription); i += 2 {
		reasons = append(reasons, Object{
			{"code", codeDescription[i]},
			{"description", codeDescription[i+1]},
		})
	}
	return reasons
}
