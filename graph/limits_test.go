package graph_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// defaultLimits are the shipped limits less anonymous introspection and the
// anonymous cost limit (see cmdLimits for the shipped ones).
var defaultLimits = graph.Limits{MaxTokens: 2000, MaxDepth: 15, MaxAliases: 15, MaxDirectives: 50, MaxCost: 50000}

func limitedServer(t *testing.T, l graph.Limits, who hin.Principal) *server {
	t.Helper()
	s := testdb.New(t, testdb.Reference)
	h := graph.NewHandler(s, graph.Options{Introspection: true, Limits: l})
	return &server{c: client.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(hin.WithPrincipal(r.Context(), who)))
	}))}
}

// introspectionQuery asks for the whole schema the way GraphiQL does,
// type references nested nine deep.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}`

func TestLimitsStopHostileQueries(t *testing.T) {
	t.Parallel()
	srv := limitedServer(t, defaultLimits, hin.Principal{Subject: "a", Role: hin.RoleAnalyst})
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, " a%d: regions { code }", i)
		}
		return b.String() + " }"
	}
	deep := func(n int) string {
		q := "name"
		for i := 0; i < n; i++ {
			q = "leadRegion { innovations(first: 1) { nodes { " + q + " } } }"
		}
		return "{ innovations(first: 1) { nodes { " + q + " } } }"
	}
	for _, tc := range []struct{ name, query, code string }{
		{"100 aliases (alias overloading)", aliases(100), "ALIAS_LIMIT_EXCEEDED"},
		{"deep nesting", deep(6), "DEPTH_LIMIT_EXCEEDED"},
		{"deep introspection cycle", "{ __schema { types { " + strings.Repeat("fields { type { ", 8) + "name" + strings.Repeat(" } }", 8) + " } } }", "DEPTH_LIMIT_EXCEEDED"},
		{"directive overloading", "{ regions { " + strings.Repeat("...R @include(if: true) ", 60) + "} } fragment R on Region { code }", "DIRECTIVE_LIMIT_EXCEEDED"},
		{"token flood", "{ regions { " + strings.Repeat("code ", 2500) + "} }", "TOKEN_LIMIT_EXCEEDED"},
		{"cost of big nested pages", `{ regions { innovations(first: 500) { nodes { pilots(first: 500) { nodes { id } } } } } }`, "COST_LIMIT_EXCEEDED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := srv.queryErr(t, tc.query)
			if tc.code == "DEPTH_LIMIT_EXCEEDED" && codeOf(errs) == "GRAPHQL_VALIDATION_FAILED" && strings.Contains(errs[0].Message, "introspection depth") {
				return // gqlparser's own rule got there first: refused all the same
			}
			if codeOf(errs) != tc.code {
				t.Errorf("got %+v, want %s", errs, tc.code)
			}
		})
	}
	// what a dashboard or GraphiQL sends stays well inside the limits
	var ok struct{ Regions []struct{ Code string } }
	srv.query(t, aliases(15), &ok)
	var schema struct {
		Schema struct{ Types []struct{ Name string } } `json:"__schema"`
	}
	srv.query(t, introspectionQuery, &schema)
	if len(schema.Schema.Types) < 50 {
		t.Errorf("introspection returned %d types", len(schema.Schema.Types))
	}
	var nested nestedResp
	srv.query(t, strings.ReplaceAll(nestedQuery, "50", "5"), &nested)
}

func TestIntrospectionAndSuggestionsFollowTheCaller(t *testing.T) {
	t.Parallel()
	anon := limitedServer(t, defaultLimits, hin.Principal{})
	for _, q := range []string{
		`{ __schema { types { name } } }`,
		`{ ...Q } fragment Q on Query { ... on Query { __type(name: "Region") { name } } }`,
		`{ _service { sdl } }`, // the federation SDL is the schema too (issue 18)
	} {
		errs := anon.queryErr(t, q)
		if codeOf(errs) != hin.EINTROSPECTION || !strings.Contains(errs[0].Message, "introspection") {
			t.Errorf("anonymous introspection %s: %+v", q, errs)
		}
	}
	errs := anon.queryErr(t, `{ regions { cod } }`)
	if strings.Contains(errs[0].Message, "Did you mean") {
		t.Errorf("suggestions leak the schema to anonymous callers: %q", errs[0].Message)
	}
	signedIn := limitedServer(t, defaultLimits, hin.Principal{Subject: "a", Role: hin.RoleAnalyst})
	errs = signedIn.queryErr(t, `{ regions { cod } }`)
	if !strings.Contains(errs[0].Message, "Did you mean") {
		t.Errorf("signed-in callers should get suggestions: %q", errs[0].Message)
	}
	open := limitedServer(t, graph.Limits{AnonymousIntrospection: true}, hin.Principal{})
	errs = open.queryErr(t, `{ regions { cod } }`)
	if strings.Contains(errs[0].Message, "Did you mean") {
		t.Errorf("suggestions for anonymous callers are off unless configured: %q", errs[0].Message)
	}
	chatty := limitedServer(t, graph.Limits{AnonymousIntrospection: true, AnonymousSuggestions: true}, hin.Principal{})
	errs = chatty.queryErr(t, `{ regions { cod } }`)
	if !strings.Contains(errs[0].Message, "Did you mean") {
		t.Errorf("suggestions for anonymous callers when configured: %q", errs[0].Message)
	}
	var r struct {
		Schema struct{ QueryType struct{ Name string } } `json:"__schema"`
	}
	open.query(t, `{ __schema { queryType { name } } }`, &r)
	if r.Schema.QueryType.Name != "Query" {
		t.Errorf("introspection allowed for anonymous callers by configuration: %+v", r)
	}
}

func TestAllowListModeForAnonymousCallers(t *testing.T) {
	t.Parallel()
	registered := `query Regions { regions { code } }`
	sum := sha256.Sum256([]byte(registered))
	hash := hex.EncodeToString(sum[:])
	l := defaultLimits
	l.AllowList = map[string]string{hash: registered}
	anon := limitedServer(t, l, hin.Principal{})
	var ok struct{ Regions []struct{ Code string } }
	anon.query(t, registered, &ok)
	if len(ok.Regions) != 15 {
		t.Fatalf("registered operation: %+v", ok)
	}
	errs := anon.queryErr(t, `{ regions { code name } }`)
	if codeOf(errs) != "PERSISTED_QUERY_NOT_ALLOWED" {
		t.Errorf("unregistered operation: %+v", errs)
	}
	// the hash alone, as persisted-query clients send it
	var byHash struct{ Regions []struct{ Code string } }
	anon.query(t, "", &byHash, client.Extensions(map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}))
	if len(byHash.Regions) != 15 {
		t.Errorf("registered operation by hash: %+v", byHash)
	}
	signedIn := limitedServer(t, l, hin.Principal{Subject: "a", Role: hin.RoleAnalyst})
	signedIn.query(t, `{ regions { code name } }`, &ok)
}

// A request over its time limit is cancelled, SQL included, and answered
// with TIMEOUT, never a crash or INTERNAL.
func TestRequestTimeLimit(t *testing.T) {
	t.Parallel()
	s := testdb.New(t, testdb.Demo(small))
	h := graph.NewHandler(s, graph.Options{RequestTimeout: time.Microsecond})
	srv := &server{c: client.New(h)}
	errs := srv.queryErr(t, nestedQuery)
	for _, e := range errs {
		if c := e.Extensions["code"]; c != "TIMEOUT" {
			t.Errorf("error %q has code %v, want TIMEOUT", e.Message, c)
		}
	}
}

// A mistake repeated many times is answered with one error per distinct
// mistake, not one per repetition: errors are no amplifier, and the directive-overloading probe
// (ten unknown directives, flagged when ten errors come back) finds nothing.
func TestRepeatedMistakesAreOneError(t *testing.T) {
	t.Parallel()
	s := testdb.New(t, testdb.Empty)
	h := graph.NewHandler(s, graph.Options{Introspection: true, Limits: defaultLimits})
	for _, q := range []string{
		`query { __typename ` + strings.Repeat("@aa", 10) + ` }`,
		`query { __typename ` + strings.Repeat("@include(if: true)", 10) + ` }`,
		`{ ` + strings.Repeat("nope ", 200) + `}`,
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(fmt.Sprintf(`{"query": %q}`, q)))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		var body struct{ Errors []gqlError }
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		// one error per distinct mistake: "unknown directive" and "used
		// more than once here" for the first document
		if len(body.Errors) == 0 || len(body.Errors) > 2 {
			t.Errorf("%.40s...: %d errors, want 1 or 2: %s", q, len(body.Errors), rec.Body)
		}
	}
}

func TestCostCountsBreakdownGroupsAndAnonymousCallersGetLess(t *testing.T) {
	t.Parallel()
	l := defaultLimits
	l.MaxCostAnonymous = 10000
	l.MaxQueryBytes = 64 << 10
	analyst := limitedServer(t, l, hin.Principal{Subject: "a", Role: hin.RoleAnalyst})
	anon := limitedServer(t, l, hin.Principal{})

	// innovation x month over five years is about 30,000 groups
	big := `{ figureBreakdown(metrics: ["patients_benefiting"], window: {from: "2020-04-01", to: "2025-03-31"},
		groupBy: [INNOVATION, MONTH]) { innovation { name } period { label } value outcomeCount } }`
	if errs := analyst.queryErr(t, big); codeOf(errs) != "COST_LIMIT_EXCEEDED" {
		t.Errorf("a breakdown by innovation and month over five years: %+v", errs)
	}
	var ok struct{ FigureBreakdown []struct{ Value *float64 } }
	analyst.query(t, `{ figureBreakdown(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}, groupBy: [REGION, QUARTER]) { value } }`, &ok)

	mid := strings.ReplaceAll(nestedQuery, "50", "5") // about 11,000
	if errs := anon.queryErr(t, mid); codeOf(errs) != "COST_LIMIT_EXCEEDED" || !strings.Contains(errs[0].Message, "without a token") {
		t.Errorf("anonymous caller over the anonymous limit: %+v", errs)
	}
	var nested nestedResp
	analyst.query(t, mid, &nested)

	huge := "{ regions { code } } #" + strings.Repeat("x", 70<<10)
	if errs := analyst.queryErr(t, huge); codeOf(errs) != "QUERY_TOO_LARGE" {
		t.Errorf("a 70 KB query text: %+v", errs)
	}
}

// No transport here delivers a deferred fragment: a POST answered its
// first part only, with "hasNext": true and null for the deferred fields
// (non-null ones included), and nothing after. @defer is refused with a
// code instead, wherever it is written (issue 18 probes).
func TestDeferIsRefused(t *testing.T) {
	t.Parallel()
	srv := limitedServer(t, defaultLimits, hin.Principal{Subject: "a", Role: hin.RoleAnalyst})
	for _, q := range []string{
		`{ innovations(first: 2) { nodes { ... @defer { pilots(first: 1) { nodes { id } } } } } }`,
		`{ regions { code ...R @defer } } fragment R on Region { name }`,
		`{ ... @defer(label: "x") { regions { code } } }`,
		`{ regions { ...R } } fragment R on Region { ... @defer { name } }`,
	} {
		if errs := srv.queryErr(t, q); codeOf(errs) != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(errs[0].Message, "@defer") {
			t.Errorf("%s\ngot %+v, want GRAPHQL_VALIDATION_FAILED naming @defer", q, errs)
		}
	}
}
