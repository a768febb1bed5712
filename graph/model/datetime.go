package model

import (
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// DateTime is a moment for the DateTime scalar.
type DateTime = time.Time

// MarshalDateTime writes the DateTime scalar exactly as gqlgen's
// graphql.MarshalTime does (RFC 3339 with nanoseconds, null for the zero
// time), which direct execution's writer is held to.
func MarshalDateTime(t time.Time) graphql.Marshaler { return graphql.MarshalTime(t) }

// UnmarshalDateTime reads an RFC 3339 moment with its offset. Anything else
// (a bare date, a time without a zone, "now", a number, an impossible day)
// is INVALID_ARGUMENT with the expected form, where gqlgen's own
// UnmarshalTime gave a plain error that surfaced as INTERNAL.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, hin.Errorf(hin.EINVALID, "a DateTime must be a string like 2024-04-01T09:30:00Z")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return time.Time{}, hin.Errorf(hin.EINVALID, "%s is not a valid DateTime; use RFC 3339 with a time zone, e.g. 2024-04-01T09:30:00Z", strconv.Quote(s))
	}
	if t.Year() < 1900 || t.Year() > 2200 {
		return time.Time{}, hin.Errorf(hin.EINVALID, "%s is outside the supported years 1900 to 2200", strconv.Quote(s))
	}
	return t, nil
}
