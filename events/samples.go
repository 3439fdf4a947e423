// Package events embeds the sample Cobalt webhook payloads in events/cobalt:
// one realistic event per documented event type, with fictional patients,
// clinics and ids. Tests and the sender tool in events/send use them.
package events

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

//go:embed cobalt/*.json
var files embed.FS

// Sample is one embedded Cobalt payload.
type Sample struct {
	// Name is the file's base name, such as "appointment.failed.json".
	Name string
	// Type is the event type, the file name without ".json".
	Type string
	// Body is the file's exact bytes, pretty-printed JSON.
	Body []byte
}

// Samples returns every embedded payload, sorted by name.
func Samples() ([]Sample, error) {
	names, err := fs.Glob(files, "cobalt/*.json")
	if err != nil {
		return nil, fmt.Errorf("list samples: %w", err)
	}
	sort.Strings(names)

	samples := make([]Sample, 0, len(names))
	for _, name := range names {
		body, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read sample %s: %w", name, err)
		}
		base := path.Base(name)
		samples = append(samples, Sample{
			Name: base,
			Type: strings.TrimSuffix(base, ".json"),
			Body: body,
		})
	}
	return samples, nil
}

// Canonical returns the compact JSON.stringify form of the sample's body,
// the bytes a Node.js sender would post.
func (s Sample) Canonical() ([]byte, error) {
	out, err := jsjson.Canonical(s.Body)
	if err != nil {
		return nil, fmt.Errorf("sample %s: %w", s.Name, err)
	}
	return out, nil
}
