package envelope

import (
	"strings"
	"time"
)

// dateTimeLayouts are the ISO 8601 forms Cobalt has sent, tried in order
// after normalizeDateTime. Go's parser accepts a fractional second after the
// seconds field even when the layout has none. Z0700 accepts both "Z" and
// offsets without a colon.
var dateTimeLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04:05", // no zone: UTC
	"2006-01-02T15:04",    // no zone: UTC
}

// ParseTime parses an ISO 8601 date-time leniently and returns it in UTC.
// Seconds and fractional seconds are optional. The zone may be "Z", a numeric
// offset with or without a colon, or absent, which means UTC. Date and time
// may be separated by "T", "t" or a space. It returns false for anything else.
func ParseTime(s string) (time.Time, bool) {
	s = normalizeDateTime(s)
	for _, layout := range dateTimeLayouts {
		t, err := time.ParseInLocation(layout, s, time.UTC)
		if err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// normalizeDateTime rewrites the separator and the zone letter that RFC 3339
// allows in lower case, and a space separator, into the forms the layouts use.
func normalizeDateTime(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 10 && (s[10] == ' ' || s[10] == 't') {
		s = s[:10] + "T" + s[11:]
	}
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	return s
}

// isDate reports whether s is a calendar date in the form YYYY-MM-DD.
func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}
