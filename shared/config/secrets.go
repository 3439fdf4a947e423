package config

import (
	"encoding/json"

	"github.com/clinicops/cobalt-receiver/shared/signature"
)

func parseJSONStrings(s string) ([]signature.Secret, bool) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, false
	}
	var out []signature.Secret
	for _, v := range list {
		if v != "" {
			out = append(out, signature.Secret(v))
		}
	}
	return out, true
}
