package model_test

// Fuzz targets for the custom scalars. A scalar sees whatever a client
// puts in a variable, so it must answer every value with a value or a
// clear INVALID_ARGUMENT, and what it accepts must read back the same.

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/graph/model"
	"github.com/hin-graph/hin-graph/internal/hin"
)

// asVariable decodes s the way gqlgen decodes request variables (numbers
// as json.Number), or reports false when s is not JSON.
func asVariable(s string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

func requireInvalid(t *testing.T, err error, input any) {
	t.Helper()
	var he *hin.Error
	if !errors.As(err, &he) || he.Code != hin.EINVALID {
		t.Fatalf("%#v: want an INVALID_ARGUMENT *hin.Error, got %T %v", input, err, err)
	}
	// the message may quote a truncated input, never the whole of it
	if he.Message == "" || len(he.Message) > 300 {
		t.Fatalf("%#v: message of %d bytes: %.100q", input, len(he.Message), he.Message)
	}
}

func FuzzUnmarshalDate(f *testing.F) {
	for _, s := range []string{
		"2024-04-01", "1900-01-01", "2200-12-31", "1899-12-31", "2201-01-01", "2024-02-29", "2023-02-29", "2024-13-01",
		"2024-00-10", "2024-1-1", "24-01-01", "2024-01-01T00:00:00Z", "2024-01-01 ", " 2024-01-01", "+2024-01-01",
		"-2024-01-01", "0000-01-01", "9999-12-31", "２０２４-01-01", "2024-01-01\x00", "", `"2024-01-01"`, "20240101",
		"null", "1e308", "NaN", `["2024-01-01"]`, `{"date":"2024-01-01"}`, strings.Repeat("9", 10_000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		inputs := []any{s}
		if v, ok := asVariable(s); ok {
			inputs = append(inputs, v)
		}
		for _, x := range inputs {
			d, err := model.UnmarshalDate(x)
			if err != nil {
				requireInvalid(t, err, x)
				continue
			}
			str, ok := x.(string)
			if !ok {
				t.Fatalf("a %T was accepted as the Date %v", x, d)
			}
			if d.Year() < 1900 || d.Year() > 2200 {
				t.Fatalf("%q: year %d is outside 1900 to 2200", str, d.Year())
			}
			if d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
				t.Fatalf("%q: %v is not midnight UTC", str, d)
			}
			// Round trip: written back exactly as the client sent it.
			var b bytes.Buffer
			model.MarshalDate(d).MarshalGQL(&b)
			if b.String() != strconv.Quote(str) {
				t.Fatalf("%q is written back as %s", str, b.String())
			}
			again, err := model.UnmarshalDate(str)
			if err != nil || !again.Equal(d) {
				t.Fatalf("%q reads back as %v, %v", str, again, err)
			}
		}
	})
}

// FuzzJSONScalar: any JSON value a client sends is kept as the same JSON,
// and stored JSON is written out unchanged.
func FuzzJSONScalar(f *testing.F) {
	for _, s := range []string{
		`null`, `true`, `0`, `-0`, `1e308`, `-1e308`, `5e-324`, `1e999`, `123456789012345678901234567890`, `"x"`, `""`,
		`"\u0000"`, `"\ud800"`, `"\u202e"`, `[]`, `{}`, `{"a":1,"a":2}`, `[[[[[[[[[[]]]]]]]]]]`, `{"before":{"name":"x"}}`,
		`"'; DROP TABLE outcome; --"`, "\"\xc0\xaf\"", `NaN`, `Infinity`, `{"a":}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Output: stored JSON goes out byte for byte, empty as null.
		var out bytes.Buffer
		model.MarshalJSON(hin.JSONText(s)).MarshalGQL(&out)
		if want := s; (s == "" && out.String() != "null") || (s != "" && out.String() != want) {
			t.Fatalf("MarshalJSON(%q) wrote %q", s, out.String())
		}

		v, ok := asVariable(s)
		if !ok {
			return
		}
		got, err := model.UnmarshalJSON(v)
		if err != nil {
			requireInvalid(t, err, v)
			return
		}
		if !json.Valid(got) {
			t.Fatalf("UnmarshalJSON(%s) gave invalid JSON %q", s, got)
		}
		back, ok := asVariable(string(got))
		if !ok || !reflect.DeepEqual(back, v) {
			t.Fatalf("UnmarshalJSON(%s) = %s, which reads as %#v, not %#v", s, got, back, v)
		}
	})
}

// Values that JSON cannot hold (literal floats in a query document reach
// the scalar as float64) are refused, not turned into broken JSON.
func TestJSONScalarRefusesNonJSONNumbers(t *testing.T) {
	t.Parallel()
	for _, v := range []any{math.NaN(), math.Inf(1), math.Inf(-1), []any{math.NaN()}, map[string]any{"a": math.Inf(1)}} {
		if b, err := model.UnmarshalJSON(v); err == nil {
			t.Errorf("UnmarshalJSON(%v) = %s, want an error", v, b)
		} else {
			requireInvalid(t, err, v)
		}
	}
}
