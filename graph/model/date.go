package model

import (
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Date is a calendar day for the Date scalar.
type Date = time.Time

// MarshalDate writes the Date scalar: a calendar day as YYYY-MM-DD.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(t.Format(time.DateOnly))) })
}

// UnmarshalDate reads YYYY-MM-DD, rejecting anything else with a message
// that shows the expected form.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, hin.Errorf(hin.EINVALID, "a Date must be a string like 2024-04-01")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return time.Time{}, hin.Errorf(hin.EINVALID, "%s is not a valid Date; use YYYY-MM-DD, e.g. 2024-04-01", strconv.Quote(s))
	}
	if t.Year() < 1900 || t.Year() > 2200 {
		return time.Time{}, hin.Errorf(hin.EINVALID, "%s is outside the supported years 1900 to 2200", s)
	}
	return t, nil
}
