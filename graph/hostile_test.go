package graph_test

// Hostile inputs: huge strings and numbers, NaN, unicode edge cases, SQL
// fragments, deep nesting, duplicate JSON keys and broken bodies, sent to
// reads and writes as a region editor and as an anonymous caller. Each must
// get a clear error (or, for a read, an ordinary empty answer; for a write
// of text that is merely odd, that text stored exactly) and must change
// nothing else: every table is fingerprinted before and after each case.

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/httpapi"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// apiResult is one exchange with the GraphQL handler.
type apiResult struct {
	status int
	body   []byte
	data   json.RawMessage
	errors []gqlError
	paths  [][]any // each error's path, if any
}

// sendAs serves one request as the given caller, in process.
func sendAs(h http.Handler, who hin.Principal, r *http.Request) apiResult {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r.WithContext(hin.WithPrincipal(r.Context(), who)))
	res := apiResult{status: rec.Code, body: rec.Body.Bytes()}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if json.Unmarshal(res.body, &env) == nil {
		res.data, res.errors = env.Data, env.Errors
	}
	var paths struct {
		Errors []struct {
			Path []any `json:"path"`
		} `json:"errors"`
	}
	if json.Unmarshal(res.body, &paths) == nil {
		for _, e := range paths.Errors {
			res.paths = append(res.paths, e.Path)
		}
	}
	return res
}

func postJSON(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// gqlBody encodes a GraphQL request; json.Marshal keeps every string exact.
func gqlBody(doc string, vars map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"query": doc, "variables": vars})
	if err != nil {
		panic(err)
	}
	return b
}

// Internals that must never reach a client in an error: Go stack traces
// and file positions, panics, and PostgreSQL driver errors. (Data is not
// scanned: it holds whatever text clients stored.)
var leakPatterns = []*regexp.Regexp{
	regexp.MustCompile(`goroutine \d+`),
	regexp.MustCompile(`\.go:\d+`),
	regexp.MustCompile(`(?i)panic`),
	regexp.MustCompile(`pq: `),
	regexp.MustCompile(`SQLSTATE|syntax error at or near`),
}

// maxMessage bounds an error message; longer ones quote input back.
const maxMessage = 2000

// checkClean asserts what holds for every response whatever the input: not
// a server error, JSON, no internals, every error coded and not INTERNAL.
// input is what the client sent; a pattern found in it may be quoted back.
func checkClean(t testing.TB, res apiResult, input []byte) {
	t.Helper()
	if res.status >= 500 {
		t.Fatalf("status %d: %.300s", res.status, res.body)
	}
	if !json.Valid(res.body) {
		t.Fatalf("status %d, the response is not JSON: %.300q", res.status, res.body)
	}
	errText, _ := json.Marshal(res.errors)
	for _, p := range leakPatterns {
		if p.Match(errText) && !p.Match(input) && !p.Match(unescapedJSON(input)) {
			t.Fatalf("an error shows internals (%s): %.500s", p, errText)
		}
	}
	if res.status != http.StatusOK && len(res.errors) == 0 {
		t.Fatalf("status %d without errors: %.300s", res.status, res.body)
	}
	for _, e := range res.errors {
		code, _ := e.Extensions["code"].(string)
		if code == "" || code == hin.EINTERNAL {
			t.Fatalf("error without a useful code (%q): %.300q", code, e.Message)
		}
		if !slices.Contains(hin.ErrorCodes, code) {
			t.Fatalf("code %s is not declared in hin.ErrorCodes", code)
		}
		if e.Message == "" {
			t.Fatalf("error %s without a message", code)
		}
		if len(e.Message) > maxMessage {
			t.Fatalf("a %d-byte %s message quotes the input back: %.200q…", len(e.Message), code, e.Message)
		}
	}
}

// unescapedJSON is input with JSON string escapes undone, so that a
// pattern spelt with \u escapes counts as sent by the client.
func unescapedJSON(input []byte) []byte {
	var v any
	if json.Unmarshal(input, &v) != nil {
		return nil
	}
	var b bytes.Buffer
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			b.WriteString(v + "\n")
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for k, x := range v {
				b.WriteString(k + "\n")
				walk(x)
			}
		}
	}
	walk(v)
	return b.Bytes()
}

// isEmptyData reports whether a response's data holds nothing: no strings,
// no non-zero numbers, no true, only nulls, empty lists and objects thereof.
func isEmptyData(raw json.RawMessage) bool {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return len(raw) == 0
	}
	var empty func(any) bool
	empty = func(v any) bool {
		switch v := v.(type) {
		case nil:
			return true
		case bool:
			return !v
		case float64:
			return v == 0
		case []any:
			for _, x := range v {
				if !empty(x) {
					return false
				}
			}
			return true
		case map[string]any:
			for _, x := range v {
				if !empty(x) {
					return false
				}
			}
			return true
		}
		return false
	}
	return empty(v)
}

// tableState is a table's row count and the newest transaction that wrote
// one of its rows: an insert or update writes a row version with a newer
// xmin, a delete lowers the count, so together they show any change.
type tableState struct {
	rows int
	xmin int64
}

// fingerprint reads every table of the database: a case that changes a
// row, adds one or drops a table shows up as a difference (or an error).
func fingerprint(t testing.TB, db *sql.DB) map[string]tableState {
	t.Helper()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'goose%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf(`SELECT %s, count(*), coalesce(max(x.xmin::text::bigint), 0) FROM %s x`,
			pq.QuoteLiteral(name), pq.QuoteIdentifier(name)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	_ = rows.Close()
	for _, must := range []string{"outcome", "innovation", "audit_event", "region"} {
		if !strings.Contains(strings.Join(parts, " "), pq.QuoteIdentifier(must)) {
			t.Fatalf("table %s is gone", must)
		}
	}
	rows, err = db.Query(strings.Join(parts, " UNION ALL "))
	if err != nil {
		t.Fatalf("fingerprint: %v", err)
	}
	defer rows.Close()
	out := map[string]tableState{}
	for rows.Next() {
		var name string
		var st tableState
		if err := rows.Scan(&name, &st.rows, &st.xmin); err != nil {
			t.Fatal(err)
		}
		out[name] = st
	}
	return out
}

// tablesChanged lists the tables whose contents differ, with row count deltas.
func tablesChanged(before, after map[string]tableState) map[string]int {
	out := map[string]int{}
	for name, b := range before {
		if a := after[name]; a != b {
			out[name] = a.rows - b.rows
		}
	}
	for name, a := range after {
		if _, ok := before[name]; !ok {
			out[name] = a.rows
		}
	}
	return out
}

// stored says a write may legitimately succeed for an editor: its text is
// odd but valid, and it must then be stored exactly as sent.
type stored struct {
	table string   // the table that gains exactly one row (and audit_event one event)
	where string   // a condition on that table, with $1 the exact input
	value any      // $1
	also  []string // other tables the write may touch (stage history, rollups, keys)
}

type hostileCase struct {
	name string
	doc  string
	vars map[string]any
	// raw, when set, is the request as is: the body of a POST (or the
	// query string of a GET), so broken JSON and bytes can be sent.
	raw    []byte
	get    bool
	ctype  string   // Content-Type of a raw POST; application/json unless set
	codes  []string // if set, the first error's code must be one of these
	read   bool     // a read that may succeed, with an empty answer
	data   bool     // a read that may succeed with data (deep queries)
	store  *stored  // a write an editor may make; must be stored exactly
	mutate bool     // a write: anonymous callers must be refused
	// bug names the bug this case was written to show (bugEditor: only as
	// the editor, whose writes reach the database). It is a label for the
	// reader: the case always runs, as a check that the bug stays fixed.
	bug, bugEditor string
}

func (c hostileCase) request() (*http.Request, []byte) {
	body := c.raw
	if body == nil {
		body = gqlBody(c.doc, c.vars)
	}
	if c.get {
		return httptest.NewRequest(http.MethodGet, "/graphql?"+string(body), nil), body
	}
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	ct := c.ctype
	if ct == "" {
		ct = "application/json"
	}
	r.Header.Set("Content-Type", ct)
	return r, body
}

// Bugs found by hostile probing, each reproduced below (see the Test*Bug
// functions) and by the table cases marked with it. They are fixed; the
// cases run on every test run to keep them so.
const (
	bugNUL = "a NUL character (\\u0000) in a text argument reaches PostgreSQL, which cannot hold it: " +
		"INTERNAL (pq: invalid byte sequence for encoding UTF8: 0x00) instead of INVALID_ARGUMENT"
	bugUTF8    = "invalid UTF-8 in a GET query's string literal reaches PostgreSQL: INTERNAL instead of INVALID_ARGUMENT"
	bugControl = "outcome and return sources and idempotency keys accept control characters (ESC, DEL) " +
		"that names refuse; they are stored"
	bugEchoMetric = "an unknown metric code is quoted back whole: a 1 MB code gives a 1 MB error message"
	bugEchoKind   = "the kind inside an ID of the wrong type is quoted back whole (hin.ParseIDOf does not truncate it)"
	bugOrderField = "a sort field in another case (\"name\" for NAME) passes gqlparser's case-insensitive enum check, then " +
		"the generated *OrderField UnmarshalGQL refuses it with a plain error: INTERNAL instead of INVALID_ARGUMENT"
	bugEntities = "issue 18: a malformed _entities representation ({}, an unknown, numeric or non-entity __typename, " +
		"a missing key, a plain string) fails in gqlgen's federation code with a plain error: INTERNAL instead of INVALID_ARGUMENT"
	bugService = "issue 18: _service, when introspection is off for the caller, gets INTERNAL instead of INTROSPECTION_DISABLED as __schema does"
	bugAsOf    = "issue 18: a malformed DateTime (asOf \"now\", \"2024-13-01T00:00:00Z\", \"2024-01-01\", a number) fails in gqlgen's " +
		"UnmarshalTime with a plain error: INTERNAL instead of INVALID_ARGUMENT"
	bugLongSearch = "nameContains has no length limit: one ILIKE with a 1 MB pattern costs PostgreSQL about 10 ms per row " +
		"scanned (1.2 s for the 84 reference organisations), up to the request timeout, for one anonymous request"
)

var (
	sqlFragments = []string{
		`'; DROP TABLE outcome; --`, `%' OR '1'='1`, `$1`, `\`, `\\`, `' OR 1=1 --`,
		`"; DELETE FROM innovation; --`, `1); UPDATE region SET name = 'x' WHERE (1=1`, `%_%`, `E'\x00'`,
	}
	oddText = map[string]string{
		"rtl override":      "Safe\u202Eexe.txt",
		"zero-width joiner": "Clinic \U0001F469\u200D\u2695\uFE0F team",
		"emoji":             "\U0001F3E5\U0001F48A\U0001FA7A",
		"combining":         "Cafe\u0301 Z\u0335\u0321a\u0336lgo",
		"byte order mark":   "\uFEFFName",
		"line separator":    "a\u2028b\u2029c",
		"noncharacter":      "x\uFFFF\U0010FFFF",
		"replacement char":  "\uFFFD",
	}
	oneMB      = strings.Repeat("A", 1<<20)
	tenK       = strings.Repeat("é", 10_000)
	emRegionID = hin.GlobalID(hin.KindRegion, hin.StableUUID("region", "HI-EM"))
)

const (
	innovationsByName = `query($s: String) { innovations(first: 50, filter: {nameContains: $s}) { nodes { id name } } }`
	createInnovation  = `mutation($n: String!, $k: String) { createInnovation(input: {name: $n, leadRegionCode: "HI-EM"}, idempotencyKey: $k) { id name } }`
	// $ps and $pe let the cases that store a figure each use their own key:
	// the same key again restates the figure rather than adding an outcome.
	recordValue = `mutation($v: Float, $num: Float, $den: Float, $m: String!, $src: String, $ps: Date! = "2024-01-01", $pe: Date! = "2024-01-31") {
		recordOutcome(input: {metricCode: $m, regionCode: "HI-EM",
		periodStart: $ps, periodEnd: $pe, value: $v, numerator: $num, denominator: $den, source: $src}) { id value numerator denominator } }`
)

// deepSelection nests innovations and their lead region n times below
// node(id:), one item per level so the answer stays small.
func deepSelection(n int) string {
	var b strings.Builder
	b.WriteString(`query($id: ID!) { node(id: $id) { ... on Region { `)
	for range n {
		b.WriteString(`innovations(first: 1) { nodes { name leadRegion { `)
	}
	b.WriteString(`code`)
	for range n {
		b.WriteString(` } } }`)
	}
	b.WriteString(` } } }`)
	return b.String()
}

func nestedText(open, close string, n int) string {
	return strings.Repeat(open, n) + strings.Repeat(close, n)
}

func hostileReads() []hostileCase {
	var cs []hostileCase
	add := func(c hostileCase) { cs = append(cs, c) }
	for i, s := range sqlFragments {
		v := map[string]any{"s": s}
		add(hostileCase{name: "nameContains " + s, doc: innovationsByName, vars: v, read: true})
		add(hostileCase{name: "regionCodes " + s, doc: `query($s: String!) { innovations(filter: {regionCodes: [$s]}) { nodes { id } } }`, vars: v, read: true})
		add(hostileCase{name: "region code " + s, doc: `query($s: String!) { region(code: $s) { id } }`, vars: v, read: true})
		add(hostileCase{name: "node id " + s, doc: `query($s: ID!) { node(id: $s) { id } }`, vars: v, codes: []string{hin.EINVALID}})
		if i >= 4 {
			continue // the first few fragments are enough for the other arguments
		}
		add(hostileCase{name: "organisation nameContains " + s, doc: `query($s: String) { organisations(filter: {nameContains: $s}) { nodes { id } } }`, vars: v, read: true})
		add(hostileCase{name: "clinicalArea " + s, doc: `query($s: String) { innovations(filter: {clinicalArea: $s}) { nodes { id } } }`, vars: v, read: true})
		add(hostileCase{name: "metric codes " + s, doc: `query($s: String!) { metrics(filter: {codes: [$s]}) { code } }`, vars: v, read: true})
		add(hostileCase{name: "programmeIds " + s, doc: `query($s: ID!) { innovations(filter: {programmeIds: [$s]}) { nodes { id } } }`, vars: v, codes: []string{hin.EINVALID}})
		add(hostileCase{name: "cursor " + s, doc: `query($s: String) { innovations(after: $s) { nodes { id } } }`, vars: v, codes: []string{hin.EINVALID}})
		add(hostileCase{name: "figure metric " + s, doc: `query($s: String!) { figure(metrics: [$s], window: {financialYear: "FY2023-24"}) { value } }`, vars: v})
		add(hostileCase{name: "figure window " + s, doc: `query($s: String) { figure(metrics: ["patients_benefiting"], window: {financialYear: $s}) { value } }`, vars: v, codes: []string{hin.EINVALID}})
		add(hostileCase{name: "region figure quarter " + s, doc: `query($s: String) { region(code: "HI-EM") { figure(metrics: ["patients_benefiting"], window: {quarter: $s}) { value } } }`, vars: v, codes: []string{hin.EINVALID}})
	}
	for name, s := range oddText {
		v := map[string]any{"s": s}
		add(hostileCase{name: "nameContains " + name, doc: innovationsByName, vars: v, read: true})
		add(hostileCase{name: "region code " + name, doc: `query($s: String!) { region(code: $s) { id } }`, vars: v, read: true})
		add(hostileCase{name: "node id " + name, doc: `query($s: ID!) { node(id: $s) { id } }`, vars: v, codes: []string{hin.EINVALID}})
		add(hostileCase{name: "figure metric " + name, doc: `query($s: String!) { figure(metrics: [$s], window: {financialYear: "FY2023-24"}) { value } }`, vars: v})
	}
	// Strings: a megabyte and ten thousand two-byte characters.
	for name, s := range map[string]string{"1 MB": oneMB, "10k characters": tenK} {
		v := map[string]any{"s": s}
		add(hostileCase{name: name + " nameContains", doc: innovationsByName, vars: v, read: true})
		add(hostileCase{name: name + " region code", doc: `query($s: String!) { region(code: $s) { id } }`, vars: v, read: true})
		add(hostileCase{name: name + " node id", doc: `query($s: ID!) { node(id: $s) { id } }`, vars: v, codes: []string{hin.EINVALID}})
		add(hostileCase{name: name + " cursor", doc: `query($s: String) { innovations(after: $s) { nodes { id } } }`, vars: v, codes: []string{hin.EINVALID}})
		add(hostileCase{name: name + " financialYear", doc: `query($s: String) { figure(metrics: ["patients_benefiting"], window: {financialYear: $s}) { value } }`, vars: v, codes: []string{hin.EINVALID}})
		add(hostileCase{name: name + " date", doc: `query($s: Date) { organisations(filter: {validOn: $s}) { nodes { id } } }`, vars: v, codes: []string{hin.EINVALID}})
		add(hostileCase{name: name + " metric code", doc: `query($s: String!) { figure(metrics: [$s], window: {financialYear: "FY2023-24"}) { value } }`, vars: v, bug: bugEchoMetric})
		add(hostileCase{name: name + " id of another kind", doc: `query($s: [ID!]) { innovations(filter: {programmeIds: $s}) { nodes { id } } }`,
			vars: map[string]any{"s": []string{hin.GlobalID(s, "0b8f3c1e-6d2a-4e5f-9a7b-1c2d3e4f5a6b")}}, codes: []string{hin.EINVALID}, bug: bugEchoKind})
	}
	// NUL cannot be stored or compared by PostgreSQL: it must be refused as input, not fail in SQL.
	nul := map[string]any{"s": "a\x00b"}
	add(hostileCase{name: "NUL nameContains", doc: innovationsByName, vars: nul, read: true, bug: bugNUL})
	add(hostileCase{name: "NUL region code", doc: `query($s: String!) { region(code: $s) { id } }`, vars: nul, read: true, bug: bugNUL})
	add(hostileCase{name: "NUL metric code", doc: `query($s: String!) { figure(metrics: [$s], window: {financialYear: "FY2023-24"}) { value } }`, vars: nul})
	add(hostileCase{name: "NUL organisation nameContains", doc: `query($s: String) { organisations(filter: {nameContains: $s}) { nodes { id } } }`, vars: nul, read: true, bug: bugNUL})
	add(hostileCase{name: "NUL escape in the document", doc: `{ region(code: "a\u0000b") { id } }`, read: true, bug: bugNUL})
	add(hostileCase{name: "lone surrogate escape in the document", doc: `{ region(code: "a\uD800b") { id } }`, read: true})
	// Numbers for first, in the document and as variables.
	for _, lit := range []string{"2147483648", "-2147483649", "9223372036854775808", "99999999999999999999999", "1e308", "-1e308", "1.5", "5e-324", "-1", "501", "NaN", "Infinity", `"10"`, "true"} {
		add(hostileCase{name: "first literal " + lit, doc: `{ innovations(first: ` + lit + `) { nodes { id } } }`})
	}
	// an explicit null is the default page, as the resolver reads it
	add(hostileCase{name: "first literal null", doc: `{ innovations(first: null) { nodes { id } } }`, data: true})
	for _, order := range []string{`{"field":"name"}`, `{"field":"Name","direction":"DESC"}`, `{"field":"NAME","direction":"desc"}`, `{"field":"NOPE"}`} {
		c := hostileCase{name: "orderBy variable " + order, raw: []byte(`{"query":"query($o: InnovationOrder) { innovations(orderBy: $o) { nodes { id } } }","variables":{"o":` + order + `}}`),
			codes: []string{hin.EINVALID, "GRAPHQL_VALIDATION_FAILED"}}
		if strings.Contains(order, `"name"`) || strings.Contains(order, `"Name"`) {
			c.bug = bugOrderField
		}
		add(c)
	}
	add(hostileCase{name: "first literal -0", doc: `{ innovations(first: -0) { nodes { id } } }`, read: true})
	for _, num := range []string{"2147483648", "9223372036854775807", "9223372036854775808", "1e308", "-1e308", "5e-324", "1.5", "-1", `"NaN"`, `"Infinity"`, `"1e308"`, `[10]`, `{"n":10}`, "true"} {
		add(hostileCase{name: "first variable " + num, raw: []byte(`{"query":"query($f: Int) { innovations(first: $f) { nodes { id } } }","variables":{"f":` + num + `}}`)})
	}
	// gqlgen coerces a numeric string to Int, more leniently than the spec
	add(hostileCase{name: `first variable "10"`, raw: []byte(`{"query":"query($f: Int) { innovations(first: $f) { nodes { id } } }","variables":{"f":"10"}}`), data: true})
	add(hostileCase{name: "first variable -0", raw: []byte(`{"query":"query($f: Int) { innovations(first: $f) { nodes { id } } }","variables":{"f":-0}}`), read: true})
	// Dates that are almost dates.
	for _, d := range []string{"2024-02-30", "2024-13-01", "0000-01-01", "9999-12-31", "+2024-01-01", "2024-01-01T00:00:00Z", "2024-01-01'; DROP TABLE outcome; --", " 2024-01-01", "1e308"} {
		add(hostileCase{name: "date " + d, doc: `query($d: Date) { organisations(filter: {validOn: $d}) { nodes { id } } }`, vars: map[string]any{"d": d}, codes: []string{hin.EINVALID}})
	}
	// Deep input: lists of lists as a variable, in the document, and objects.
	add(hostileCase{name: "nested list variable 10k deep", raw: []byte(`{"query":"query($c: [String!]) { innovations(filter: {regionCodes: $c}) { nodes { id } } }","variables":{"c":` + nestedText("[", "]", 10_000) + `}}`)})
	add(hostileCase{name: "nested list variable 5k deep", raw: []byte(`{"query":"query($c: [String!]) { innovations(filter: {regionCodes: $c}) { nodes { id } } }","variables":{"c":` + nestedText("[", "]", 5_000) + `}}`)})
	add(hostileCase{name: "nested object variable 5k deep", raw: []byte(`{"query":"query($f: InnovationFilter) { innovations(filter: $f) { nodes { id } } }","variables":{"f":` +
		strings.Repeat(`{"regionCodes":`, 5_000) + `"HI-EM"` + strings.Repeat("}", 5_000) + `}}`)})
	add(hostileCase{name: "nested list literal 10k deep", doc: `{ innovations(filter: {regionCodes: ` + nestedText("[", "]", 10_000) + `}) { nodes { id } } }`})
	add(hostileCase{name: "nested object literal 5k deep", doc: `{ innovations(filter: ` + strings.Repeat(`{regionCodes: `, 5_000) + `"HI-EM"` + strings.Repeat("}", 5_000) + `) { nodes { id } } }`})
	add(hostileCase{name: "deep selection 300 levels", doc: deepSelection(300), vars: map[string]any{"id": emRegionID}, data: true})
	// 1,000 aliases; see TestHostileQueriesUnderDefaultLimits for 10,000
	add(hostileCase{name: "many aliases", doc: "{" + strings.Repeat(" a: __typename", 1_000) + " }", data: true})
	// Federation: representations a router would never send.
	const entities = `query($r: [_Any!]!) { _entities(representations: $r) { __typename } }`
	for _, r := range []struct{ name, reps string }{
		{"empty object", `[{}]`},
		{"unknown __typename", `[{"__typename":"Nope","id":"x"}]`},
		{"numeric __typename", `[{"__typename":5,"id":"x"}]`},
		{"null __typename", `[{"__typename":null,"code":"HI-EM"}]`},
		{"__typename Query", `[{"__typename":"Query","id":"x"}]`},
		{"__typename of a non-entity", `[{"__typename":"Figure","id":"x"}]`},
		{"missing key", `[{"__typename":"Region"}]`},
		{"key of another type", `[{"__typename":"Innovation","code":"x"}]`},
		{"null key", `[{"__typename":"Region","code":null}]`},
		{"object key", `[{"__typename":"Region","id":{"id":"x"}}]`},
		{"list key", `[{"__typename":"Metric","code":["x"]}]`},
		{"plain string", `["Region"]`},
		{"number", `[5]`},
		{"a good one, then a bad one", `[{"__typename":"Region","code":"HI-EM"},{}]`},
	} {
		add(hostileCase{name: "_entities " + r.name, raw: []byte(`{"query":"` + entities + `","variables":{"r":` + r.reps + `}}`), codes: []string{hin.EINVALID}, bug: bugEntities})
	}
	add(hostileCase{name: "_entities literal plain string", doc: `{ _entities(representations: ["Region"]) { __typename } }`, codes: []string{hin.EINVALID}, bug: bugEntities})
	add(hostileCase{name: "_entities literal empty object", doc: `{ ... on Query { _entities(representations: [{}]) { __typename } } }`, codes: []string{hin.EINVALID}, bug: bugEntities})
	// the editor may read the SDL (introspection is on for signed-in callers); anonymous callers may not here
	add(hostileCase{name: "_service", doc: `{ _service { sdl } }`, codes: []string{hin.EINTROSPECTION}, data: true, bug: bugService})
	add(hostileCase{name: "_service in a fragment", doc: `{ ...F } fragment F on Query { _service { sdl } }`, codes: []string{hin.EINTROSPECTION}, data: true, bug: bugService})
	// Moments that are not RFC 3339 moments with a zone.
	const asOf = `query($a: DateTime) { figure(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}, asOf: $a) { value } }`
	for _, a := range []string{`"now"`, `"2024-13-01T00:00:00Z"`, `"2024-01-01"`, `20240101`, `1.5`, `-1`, `true`, `""`, `" "`, `"2024-01-01T00:00:00"`,
		`"2024-01-01 00:00:00"`, `"2024-02-30T00:00:00Z"`, `"2024-01-01T24:00:00Z"`, `"2024-01-01T00:60:00Z"`, `"2024-01-01T00:00:00+25:00"`,
		`"0000-01-01T00:00:00Z"`, `"9999-12-31T23:59:59Z"`, `"-2024-01-01T00:00:00Z"`, `"2024-01-01T00:00:00.Z"`, `"2024-W01"`, `"yesterday"`,
		`"NaN"`, `"1e308"`, `["2024-01-01T00:00:00Z"]`, `{"at":"2024-01-01T00:00:00Z"}`, `"2024-01-01T00:00:00Z'; DROP TABLE outcome; --"`} {
		add(hostileCase{name: "asOf " + a, raw: []byte(`{"query":` + jsonString(asOf) + `,"variables":{"a":` + a + `}}`), codes: []string{hin.EINVALID}, bug: bugAsOf})
	}
	add(hostileCase{name: "asOf literal now", doc: `{ figure(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}, asOf: "now") { value } }`, codes: []string{hin.EINVALID}, bug: bugAsOf})
	add(hostileCase{name: "asOf literal number", doc: `{ series(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}, interval: MONTH, asOf: 1700000000) { points { value } } }`, codes: []string{hin.EINVALID}, bug: bugAsOf})
	return cs
}

func hostileWrites() []hostileCase {
	var cs []hostileCase
	add := func(c hostileCase) { c.mutate = true; cs = append(cs, c) }
	literalName := func(s string) *stored {
		return &stored{table: "innovation", where: "name = $1", value: s, also: []string{"innovation_stage_change", "audit_event"}}
	}
	for i, s := range sqlFragments {
		add(hostileCase{name: "innovation named " + s, doc: createInnovation, vars: map[string]any{"n": s}, store: literalName(s)})
		if i >= 4 {
			continue
		}
		add(hostileCase{name: "leadRegionCode " + s, doc: `mutation($s: String) { createInnovation(input: {name: "x", leadRegionCode: $s}) { id } }`, vars: map[string]any{"s": s}})
		add(hostileCase{name: "programmeIds " + s, doc: `mutation($s: ID!) { createInnovation(input: {name: "x", leadRegionCode: "HI-EM", programmeIds: [$s]}) { id } }`, vars: map[string]any{"s": s}})
		add(hostileCase{name: "outcome metricCode " + s, doc: recordValue, vars: map[string]any{"m": s, "v": 1}})
		add(hostileCase{name: "outcome regionCode " + s, doc: `mutation($s: String!) { recordOutcome(input: {metricCode: "patients_benefiting", regionCode: $s,
			periodStart: "2024-01-01", periodEnd: "2024-01-31", value: 1}) { id } }`, vars: map[string]any{"s": s}})
		add(hostileCase{name: "return regionCode " + s, doc: `mutation($s: String!) { submitReturn(input: {regionCode: $s, periodStart: "2024-01-01", periodEnd: "2024-01-31",
			rows: [{metricCode: "patients_benefiting", value: 1}]}) { id } }`, vars: map[string]any{"s": s}})
		add(hostileCase{name: "return row metricCode " + s, doc: `mutation($s: String!) { submitReturn(input: {regionCode: "HI-EM", periodStart: "2024-01-01", periodEnd: "2024-01-31",
			rows: [{metricCode: "patients_benefiting", value: 1}, {metricCode: $s, value: 1}]}) { id } }`, vars: map[string]any{"s": s}})
	}
	add(hostileCase{name: "outcome source SQL", doc: recordValue, vars: map[string]any{"m": "patients_benefiting", "v": 1, "src": sqlFragments[0], "ps": "2023-01-01", "pe": "2023-01-31"},
		store: &stored{table: "outcome", where: "source = $1", value: sqlFragments[0], also: []string{"audit_event", "outcome_region_month", "outcome_detail_month"}}})
	add(hostileCase{name: "idempotency key SQL", doc: createInnovation, vars: map[string]any{"n": "Keyed innovation", "k": sqlFragments[0]},
		store: &stored{table: "innovation", where: "name = $1", value: "Keyed innovation", also: []string{"innovation_stage_change", "audit_event", "idempotency_key"}}})
	for name, s := range oddText {
		add(hostileCase{name: "innovation named " + name, doc: createInnovation, vars: map[string]any{"n": s}, store: literalName(s)})
	}
	// Control characters are refused before they reach the database.
	for name, s := range map[string]string{"NUL": "a\x00b", "escape": "a\x1b[31mred", "DEL": "a\x7fb", "only NUL": "\x00"} {
		bug := bugControl
		if strings.Contains(s, "\x00") {
			bug = bugNUL
		}
		add(hostileCase{name: "innovation named " + name, doc: createInnovation, vars: map[string]any{"n": s}, codes: []string{hin.EINVALID, hin.EUNAUTHORIZED}})
		add(hostileCase{name: "outcome source " + name, doc: recordValue, vars: map[string]any{"m": "patients_benefiting", "v": 1, "src": s}, codes: []string{hin.EINVALID, hin.EUNAUTHORIZED},
			bugEditor: bug})
		add(hostileCase{name: "return source " + name, doc: `mutation($s: String) { submitReturn(input: {regionCode: "HI-EM", periodStart: "2024-01-01", periodEnd: "2024-01-31", source: $s,
			rows: [{metricCode: "patients_benefiting", value: 1}]}) { id } }`, vars: map[string]any{"s": s}, codes: []string{hin.EINVALID, hin.EUNAUTHORIZED}, bugEditor: bug})
		add(hostileCase{name: "idempotency key " + name, doc: createInnovation, vars: map[string]any{"n": "Keyed", "k": "key-" + s + "-0001"}, codes: []string{hin.EINVALID, hin.EUNAUTHORIZED},
			bugEditor: bug})
		add(hostileCase{name: "metric code " + name, doc: recordValue, vars: map[string]any{"m": s, "v": 1}})
	}
	// Huge strings in every text field.
	for name, s := range map[string]string{"1 MB": oneMB, "10k characters": tenK} {
		add(hostileCase{name: name + " name", doc: createInnovation, vars: map[string]any{"n": s}, codes: []string{hin.EINVALID, hin.EUNAUTHORIZED}})
		add(hostileCase{name: name + " description", doc: `mutation($s: String) { createInnovation(input: {name: "x", description: $s, leadRegionCode: "HI-EM"}) { id } }`, vars: map[string]any{"s": s}})
		add(hostileCase{name: name + " idempotency key", doc: createInnovation, vars: map[string]any{"n": "x", "k": s}, codes: []string{hin.EINVALID, hin.EUNAUTHORIZED}})
		add(hostileCase{name: name + " source", doc: recordValue, vars: map[string]any{"m": "patients_benefiting", "v": 1, "src": s}, codes: []string{hin.EINVALID, hin.EUNAUTHORIZED}})
		add(hostileCase{name: name + " metric code", doc: recordValue, vars: map[string]any{"m": s, "v": 1}, bugEditor: bugEchoMetric})
		add(hostileCase{name: name + " return row", doc: `mutation($s: String!) { submitReturn(input: {regionCode: "HI-EM", periodStart: "2024-01-01", periodEnd: "2024-01-31",
			rows: [{metricCode: $s, value: 1}]}) { id } }`, vars: map[string]any{"s": s}, bugEditor: bugEchoMetric})
		add(hostileCase{name: name + " stageOn", doc: `mutation($s: Date) { createInnovation(input: {name: "x", leadRegionCode: "HI-EM"}, stageOn: $s) { id } }`, vars: map[string]any{"s": s}, codes: []string{hin.EINVALID}})
	}
	// Numbers: values, numerators and denominators at the edges of float64.
	for _, num := range []string{"1e308", "-1e308", "1e999", "-1", "1e15000", "1000000000000001", `"NaN"`, `"Infinity"`, `"-Infinity"`, `"1e308"`, `[1]`, `{"v":1}`, "true"} {
		add(hostileCase{name: "value " + num, raw: []byte(`{"query":` + jsonString(recordValue) + `,"variables":{"m":"patients_benefiting","v":` + num + `}}`)})
		add(hostileCase{name: "numerator " + num, raw: []byte(`{"query":` + jsonString(recordValue) + `,"variables":{"m":"lipid_treated_to_target","num":` + num + `,"den":10}}`)})
		add(hostileCase{name: "denominator " + num, raw: []byte(`{"query":` + jsonString(recordValue) + `,"variables":{"m":"lipid_treated_to_target","num":1,"den":` + num + `}}`)})
		add(hostileCase{name: "return row value " + num, raw: []byte(`{"query":"mutation($v: Float) { submitReturn(input: {regionCode: \"HI-EM\", periodStart: \"2024-01-01\", periodEnd: \"2024-01-31\", rows: [{metricCode: \"patients_benefiting\", value: 1}, {metricCode: \"bed_days_saved\", value: $v}]}) { id } }","variables":{"v":` + num + `}}`)})
	}
	for _, lit := range []string{"1e308", "-1e308", "1e999", "NaN", "Infinity", "-Infinity", `"12"`} {
		add(hostileCase{name: "value literal " + lit, doc: `mutation { recordOutcome(input: {metricCode: "patients_benefiting", regionCode: "HI-EM", periodStart: "2024-01-01", periodEnd: "2024-01-31", value: ` + lit + `}) { id } }`})
	}
	// Tiny and negative zero values are valid numbers and may be stored.
	add(hostileCase{name: "value -0", raw: []byte(`{"query":` + jsonString(recordValue) + `,"variables":{"m":"patients_benefiting","v":-0,"src":"negative zero","ps":"2023-02-01","pe":"2023-02-28"}}`),
		store: &stored{table: "outcome", where: "source = $1 AND value = 0", value: "negative zero", also: []string{"audit_event", "outcome_region_month", "outcome_detail_month"}}})
	add(hostileCase{name: "value 5e-324", raw: []byte(`{"query":` + jsonString(recordValue) + `,"variables":{"m":"patients_benefiting","v":5e-324,"src":"denormal","ps":"2023-03-01","pe":"2023-03-31"}}`),
		store: &stored{table: "outcome", where: "source = $1 AND value > 0", value: "denormal", also: []string{"audit_event", "outcome_region_month", "outcome_detail_month"}}})
	add(hostileCase{name: "rate 5e-324 of 5e-324", raw: []byte(`{"query":` + jsonString(recordValue) + `,"variables":{"m":"lipid_treated_to_target","num":5e-324,"den":5e-324,"src":"denormal rate"}}`),
		store: &stored{table: "outcome", where: "source = $1", value: "denormal rate", also: []string{"audit_event", "outcome_region_month", "outcome_detail_month"}}})
	// Returns: too many rows, none, and one huge bad row among good ones.
	rows := make([]map[string]any, hin.MaxReturnRows+1)
	for i := range rows {
		rows[i] = map[string]any{"metricCode": "patients_benefiting", "value": 1}
	}
	returnDoc := `mutation($r: [ReturnRow!]!) { submitReturn(input: {regionCode: "HI-EM", periodStart: "2024-01-01", periodEnd: "2024-01-31", rows: $r}) { id } }`
	add(hostileCase{name: "return of 5001 rows", doc: returnDoc, vars: map[string]any{"r": rows}, codes: []string{hin.EINVALID, hin.EUNAUTHORIZED}})
	add(hostileCase{name: "return of no rows", doc: returnDoc, vars: map[string]any{"r": []any{}}, codes: []string{hin.EINVALID, hin.EUNAUTHORIZED}})
	add(hostileCase{name: "return rows nested 5k deep", raw: []byte(`{"query":` + jsonString(returnDoc) + `,"variables":{"r":` + nestedText("[", "]", 5_000) + `}}`)})
	add(hostileCase{name: "reversed period", doc: `mutation { recordOutcome(input: {metricCode: "patients_benefiting", regionCode: "HI-EM", periodStart: "2200-12-31", periodEnd: "1900-01-01", value: 1}) { id } }`,
		codes: []string{hin.EINVALID, hin.EUNAUTHORIZED}})
	return cs
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// hostileBodies are broken or unusual requests as they travel.
func hostileBodies() []hostileCase {
	var cs []hostileCase
	add := func(c hostileCase) { cs = append(cs, c) }
	q := jsonString(innovationsByName)
	create := jsonString(createInnovation)
	bad := []string{hin.EINVALID, "BAD_REQUEST", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "PERSISTED_QUERY_NOT_FOUND",
		"UNSUPPORTED_MEDIA_TYPE", "METHOD_NOT_ALLOWED", "REQUEST_TOO_LARGE"}
	for _, lit := range []string{"NaN", "Infinity", "-Infinity", "+1", "0x10", "1.", ".5", "01", "1e", "undefined", "'single'"} {
		add(hostileCase{name: "JSON " + lit, raw: []byte(`{"query":` + q + `,"variables":{"s":` + lit + `}}`), codes: []string{"BAD_REQUEST"}})
		add(hostileCase{name: "JSON " + lit + " in a write", raw: []byte(`{"query":` + jsonString(recordValue) + `,"variables":{"m":"patients_benefiting","v":` + lit + `}}`), codes: []string{"BAD_REQUEST"}, mutate: true})
	}
	// Text that is not UTF-8 and escapes that are not characters: the JSON
	// decoder turns both into U+FFFD, which may be stored as such.
	for name, raw := range map[string]string{
		"lone surrogate escape": `\ud800`, "reversed surrogates": `\udc00\ud800`, "overlong slash": "\xc0\xaf", "overlong NUL": "\xc0\x80",
		"encoded surrogate": "\xed\xa0\x80", "invalid byte": "\xff\xfe", "truncated sequence": "\xe2\x82",
	} {
		add(hostileCase{name: raw + " " + name + " in a name", raw: []byte(`{"query":` + create + `,"variables":{"n":"bad ` + raw + ` name ` + name + `"}}`), mutate: true,
			store: &stored{table: "innovation", where: "name LIKE 'bad %' AND name LIKE '%' || $1", value: " name " + name, also: []string{"innovation_stage_change", "audit_event"}}})
		add(hostileCase{name: name + " in a search", raw: []byte(`{"query":` + q + `,"variables":{"s":"zz` + raw + `zz"}}`), read: true})
		add(hostileCase{name: name + " in the document", raw: []byte(`{"query":"{ region(code: \"` + raw + `\") { id } }"}`), read: true})
	}
	// Duplicate keys: the decoder keeps the last, and only the last runs.
	add(hostileCase{name: "duplicate query key", raw: []byte(`{"query":` + create + `,"variables":{"n":"dup"},"query":"{ __typename }"}`), data: true, mutate: true})
	add(hostileCase{name: "duplicate variable key", raw: []byte(`{"query":` + create + `,"variables":{"n":"fine name","n":"bad\u0000name"}}`), mutate: true, codes: []string{hin.EINVALID, hin.EUNAUTHORIZED}})
	add(hostileCase{name: "duplicate variables key", raw: []byte(`{"query":` + create + `,"variables":{"n":"fine name"},"variables":{"n":""}}`), mutate: true, codes: []string{hin.EINVALID, hin.EUNAUTHORIZED}})
	add(hostileCase{name: "duplicate operationName", raw: []byte(`{"query":"query A { __typename } mutation B { createInnovation(input: {name: \"dup op\", leadRegionCode: \"HI-EM\"}) { id } }","operationName":"B","operationName":"C"}`),
		mutate: true, codes: []string{"GRAPHQL_VALIDATION_FAILED"}})
	// Bodies that are not a request object.
	for name, raw := range map[string]string{
		"empty": "", "null": "null", "array": `[{"query":"{ __typename }"}]`, "string": `"{ __typename }"`, "number": "1e308",
		"query not a string": `{"query":{"a":1}}`, "variables not an object": `{"query":"{ __typename }","variables":[1]}`,
		"unterminated": `{"query":"{ __typename }"`, "garbage": "\x00\x01\x02\xff", "1 MB of garbage": "{" + oneMB,
		"nested 10k deep": nestedText("[", "]", 10_000), "nested objects 10k deep": strings.Repeat(`{"a":`, 10_000) + "1" + strings.Repeat("}", 10_000),
		"no query": `{}`, "empty query": `{"query":""}`, "whitespace query": `{"query":"   "}`,
		"unknown operation":       `{"query":"query A { __typename }","operationName":"'; DROP TABLE outcome; --"}`,
		"bad persisted query":     `{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"'; DROP TABLE outcome; --"}}}`,
		"unknown persisted query": `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"0000"}}}`,
		"persisted query junk":    `{"extensions":{"persistedQuery":{"version":"x","sha256Hash":[1]}}}`,
		"persisted query version": `{"extensions":{"persistedQuery":{"version":1e308,"sha256Hash":"00"}}}`,
	} {
		add(hostileCase{name: "body " + name, raw: []byte(raw), codes: bad})
	}
	add(hostileCase{name: "body with trailing garbage", raw: []byte(`{"query":"{ __typename }"} '; DROP TABLE outcome; --`), data: true})
	add(hostileCase{name: "mutation after a valid body", raw: []byte(`{"query":"{ __typename }"}{"query":"mutation { createInnovation(input: {name: \"smuggled\", leadRegionCode: \"HI-EM\"}) { id } }"}`), data: true, mutate: true})
	// GET: the query string is decoded by net/url, not JSON, so raw bytes arrive as they are.
	get := func(name, query string, c hostileCase) {
		c.name, c.get, c.raw = "GET "+name, true, []byte(query)
		add(c)
	}
	get("search with invalid UTF-8", "query="+url.QueryEscape(`{ innovations(filter: {nameContains: "`+"\xc0\xaf\xff"+`"}) { nodes { id } } }`), hostileCase{read: true, bug: bugUTF8})
	get("region with invalid UTF-8", "query="+url.QueryEscape(`{ region(code: "`+"\xff"+`") { id } }`), hostileCase{read: true, bug: bugUTF8})
	get("variables with invalid UTF-8", "query="+url.QueryEscape(innovationsByName)+"&variables="+url.QueryEscape(`{"s":"zz`+"\xc0\xaf"+`zz"}`), hostileCase{read: true})
	get("search with NUL", "query="+url.QueryEscape(`{ innovations(filter: {nameContains: "\u0000"}) { nodes { id } } }`), hostileCase{read: true, bug: bugNUL})
	get("variables not JSON", "query="+url.QueryEscape(innovationsByName)+"&variables=NaN", hostileCase{codes: bad})
	get("bad escape", "query=%zz", hostileCase{codes: bad})
	get("mutation", "query="+url.QueryEscape(`mutation { createInnovation(input: {name: "via GET", leadRegionCode: "HI-EM"}) { id } }`), hostileCase{mutate: true})
	// (a URL is far shorter than a body: the server takes 64 KB of headers)
	get("32 KB search", "query="+url.QueryEscape(innovationsByName)+"&variables="+url.QueryEscape(`{"s":"`+oneMB[:32<<10]+`"}`), hostileCase{read: true})
	// Other media types are not served.
	add(hostileCase{name: "text/plain body", raw: []byte(`{"query":"{ __typename }"}`), ctype: "text/plain", codes: bad})
	add(hostileCase{name: "form body", raw: []byte(`query=` + url.QueryEscape(`mutation { createInnovation(input: {name: "form", leadRegionCode: "HI-EM"}) { id } }`)),
		ctype: "application/x-www-form-urlencoded", codes: bad, mutate: true})
	add(hostileCase{name: "bad content type", raw: []byte(`{"query":"{ __typename }"}`), ctype: "application/json; charset=\x00", codes: bad})
	return cs
}

// runHostile sends every case as each caller, each caller on its own
// database; cases run one at a time so a change is pinned on its case.
// runHostile sends every case as each kind of caller; with bothWays,
// queries are also sent with direct execution off, and must pass alike.
func runHostile(t *testing.T, cases []hostileCase, bothWays bool) {
	type run struct {
		name   string
		who    hin.Principal
		direct bool
	}
	runs := []run{{"editor", editorEM, true}, {"anonymous", anonymous, true}}
	if bothWays {
		runs = append(runs, run{"editor-gqlgen", editorEM, false}, run{"anonymous-gqlgen", anonymous, false})
	}
	for _, role := range runs {
		t.Run(role.name, func(t *testing.T) {
			t.Parallel()
			ws := newWriteServer(t)
			if !role.direct {
				ws.h = graph.WithoutDirect(ws.h)
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					before := fingerprint(t, ws.db)
					r, input := c.request()
					start := time.Now()
					res := sendAs(ws.h, role.who, r)
					if d := time.Since(start); d > 5*time.Second {
						t.Errorf("took %v", d)
					}
					after := fingerprint(t, ws.db)
					checkHostile(t, ws.db, c, role.who, res, input, tablesChanged(before, after))
				})
			}
		})
	}
}

func checkHostile(t *testing.T, db *sql.DB, c hostileCase, who hin.Principal, res apiResult, input []byte, diff map[string]int) {
	t.Helper()
	checkClean(t, res, input)
	failed := len(res.errors) > 0
	if failed && len(c.codes) > 0 {
		code, _ := res.errors[0].Extensions["code"].(string)
		if !slices.Contains(c.codes, code) && !(c.mutate && who.Role == hin.RoleAnonymous && code == hin.EUNAUTHORIZED) {
			t.Errorf("code %s, want one of %v: %.300q", code, c.codes, res.errors[0].Message)
		}
	}
	mayStore := c.store != nil && who.Role == hin.RoleRegionEditor
	switch {
	case !failed && c.mutate && who.Role == hin.RoleAnonymous && !c.data:
		t.Errorf("an anonymous write was not refused: %.300s", res.body)
	case !failed && mayStore:
		// accepted: the odd text is stored exactly, nothing else moved
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM `+pq.QuoteIdentifier(c.store.table)+` WHERE `+c.store.where, c.store.value).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d rows of %s hold %q exactly, want 1: %.300s", n, c.store.table, c.store.value, res.body)
		}
		if diff[c.store.table] != 1 || diff["audit_event"] != 1 {
			t.Errorf("want one new %s row and one audit event, got %v", c.store.table, diff)
		}
		for table := range diff {
			if table != c.store.table && !slices.Contains(c.store.also, table) {
				t.Errorf("%s changed too: %v", table, diff)
			}
		}
		return
	case !failed && c.data:
	case !failed && c.read:
		if !isEmptyData(res.data) {
			t.Errorf("want an empty answer, got %.300s", res.data)
		}
	case !failed:
		t.Errorf("want a clear error, got %.300s", res.body)
	}
	if len(diff) > 0 {
		t.Errorf("the database changed: %v (response %.300s)", diff, res.body)
	}
}

func TestHostileReads(t *testing.T) {
	t.Parallel()
	runHostile(t, hostileReads(), true)
}

func TestHostileWrites(t *testing.T) {
	t.Parallel()
	runHostile(t, hostileWrites(), false)
}

func TestHostileBodies(t *testing.T) {
	t.Parallel()
	runHostile(t, hostileBodies(), true)
}

// The tests below reproduce the bugs above in the smallest form. None is
// skipped: each runs and must pass, so a bug that comes back fails it.

// reproduce sends one document as the caller and checks the answer is a
// clear error and changed nothing.
func reproduce(t *testing.T, who hin.Principal, c hostileCase) {
	t.Helper()
	ws := newWriteServer(t)
	before := fingerprint(t, ws.db)
	r, input := c.request()
	res := sendAs(ws.h, who, r)
	checkHostile(t, ws.db, c, who, res, input, tablesChanged(before, fingerprint(t, ws.db)))
}

func TestNULInTextBug(t *testing.T) {
	t.Parallel()
	// fix: refuse NUL (and invalid UTF-8) once for every String argument,
	// e.g. a String scalar of our own whose UnmarshalString returns
	// INVALID_ARGUMENT; and run outcome/return sources and idempotency keys
	// through the same text check as names.
	reproduce(t, anonymous, hostileCase{doc: `{ region(code: "a\u0000b") { id } }`, read: true})
	reproduce(t, editorEM, hostileCase{doc: createInnovation, vars: map[string]any{"n": "x", "k": "key-\x00-0001"}, mutate: true, codes: []string{hin.EINVALID}})
}

func TestInvalidUTF8InGETBug(t *testing.T) {
	t.Parallel()
	reproduce(t, anonymous, hostileCase{get: true, raw: []byte("query=" + url.QueryEscape("{ region(code: \"\xff\") { id } }")), read: true})
}

func TestControlCharactersInSourceBug(t *testing.T) {
	t.Parallel()
	reproduce(t, editorEM, hostileCase{doc: recordValue, vars: map[string]any{"m": "patients_benefiting", "v": 1, "src": "a\x1b[31mred"},
		mutate: true, codes: []string{hin.EINVALID}})
}

func TestLongInputsQuotedBackBug(t *testing.T) {
	t.Parallel()
	// fix: quote at most ~64 characters, as ParseGlobalID already does
	// (graph/national.go, internal/store/national.go and outcome.go for
	// metric codes; hin.ParseIDOf for the kind)
	long := strings.Repeat("A", 100_000)
	reproduce(t, anonymous, hostileCase{doc: `query($s: String!) { figure(metrics: [$s], window: {financialYear: "FY2023-24"}) { value } }`, vars: map[string]any{"s": long}})
	reproduce(t, anonymous, hostileCase{doc: `query($s: [ID!]) { innovations(filter: {programmeIds: $s}) { nodes { id } } }`,
		vars: map[string]any{"s": []string{hin.GlobalID(long, "0b8f3c1e-6d2a-4e5f-9a7b-1c2d3e4f5a6b")}}})
}

func TestOrderFieldCaseBug(t *testing.T) {
	t.Parallel()
	// fix: bind the *OrderField enums (gqlgen.yml) to hand-written types
	// whose UnmarshalGQL returns hin.Errorf(hin.EINVALID, ...), as the hin
	// enums do; or have presentError code argument-coercion errors
	// INVALID_ARGUMENT
	reproduce(t, anonymous, hostileCase{doc: `query($o: InnovationOrder) { innovations(orderBy: $o) { totalCount } }`,
		vars: map[string]any{"o": map[string]any{"field": "name"}}, codes: []string{hin.EINVALID}})
}

func TestLongSearchTextBug(t *testing.T) {
	t.Parallel()
	// fix: cap nameContains and clinicalArea (every *Contains filter) at a
	// few hundred characters with INVALID_ARGUMENT, as names are capped
	reproduce(t, anonymous, hostileCase{doc: `query($s: String) { organisations(filter: {nameContains: $s}) { nodes { id } } }`,
		vars: map[string]any{"s": strings.Repeat("A", 1<<20-100)}, codes: []string{hin.EINVALID}})
}

// cmdLimits are the shipped defaults for the query limits.
var cmdLimits = httpapi.DefaultConfig().Limits

// TestHostileQueriesUnderDefaultLimits: what the server's limits are for.
// Without them (the handler's zero Options), 10,000 aliases of __typename
// take over a minute to validate, since overlapping-field checks are
// quadratic; the token limit refuses them before parsing.
func TestHostileQueriesUnderDefaultLimits(t *testing.T) {
	t.Parallel()
	db := testdb.NewDB(t, testdb.Reference)
	h := graph.NewHandler(store.NewFromDB(db), graph.Options{Limits: cmdLimits, RequestTimeout: 15 * time.Second})
	frags := new(strings.Builder)
	frags.WriteString(`{ ...F0 }`)
	for i := range 200 {
		fmt.Fprintf(frags, ` fragment F%d on Query { ...F%d regions { code } }`, i, i+1)
	}
	frags.WriteString(` fragment F200 on Query { __typename }`)
	for _, c := range []hostileCase{
		{name: "10k aliases", doc: "{" + strings.Repeat(" a: __typename", 10_000) + " }"},
		{name: "deep selection", doc: deepSelection(300), vars: map[string]any{"id": emRegionID}},
		{name: "nested list literal", doc: `{ innovations(filter: {regionCodes: ` + nestedText("[", "]", 10_000) + `}) { nodes { id } } }`},
		{name: "fragment chain", doc: frags.String()},
		{name: "fragment cycle", doc: `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`},
		{name: "wide page", doc: `{ regions { innovations(first: 500) { nodes { pilots(first: 500) { nodes { outcomes(first: 500) { nodes { id } } } } } } } }`},
		{name: "nested list variable", raw: []byte(`{"query":"query($c: [String!]) { innovations(filter: {regionCodes: $c}) { nodes { id } } }","variables":{"c":` + nestedText("[", "]", 9_000) + `}}`)},
		// issue 8: each fragment spread twice in the next, 2^26 expansions
		{name: "doubling fragments", doc: graph.FragmentBomb(26, "regions { code }"), codes: []string{"COST_LIMIT_EXCEEDED"}},
		{name: "one field 1,900 times", doc: "{ regions { " + strings.Repeat("code ", 1900) + "} }", codes: []string{"FIELD_REPEAT_LIMIT_EXCEEDED"}},
		{name: "32 copies of 32 copies", doc: "{ " + strings.Repeat("regions { "+strings.Repeat("name ", 32)+"} ", 32) + "}", codes: []string{"FIELD_REPEAT_LIMIT_EXCEEDED"}},
		{name: "one field across 40 fragments", doc: manyFragmentsOf(40, 30, "code"), codes: []string{"FIELD_REPEAT_LIMIT_EXCEEDED"}},
		{name: "Int variable sent as a string", doc: `query($n: Int) { regions { outcomes(first: $n) { nodes { id } } } }`,
			vars: map[string]any{"n": "500"}, codes: []string{"GRAPHQL_VALIDATION_FAILED"}},
		{name: "two-level page sent as strings", doc: `query($n: Int, $m: Int) { innovations(first: $n) { nodes { pilots(first: $m) { nodes { id } } } } }`,
			vars: map[string]any{"n": "500", "m": "500"}, codes: []string{"GRAPHQL_VALIDATION_FAILED"}},
		{name: "bare MONTH over 50 years", doc: `{ a: figureBreakdown(metrics: ["patients_benefiting"], window: {from: "1975-04-01", to: "2025-03-31"}, groupBy: MONTH) { ...G } b: figureBreakdown(metrics: ["patients_benefiting"], window: {from: "1975-04-01", to: "2025-03-31"}, groupBy: MONTH) { ...G } } fragment G on FigureGroup { value numerator denominator outcomeCount reportingCount period { label start end } }`,
			codes: []string{"COST_LIMIT_EXCEEDED"}},
		{name: "monthly series over 50 years, many times", doc: `{ ` + aliasedSeries(4) + ` }`, codes: []string{"COST_LIMIT_EXCEEDED"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, input := c.request()
			start := time.Now()
			res := sendAs(h, anonymous, r)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			checkClean(t, res, input)
			if len(res.errors) == 0 {
				t.Errorf("not refused: %.200s", res.body)
			} else if code, _ := res.errors[0].Extensions["code"].(string); len(c.codes) > 0 && !slices.Contains(c.codes, code) {
				t.Errorf("code %q, want one of %v: %s", code, c.codes, res.errors[0].Message)
			}
		})
	}
}

// manyFragmentsOf spreads n fragments into one selection set, each
// selecting field k times.
func manyFragmentsOf(n, k int, field string) string {
	var b strings.Builder
	b.WriteString("{ regions { ")
	for i := range n {
		fmt.Fprintf(&b, "...R%d ", i)
	}
	b.WriteString("} }")
	for i := range n {
		fmt.Fprintf(&b, " fragment R%d on Region { %s}", i, strings.Repeat(field+" ", k))
	}
	return b.String()
}

func aliasedSeries(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` s%d: series(metrics: ["patients_benefiting"], window: {from: "1975-04-01", to: "2025-03-31"}, interval: MONTH) { points { value numerator denominator outcomeCount } }`, i)
	}
	return b.String()
}

// TestDoublingFragmentsAreAnsweredAtOnce: 2^30 spreads of a fragment that
// costs nothing are measured once each and answered.
func TestDoublingFragmentsAreAnsweredAtOnce(t *testing.T) {
	t.Parallel()
	h := graph.NewHandler(testdb.New(t, testdb.Reference), graph.Options{Limits: cmdLimits, RequestTimeout: 15 * time.Second})
	res := sendAs(h, anonymous, postJSON(gqlBody(graph.FragmentBomb(30, "__typename"), nil)))
	if len(res.errors) > 0 || !strings.Contains(string(res.body), `"__typename":"Query"`) {
		t.Errorf("not answered: %.300s", res.body)
	}
}

// TestMalformedBodyIsNotEchoed: a body that is not a JSON request must not
// come back in the error: it can be a megabyte, and reflecting a client's
// bytes invites misuse. (gqlgen's own POST transport quoted it whole.)
func TestMalformedBodyIsNotEchoed(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	marker := "zqx" + strings.Repeat("7", 8) + "echo"
	for _, body := range []string{"{" + marker, `{"query": "` + marker, marker, `{"query":"{ __typename }","variables":` + marker + `}`, "[" + marker + "]"} {
		res := sendAs(ws.h, anonymous, postJSON([]byte(body)))
		checkClean(t, res, []byte(body))
		if len(res.errors) == 0 {
			t.Fatalf("%q: no error", body)
		}
		if bytes.Contains(res.body, []byte(marker)) {
			t.Errorf("a malformed body is quoted back in the error: %.200s", res.body)
		}
	}
}

// TestFingerprintSeesEveryChange keeps the hostile table honest: an
// update, an insert and a delete each show up in the fingerprint.
func TestFingerprintSeesEveryChange(t *testing.T) {
	t.Parallel()
	db := testdb.NewDB(t, testdb.Reference)
	for _, stmt := range []string{
		`UPDATE region SET summary = summary WHERE code = 'HI-EM'`, // same value: still a write
		`INSERT INTO seed_info (key, value) VALUES ('fingerprint-test', 'x')`,
		`DELETE FROM seed_info WHERE key = 'fingerprint-test'`,
	} {
		before := fingerprint(t, db)
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
		if diff := tablesChanged(before, fingerprint(t, db)); len(diff) != 1 {
			t.Errorf("%s: changed tables %v, want one", stmt, diff)
		}
	}
}
