package hin_test

// Fuzz targets for the domain's input parsing: global IDs, enums, windows
// and outcome values. Each says what must hold for any input, not just the
// examples in hin_test.go. Run one with e.g.
//
//	go test ./internal/hin/ -run '^$' -fuzz '^FuzzParseGlobalID$' -fuzztime 30s

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// maxEchoedMessage bounds error messages: they may quote a truncated
// input, never the whole of it.
const maxEchoedMessage = 400

// requireInvalid fails unless err is an INVALID_ARGUMENT *hin.Error with a
// short, non-empty message.
func requireInvalid(t *testing.T, err error, input string) *hin.Error {
	t.Helper()
	var he *hin.Error
	if !errors.As(err, &he) {
		t.Fatalf("%q: want a *hin.Error, got %T: %v", input, err, err)
	}
	if he.Code != hin.EINVALID {
		t.Fatalf("%q: code %s, want %s", input, he.Code, hin.EINVALID)
	}
	if he.Message == "" || len(he.Message) > maxEchoedMessage {
		t.Fatalf("%q: message of %d bytes: %.100q", input, len(he.Message), he.Message)
	}
	return he
}

var lowerUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func FuzzParseGlobalID(f *testing.F) {
	uuid := "0b8f3c1e-6d2a-4e5f-9a7b-1c2d3e4f5a6b"
	for _, s := range []string{
		hin.GlobalID(hin.KindRegion, uuid),
		hin.GlobalID(hin.KindOutcome, strings.ToUpper(uuid)),
		hin.GlobalID("", uuid),
		hin.GlobalID("Region:Extra", uuid),
		base64.RawURLEncoding.EncodeToString([]byte("Region:" + uuid + "\x00")),
		base64.StdEncoding.EncodeToString([]byte("Region:" + uuid)), // padded
		"", "=", "not-an-id", "UmVnaW9u", "'; DROP TABLE outcome; --", "\xff\xfe", strings.Repeat("A", 1000),
	} {
		f.Add(s, "Region", uuid)
	}
	f.Add("", "Pilot", strings.ToUpper(uuid))
	f.Add("", "", "0b8f3c1e-6d2a-4e5f-9a7b-1c2d3e4f5a6")
	f.Fuzz(func(t *testing.T, id, kind, uuid string) {
		// 1. Any string: an error, or an ID that says the same thing again.
		k, u, err := hin.ParseGlobalID(id)
		if err != nil {
			requireInvalid(t, err, id)
			if k != "" || u != "" {
				t.Fatalf("%q: error %v, yet kind %q and uuid %q", id, err, k, u)
			}
		} else {
			if !lowerUUID.MatchString(u) {
				t.Fatalf("%q: accepted uuid %q is not a lower-case UUID", id, u)
			}
			k2, u2, err := hin.ParseGlobalID(hin.GlobalID(k, u))
			if err != nil || k2 != k || u2 != u {
				t.Fatalf("%q: GlobalID(%q, %q) parses back as %q, %q, %v", id, k, u, k2, u2, err)
			}
		}

		// 2. Any kind and UUID: what GlobalID encodes parses back, as long as
		// the kind has no ":" (the kinds are constants without one).
		if strings.Contains(kind, ":") {
			return
		}
		id = hin.GlobalID(kind, uuid)
		if strings.ContainsAny(id, "+/=") {
			t.Fatalf("GlobalID(%q, %q) = %q is not URL-safe", kind, uuid, id)
		}
		k, u, err = hin.ParseGlobalID(id)
		validUUID := lowerUUID.MatchString(strings.ToLower(uuid))
		switch {
		case validUUID && (err != nil || k != kind || u != strings.ToLower(uuid)):
			t.Fatalf("GlobalID(%q, %q) parses back as %q, %q, %v", kind, uuid, k, u, err)
		case !validUUID && err == nil:
			t.Fatalf("GlobalID(%q, %q): a malformed uuid was accepted as %q", kind, uuid, u)
		}
	})
}

// fuzzEnum is one enum type seen through strings, so a single fuzz target
// covers every enum despite their distinct Go types.
type fuzzEnum struct {
	name      string
	valid     map[string]bool
	unmarshal func(any) (string, error)
}

func fuzzEnumOf[T ~string, P interface {
	*T
	UnmarshalGQL(any) error
}](name string, values []T) fuzzEnum {
	e := fuzzEnum{name: name, valid: map[string]bool{}}
	for _, v := range values {
		e.valid[string(v)] = true
	}
	e.unmarshal = func(x any) (string, error) {
		var v T
		err := P(&v).UnmarshalGQL(x)
		return string(v), err
	}
	return e
}

func allEnums() []fuzzEnum {
	return []fuzzEnum{
		fuzzEnumOf("OrganisationKind", hin.OrganisationKinds),
		fuzzEnumOf("CollaborativeKind", hin.CollaborativeKinds),
		fuzzEnumOf("ProgrammeKind", hin.ProgrammeKinds),
		fuzzEnumOf("ProgrammeStatus", hin.ProgrammeStatuses),
		fuzzEnumOf("InnovationStage", hin.Stages),
		fuzzEnumOf("PilotStatus", hin.PilotStatuses),
		fuzzEnumOf("MetricKind", hin.MetricKinds),
		fuzzEnumOf("OutcomeStatus", hin.OutcomeStatuses),
		fuzzEnumOf("SortDirection", hin.SortDirections),
		fuzzEnumOf("FigureDimension", hin.Dimensions),
	}
}

func FuzzEnumUnmarshal(f *testing.F) {
	for _, e := range allEnums() {
		for v := range e.valid {
			f.Add(v)
			f.Add(`"` + v + `"`) // the same value as a JSON string
			f.Add(strings.ToLower(v))
		}
	}
	for _, s := range []string{"", " ASC", "ASC\x00", "METRIC", "1", "1.5", "null", "true", `["ASC"]`, `{"a":1}`, "\u202eCSA", strings.Repeat("X", 5000)} {
		f.Add(s)
	}
	enums := allEnums()
	f.Fuzz(func(t *testing.T, s string) {
		// The string itself, and (when it is JSON) the value a variable of
		// that JSON would arrive as: numbers, booleans, lists, objects.
		inputs := []any{s}
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			inputs = append(inputs, v)
		}
		for _, e := range enums {
			for _, x := range inputs {
				got, err := e.unmarshal(x)
				str, isString := x.(string)
				want := isString && e.valid[str]
				if want {
					if err != nil || got != str {
						t.Fatalf("%s: %#v gave %q, %v; it is a listed value", e.name, x, got, err)
					}
					continue
				}
				if err == nil {
					t.Fatalf("%s: accepted %#v as %q; it is not a listed value", e.name, x, got)
				}
				he := requireInvalid(t, err, s)
				if got != "" {
					t.Fatalf("%s: %#v stored %q despite the error", e.name, x, got)
				}
				if !strings.Contains(he.Message, e.name) {
					t.Fatalf("%s: message %q does not name the enum", e.name, he.Message)
				}
			}
		}
	})
}

var (
	fyLabel      = regexp.MustCompile(`^FY\d{4}-\d{2}$`)
	quarterLabel = regexp.MustCompile(`^FY\d{4}-\d{2} Q[1-4]$`)
	rangeLabel   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$`)
)

func FuzzWindowInputResolve(f *testing.F) {
	// set says which fields are given: 1 from, 2 to, 4 financialYear, 8 quarter.
	f.Add(uint8(4), "FY2023-24", "", "", "")
	f.Add(uint8(8), "", "FY2023-24 Q4", "", "")
	f.Add(uint8(3), "", "", "2023-04-01", "2024-03-31")
	f.Add(uint8(3), "", "", "2024-03-31", "2023-04-01")
	f.Add(uint8(3), "", "", "1900-01-01", "2200-12-31")
	f.Add(uint8(3), "", "", "2024-02-29", "2024-02-29")
	f.Add(uint8(1), "", "", "2024-01-01", "")
	f.Add(uint8(12), "FY2023-24", "FY2023-24 Q1", "", "")
	f.Add(uint8(0), "", "", "", "")
	for _, s := range []string{"FY2023-25", "FY1949-50", "FY2150-51", "FY2151-52", "FY9999-00", "FY2099-00", "FY2023-24 Q0", "FY2023-24 Q5",
		"FY2023-24\n", "fy2023-24", "FY２０２３-24", "FY2023-24 Q1 ", "'; DROP TABLE outcome; --", strings.Repeat("FY", 500)} {
		f.Add(uint8(4), s, s, "", "")
		f.Add(uint8(8), s, s, "", "")
	}
	f.Fuzz(func(t *testing.T, set uint8, fy, quarter, from, to string) {
		var in hin.WindowInput
		// Dates reach Resolve already parsed by the Date scalar; any day
		// time.Parse accepts is a fair input here, far years included.
		if d, err := time.Parse(time.DateOnly, from); err == nil && set&1 != 0 {
			in.From = &d
		}
		if d, err := time.Parse(time.DateOnly, to); err == nil && set&2 != 0 {
			in.To = &d
		}
		if set&4 != 0 {
			in.FinancialYear = &fy
		}
		if set&8 != 0 {
			in.Quarter = &quarter
		}
		w, err := in.Resolve("window")
		if err != nil {
			he := requireInvalid(t, err, fy+"|"+quarter+"|"+from+"|"+to)
			if !strings.HasPrefix(he.Field, "window") {
				t.Fatalf("error field %q is not under window", he.Field)
			}
			return
		}
		if w.To.Before(w.From) {
			t.Fatalf("%+v resolved to a reversed window %v..%v", in, w.From, w.To)
		}
		label := w.Label()
		switch {
		case in.FinancialYear != nil:
			// a financial year is 1 April to 31 March and names itself
			if label != fy || !fyLabel.MatchString(label) || w.From.Month() != time.April || w.From.Day() != 1 ||
				!w.To.Equal(w.From.AddDate(1, 0, -1)) {
				t.Fatalf("financialYear %q resolved to %v..%v labelled %q", fy, w.From, w.To, label)
			}
		case in.Quarter != nil:
			if label != quarter || !quarterLabel.MatchString(label) || w.From.Day() != 1 || !w.To.Equal(w.From.AddDate(0, 3, -1)) ||
				!w.From.Equal(hin.QuarterOf(w.From)) {
				t.Fatalf("quarter %q resolved to %v..%v labelled %q", quarter, w.From, w.To, label)
			}
		default:
			if in.From == nil || in.To == nil || !w.From.Equal(*in.From) || !w.To.Equal(*in.To) {
				t.Fatalf("dates %+v resolved to %v..%v", in, w.From, w.To)
			}
			if w.To.Sub(w.From) > 50*366*24*time.Hour {
				t.Fatalf("a window of more than 50 years was accepted: %v..%v", w.From, w.To)
			}
			if !fyLabel.MatchString(label) && !quarterLabel.MatchString(label) && !rangeLabel.MatchString(label) {
				t.Fatalf("window %v..%v has the label %q", w.From, w.To, label)
			}
		}
		if !utf8.ValidString(label) || label == "" {
			t.Fatalf("label %q", label)
		}
	})
}

// outcomeFields are the fields ValidateOutcome may complain about.
var outcomeFields = map[string]bool{"periodEnd": true, "value": true, "numerator": true, "denominator": true, "source": true}

func FuzzValidateOutcome(f *testing.F) {
	// set: 1 value, 2 numerator, 4 denominator, 8 source.
	huge := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 5e-324, -5e-324, 1e15, 1e15 + 1, -1e15, 1e308, -1e308, math.MaxFloat64,
		math.NaN(), math.Inf(1), math.Inf(-1)}
	for i, v := range huge {
		other := huge[(i+3)%len(huge)]
		for kind := range uint8(3) {
			f.Add(kind, uint8(7), v, v, other, int32(0), int32(30), "")
			f.Add(kind, uint8(6), 0.0, v, other, int32(0), int32(30), "")
			f.Add(kind, uint8(1), v, 0.0, 0.0, int32(-5), int32(5*366+1), "")
		}
	}
	f.Add(uint8(1), uint8(6), 0.0, 5.0, 3.0, int32(0), int32(-1), strings.Repeat("é", 501))
	f.Add(uint8(0), uint8(9), 1.0, 0.0, 0.0, int32(100000), int32(30), "'; DROP TABLE outcome; --")
	kinds := []hin.MetricKind{hin.MetricCount, hin.MetricRate, hin.MetricSnapshot}
	f.Fuzz(func(t *testing.T, kind, set uint8, value, num, den float64, startDay, spanDays int32, source string) {
		m := hin.Metric{Code: "fuzz_metric", Kind: kinds[int(kind)%len(kinds)], Unit: "things"}
		start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(startDay))
		in := hin.OutcomeInput{MetricCode: m.Code, RegionCode: "HI-EM", PeriodStart: start, PeriodEnd: start.AddDate(0, 0, int(spanDays))}
		if set&1 != 0 {
			in.Value = &value
		}
		if set&2 != 0 {
			in.Numerator = &num
		}
		if set&4 != 0 {
			in.Denominator = &den
		}
		if set&8 != 0 {
			in.Source = &source
		}
		var problems []string
		hin.ValidateOutcome(in, m, func(field, format string, args ...any) {
			if !outcomeFields[field] || format == "" {
				t.Fatalf("problem with field %q, format %q", field, format)
			}
			problems = append(problems, field)
		})
		if len(problems) > 0 {
			return
		}
		// Accepted: every number is finite, in range and of the right form.
		finite := func(v *float64) bool {
			return v != nil && !math.IsNaN(*v) && !math.IsInf(*v, 0) && math.Abs(*v) <= 1e15
		}
		if in.PeriodEnd.Before(in.PeriodStart) || in.PeriodEnd.Sub(in.PeriodStart) > 5*366*24*time.Hour {
			t.Fatalf("period %v..%v accepted", in.PeriodStart, in.PeriodEnd)
		}
		if in.Source != nil && utf8.RuneCountInString(*in.Source) > 500 {
			t.Fatalf("a source of %d characters accepted", utf8.RuneCountInString(*in.Source))
		}
		if m.Kind == hin.MetricRate {
			if in.Value != nil || !finite(in.Numerator) || !finite(in.Denominator) ||
				*in.Numerator < 0 || *in.Denominator <= 0 || *in.Numerator > *in.Denominator {
				t.Fatalf("RATE accepted value=%v numerator=%v denominator=%v", ptrStr(in.Value), ptrStr(in.Numerator), ptrStr(in.Denominator))
			}
			return
		}
		if in.Numerator != nil || in.Denominator != nil || !finite(in.Value) || *in.Value < 0 {
			t.Fatalf("%s accepted value=%v numerator=%v denominator=%v", m.Kind, ptrStr(in.Value), ptrStr(in.Numerator), ptrStr(in.Denominator))
		}
	})
}

func ptrStr(v *float64) string {
	if v == nil {
		return "nil"
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

// Known bugs, skipped so the suite stays green; delete the Skip once fixed.

// TestParseIDOfQuotesKindBug: the kind decoded from an ID of the wrong type
// goes into the message whole and unescaped, so a client can make the
// error as long as its ID, with control characters in it.
func TestParseIDOfQuotesKindBug(t *testing.T) {
	t.Parallel()
	kind := strings.Repeat("K", 10_000) + "\x1b[31m"
	_, err := hin.ParseIDOf(hin.KindProgramme, "programmeIds", hin.GlobalID(kind, "0b8f3c1e-6d2a-4e5f-9a7b-1c2d3e4f5a6b"))
	he := requireInvalid(t, err, kind)
	if strings.ContainsRune(he.Message, 0x1b) {
		t.Errorf("message holds a raw control character: %.80q", he.Message)
	}
}

// TestEnumMessageIsUTF8Bug: readEnum cuts the value at 40 bytes, which can
// split a character, and does not quote it, so the message is not UTF-8.
func TestEnumMessageIsUTF8Bug(t *testing.T) {
	t.Parallel()
	var s hin.Stage
	he := requireInvalid(t, s.UnmarshalGQL("x"+strings.Repeat("é", 30)), "")
	if !utf8.ValidString(he.Message) {
		t.Errorf("message is not UTF-8: %q", he.Message)
	}
}
