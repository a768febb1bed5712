package hin_test

// Black-box tests of the domain package: global IDs, stable UUIDs, enum
// (un)marshalling, page and date-range validation and the error vocabulary.
// They go through the exported API only, as the store and the GraphQL layer
// do.

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const testUUID = "0b8f3c1e-6d2a-4e5f-9a7b-1c2d3e4f5a6b"

// uuidRE is the textual form of a UUID; lower or upper case hex.
var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// asHinError fails the test unless err is (or wraps) a *hin.Error with the
// given code, and returns it for further checks.
func asHinError(t *testing.T, err error, code string) *hin.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %s error, got nil", code)
	}
	var he *hin.Error
	if !errors.As(err, &he) {
		t.Fatalf("want a *hin.Error, got %T: %v", err, err)
	}
	if he.Code != code {
		t.Fatalf("want code %s, got %s (%v)", code, he.Code, err)
	}
	return he
}

func rawID(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestGlobalIDRoundTrip(t *testing.T) {
	t.Parallel()
	kinds := []string{
		hin.KindRegion, hin.KindOrganisation, hin.KindCollaborative, hin.KindProgramme,
		hin.KindInnovation, hin.KindPilot, hin.KindAdoption, hin.KindMetric,
		hin.KindOutcome, hin.KindStageChange,
	}
	uuids := []string{testUUID, strings.ToUpper(testUUID), hin.StableUUID("region", "HI-EM")}
	for _, kind := range kinds {
		for _, uuid := range uuids {
			t.Run(kind+"/"+uuid, func(t *testing.T) {
				t.Parallel()
				id := hin.GlobalID(kind, uuid)
				// The ID must be safe in URLs and JSON without escaping.
				if strings.ContainsAny(id, "+/=") {
					t.Errorf("GlobalID(%q, %q) = %q: not URL-safe", kind, uuid, id)
				}
				gotKind, gotUUID, err := hin.ParseGlobalID(id)
				if err != nil {
					t.Fatalf("ParseGlobalID(%q): %v", id, err)
				}
				// UUIDs compare case-insensitively; parsing normalises to the
				// lower case PostgreSQL returns.
				uuid := strings.ToLower(uuid)
				if gotKind != kind || gotUUID != uuid {
					t.Errorf("ParseGlobalID(GlobalID(%q, %q)) = %q, %q", kind, uuid, gotKind, gotUUID)
				}
				got, err := hin.ParseIDOf(kind, "id", id)
				if err != nil || got != uuid {
					t.Errorf("ParseIDOf(%q, id, %q) = %q, %v; want %q", kind, id, got, err, uuid)
				}
			})
		}
	}
}

func TestGlobalIDsDifferByKind(t *testing.T) {
	t.Parallel()
	// The same UUID under two kinds must give two IDs, or node(id:) could
	// not route them.
	if a, b := hin.GlobalID(hin.KindPilot, testUUID), hin.GlobalID(hin.KindAdoption, testUUID); a == b {
		t.Errorf("Pilot and Adoption IDs for the same UUID are equal: %q", a)
	}
}

func TestParseGlobalIDRejectsGarbage(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("A", 10_000)
	tests := []struct {
		name string
		id   string
	}{
		{"Empty", ""},
		{"Spaces", "   "},
		{"NotBase64", "!!!not base64!!!"},
		{"StdBase64Padded", base64.StdEncoding.EncodeToString([]byte("Region:" + testUUID))}, // valid content, but '=' padding is not RawURL
		{"RawUUID", testUUID},
		{"MissingColon", rawID("Region" + testUUID)},
		{"OnlyKind", rawID("Region:")},
		{"NotAUUID", rawID("Region:12345")},
		{"UUIDTooLong", rawID("Region:" + testUUID + "0")},
		{"UUIDTooShort", rawID("Region:" + testUUID[1:])},
		{"UUIDBadHex", rawID("Region:" + strings.Replace(testUUID, "0", "g", 1))},
		{"UUIDMisplacedDash", rawID("Region:" + strings.Replace(testUUID, "-", "x", 1))},
		{"UUIDNoDashes", rawID("Region:" + strings.ReplaceAll(testUUID, "-", "") + "0000")},
		{"TrailingGarbage", hin.GlobalID(hin.KindRegion, testUUID) + "!"},
		{"VeryLongBase64", long},
		{"VeryLongDecoded", rawID("Region:" + strings.Repeat("a", 10_000))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kind, uuid, err := hin.ParseGlobalID(tc.id)
			he := asHinError(t, err, hin.EINVALID)
			if kind != "" || uuid != "" {
				t.Errorf("on error want empty kind and uuid, got %q, %q", kind, uuid)
			}
			// The message echoes the input but truncated, so a huge input
			// cannot blow up logs or responses.
			if len(he.Message) > 200 {
				t.Errorf("message is %d bytes long; the ID should be truncated", len(he.Message))
			}
		})
	}
}

func TestParseIDOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		kind    string
		id      string
		wantErr bool
		wantMsg string // substring of the message on error
	}{
		{"Match", hin.KindInnovation, hin.GlobalID(hin.KindInnovation, testUUID), false, ""},
		{"KindMismatch", hin.KindInnovation, hin.GlobalID(hin.KindPilot, testUUID), true, "expected the ID of a Innovation, got the ID of a Pilot"},
		{"Garbage", hin.KindInnovation, "garbage", true, "not a valid ID"},
		{"Empty", hin.KindInnovation, "", true, "not a valid ID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := hin.ParseIDOf(tc.kind, "filter.innovationIds", tc.id)
			if !tc.wantErr {
				if err != nil || got != testUUID {
					t.Fatalf("ParseIDOf = %q, %v; want %q", got, err, testUUID)
				}
				return
			}
			he := asHinError(t, err, hin.EINVALID)
			// The field tells the client which input was wrong.
			if he.Field != "filter.innovationIds" {
				t.Errorf("Field = %q, want filter.innovationIds", he.Field)
			}
			if !strings.Contains(he.Message, tc.wantMsg) {
				t.Errorf("Message = %q, want it to contain %q", he.Message, tc.wantMsg)
			}
			if got != "" {
				t.Errorf("on error want empty uuid, got %q", got)
			}
		})
	}
}

func TestParseIDsOf(t *testing.T) {
	t.Parallel()
	other := hin.StableUUID("region", "UCLP")
	good := []string{hin.GlobalID(hin.KindRegion, testUUID), hin.GlobalID(hin.KindRegion, other)}

	got, err := hin.ParseIDsOf(hin.KindRegion, "ids", good)
	if err != nil || len(got) != 2 || got[0] != testUUID || got[1] != other {
		t.Errorf("ParseIDsOf(good) = %q, %v; want [%s %s] in order", got, err, testUUID, other)
	}

	// An empty list is a valid (empty) filter, not an error; non-nil so
	// callers can pass it to SQL as an empty array.
	got, err = hin.ParseIDsOf(hin.KindRegion, "ids", nil)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("ParseIDsOf(nil) = %#v, %v; want empty non-nil slice", got, err)
	}

	// One bad ID spoils the list.
	bad := append(good[:1:1], hin.GlobalID(hin.KindPilot, other))
	got, err = hin.ParseIDsOf(hin.KindRegion, "ids", bad)
	if he := asHinError(t, err, hin.EINVALID); he.Field != "ids" {
		t.Errorf("Field = %q, want ids", he.Field)
	}
	if got != nil {
		t.Errorf("on error want nil, got %q", got)
	}
}

func TestStableUUID(t *testing.T) {
	t.Parallel()
	tests := []struct{ namespace, name string }{
		{"region", "HI-EM"},
		{"region", "UCLP"},
		{"organisation", "HI-EM"},
		{"programme", ""},
		{"", ""},
		{"demo/outcome", "20/7"},
		{"innovation", strings.Repeat("x", 5000)},
		{"metric", "ünïcödé"},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		u := hin.StableUUID(tc.namespace, tc.name)
		key := fmt.Sprintf("%q/%q", tc.namespace, tc.name)
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			if again := hin.StableUUID(tc.namespace, tc.name); again != u {
				t.Errorf("not deterministic: %s then %s", u, again)
			}
			if !uuidRE.MatchString(u) {
				t.Fatalf("%q is not a UUID", u)
			}
			if u != strings.ToLower(u) {
				t.Errorf("%q is not lower case", u)
			}
			// Version 5 (name-based, SHA-1): the 13th hex digit is 5.
			if u[14] != '5' {
				t.Errorf("%s: version nibble %c, want 5", u, u[14])
			}
			// RFC 4122 variant: the top bits of byte 8 are 10, so the 17th
			// hex digit is one of 8, 9, a, b.
			if !strings.ContainsRune("89ab", rune(u[19])) {
				t.Errorf("%s: variant nibble %c, want 8, 9, a or b", u, u[19])
			}
			// It must be usable in a global ID.
			if _, got, err := hin.ParseGlobalID(hin.GlobalID(hin.KindRegion, u)); err != nil || got != u {
				t.Errorf("global ID round trip of %s: %q, %v", u, got, err)
			}
		})
		if prev, dup := seen[u]; dup {
			t.Errorf("StableUUID collision: %s and %s both give %s", prev, key, u)
		}
		seen[u] = key
	}
	// Same name in different namespaces must not collide: a region and an
	// organisation may share a code.
	if hin.StableUUID("region", "X") == hin.StableUUID("organisation", "X") {
		t.Error("StableUUID ignores the namespace")
	}
}

// enumCase drives the UnmarshalGQL tests for one enum type through
// closures, so one table covers every enum despite their distinct types.
type enumCase struct {
	name      string
	valid     []string
	unmarshal func(any) (string, error) // returns the value stored
}

func enumCaseOf[T ~string, P interface {
	*T
	UnmarshalGQL(any) error
}](name string, values []T) enumCase {
	valid := make([]string, len(values))
	for i, v := range values {
		valid[i] = string(v)
	}
	return enumCase{
		name:  name,
		valid: valid,
		unmarshal: func(x any) (string, error) {
			var v T
			err := P(&v).UnmarshalGQL(x)
			return string(v), err
		},
	}
}

func TestEnumUnmarshalGQL(t *testing.T) {
	t.Parallel()
	cases := []enumCase{
		enumCaseOf[hin.OrganisationKind]("OrganisationKind", hin.OrganisationKinds),
		enumCaseOf[hin.CollaborativeKind]("CollaborativeKind", hin.CollaborativeKinds),
		enumCaseOf[hin.ProgrammeKind]("ProgrammeKind", hin.ProgrammeKinds),
		enumCaseOf[hin.ProgrammeStatus]("ProgrammeStatus", hin.ProgrammeStatuses),
		enumCaseOf[hin.Stage]("InnovationStage", hin.Stages),
		enumCaseOf[hin.PilotStatus]("PilotStatus", hin.PilotStatuses),
		enumCaseOf[hin.MetricKind]("MetricKind", hin.MetricKinds),
		enumCaseOf[hin.OutcomeStatus]("OutcomeStatus", hin.OutcomeStatuses),
		enumCaseOf[hin.SortDirection]("SortDirection", hin.SortDirections),
	}
	// Values that no enum accepts: wrong case, padding, empty, huge, and
	// non-strings (GraphQL variables arrive as JSON, so numbers and nulls
	// are possible).
	invalid := []any{"", "nope", "active", " ASC", "ASC ", strings.Repeat("X", 10_000), 1, 1.5, true, nil, []string{"ASC"}}
	for _, ec := range cases {
		t.Run(ec.name, func(t *testing.T) {
			t.Parallel()
			if len(ec.valid) == 0 {
				t.Fatal("no values listed")
			}
			for _, v := range ec.valid {
				got, err := ec.unmarshal(v)
				if err != nil || got != v {
					t.Errorf("UnmarshalGQL(%q) = %q, %v", v, got, err)
				}
			}
			for _, x := range invalid {
				got, err := ec.unmarshal(x)
				he := asHinError(t, err, hin.EINVALID)
				if got != "" {
					t.Errorf("UnmarshalGQL(%#v) stored %q despite the error", x, got)
				}
				if len(he.Message) > 200 {
					t.Errorf("UnmarshalGQL(long): message is %d bytes; the value should be truncated", len(he.Message))
				}
				if !strings.Contains(he.Message, ec.name) {
					t.Errorf("UnmarshalGQL(%#v): message %q does not name the enum %s", x, he.Message, ec.name)
				}
			}
		})
	}
}

func TestEnumMarshalGQL(t *testing.T) {
	t.Parallel()
	// Enums are written as JSON strings, as gqlgen expects.
	var b bytes.Buffer
	hin.StageAdoption.MarshalGQL(&b)
	hin.Desc.MarshalGQL(&b)
	hin.OrgNHSTrust.MarshalGQL(&b)
	if got, want := b.String(), `"ADOPTION""DESC""NHS_TRUST"`; got != want {
		t.Errorf("MarshalGQL wrote %s, want %s", got, want)
	}
}

func TestStageOrdinal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stage hin.Stage
		want  int
	}{
		{hin.StageIdentifyNeed, 1},
		{hin.StageSelectAndRefine, 2},
		{hin.StageDevelopAndTest, 3},
		{hin.StageRealWorldPilot, 4},
		{hin.StageEvidenceIntoPractice, 5},
		{hin.StageAdoption, 6},
		{hin.StageSystemChange, 7},
		{hin.Stage("NOT_A_STAGE"), 0},
		{hin.Stage(""), 0},
	}
	for _, tc := range tests {
		t.Run(string(tc.stage), func(t *testing.T) {
			t.Parallel()
			if got := tc.stage.Ordinal(); got != tc.want {
				t.Errorf("%q.Ordinal() = %d, want %d", tc.stage, got, tc.want)
			}
		})
	}
	// Stages is the journey in order; sorting by ordinal must not reorder it.
	for i := 1; i < len(hin.Stages); i++ {
		if hin.Stages[i-1].Ordinal() >= hin.Stages[i].Ordinal() {
			t.Errorf("%s (ordinal %d) is not before %s (ordinal %d)",
				hin.Stages[i-1], hin.Stages[i-1].Ordinal(), hin.Stages[i], hin.Stages[i].Ordinal())
		}
	}
}

func TestPageArgsValidate(t *testing.T) {
	t.Parallel()
	if hin.DefaultPageSize <= 0 || hin.DefaultPageSize > hin.MaxPageSize {
		t.Fatalf("DefaultPageSize %d is outside 1..MaxPageSize (%d)", hin.DefaultPageSize, hin.MaxPageSize)
	}
	tests := []struct {
		name    string
		first   int
		wantErr bool
	}{
		{"VeryNegative", -1 << 31, true},
		{"Negative", -1, true},
		{"Zero", 0, false}, // an empty page is a valid way to ask for totalCount only
		{"One", 1, false},
		{"Default", hin.DefaultPageSize, false},
		{"Max", hin.MaxPageSize, false},
		{"MaxPlusOne", hin.MaxPageSize + 1, true}, // refused, never silently trimmed
		{"Huge", 1 << 40, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := hin.PageArgs{First: tc.first, After: "cursor"}.Validate()
			if !tc.wantErr {
				if err != nil {
					t.Errorf("Validate(first=%d) = %v, want nil", tc.first, err)
				}
				return
			}
			if he := asHinError(t, err, hin.EINVALID); he.Field != "first" {
				t.Errorf("Validate(first=%d): Field = %q, want first", tc.first, he.Field)
			}
		})
	}
}

func TestDateRangeValidate(t *testing.T) {
	t.Parallel()
	day := func(s string) *time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return &d
	}
	tests := []struct {
		name    string
		r       *hin.DateRange
		wantErr bool
	}{
		{"Nil", nil, false},
		{"BothOpen", &hin.DateRange{}, false},
		{"OpenEnd", &hin.DateRange{From: day("2024-04-01")}, false},
		{"OpenStart", &hin.DateRange{To: day("2025-03-31")}, false},
		{"FinancialYear", &hin.DateRange{From: day("2024-04-01"), To: day("2025-03-31")}, false},
		{"SingleDay", &hin.DateRange{From: day("2024-04-01"), To: day("2024-04-01")}, false},
		{"Reversed", &hin.DateRange{From: day("2025-03-31"), To: day("2024-04-01")}, true},
		{"ReversedByOneDay", &hin.DateRange{From: day("2024-04-02"), To: day("2024-04-01")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.r.Validate("filter.active")
			if !tc.wantErr {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			he := asHinError(t, err, hin.EINVALID)
			if he.Field != "filter.active" {
				t.Errorf("Field = %q, want filter.active", he.Field)
			}
			// The message quotes both dates so the client can see the mistake.
			if !strings.Contains(he.Message, tc.r.From.Format(time.DateOnly)) || !strings.Contains(he.Message, tc.r.To.Format(time.DateOnly)) {
				t.Errorf("Message %q does not quote both dates", he.Message)
			}
		})
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	t.Parallel()
	notFound := hin.Errorf(hin.ENOTFOUND, "no region %s", "HI-XX")
	invalid := hin.Invalid("first", "too big")
	secret := errors.New("pq: password authentication failed for user hin")
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
	}{
		{"Nil", nil, "", "internal error"},
		{"Plain", secret, hin.EINTERNAL, "internal error"}, // internal details never leak
		{"WrappedPlain", fmt.Errorf("load region: %w", secret), hin.EINTERNAL, "internal error"},
		{"HinError", notFound, hin.ENOTFOUND, "no region HI-XX"},
		{"Wrapped", fmt.Errorf("resolve region: %w", notFound), hin.ENOTFOUND, "no region HI-XX"},
		{"DoubleWrapped", fmt.Errorf("a: %w", fmt.Errorf("b: %w", invalid)), hin.EINVALID, "too big"},
		{"Joined", errors.Join(secret, notFound), hin.ENOTFOUND, "no region HI-XX"},
		// Formatting with %v instead of %w breaks the chain: the error is
		// then internal, which is the safe default.
		{"NotWrapped", fmt.Errorf("resolve: %v", notFound), hin.EINTERNAL, "internal error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := hin.ErrorCode(tc.err); got != tc.wantCode {
				t.Errorf("ErrorCode = %q, want %q", got, tc.wantCode)
			}
			if got := hin.ErrorMessage(tc.err); got != tc.wantMsg {
				t.Errorf("ErrorMessage = %q, want %q", got, tc.wantMsg)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  *hin.Error
		want string
	}{
		{hin.Errorf(hin.ECONFLICT, "code %q taken", "X"), `CONFLICT: code "X" taken`},
		{hin.Invalid("filter.stages", "unknown stage"), "INVALID_ARGUMENT: unknown stage (filter.stages)"},
		{&hin.Error{Code: hin.ETIMEOUT, Message: "too slow"}, "TIMEOUT: too slow"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{"": nil, " a, ,b ,": {"a", "b"}, "x": {"x"}} {
		if got := hin.SplitList(in); !slices.Equal(got, want) {
			t.Errorf("SplitList(%q) = %q, want %q", in, got, want)
		}
	}
}
