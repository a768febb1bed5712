package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hin-graph/hin-graph/graph/model"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// directHarness sends one request both ways, directly and through gqlgen's
// own execution, and says whether the answers are the same bytes.
type directHarness struct {
	t      *testing.T
	h      http.Handler
	direct atomic.Int64 // root fields served directly
}

// post answers with the status, the data as sent, and the errors sorted:
// gqlgen runs sibling fields concurrently, so errors come in any order.
func (x *directHarness) post(ctx context.Context, q string, vars map[string]any) string {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	x.h.ServeHTTP(rec, req.WithContext(ctx))
	var resp struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		x.t.Fatalf("%v: %s", err, rec.Body.String())
	}
	errs := make([]string, len(resp.Errors))
	for i, e := range resp.Errors {
		errs[i] = string(e)
	}
	slices.Sort(errs)
	return fmt.Sprintf("%d %s\nerrors: %s", rec.Code, resp.Data, strings.Join(errs, "\n"))
}

// same runs q as p both ways and fails the test when the answers differ;
// it returns the direct answer.
func (x *directHarness) same(p hin.Principal, q string, vars map[string]any) string {
	x.t.Helper()
	_, direct := x.compare(p, q, vars)
	return direct
}

// compare is same, also saying how many root fields were served directly.
// A panic in direct execution fails the test: the field's fallback to
// gqlgen gives the right answer and would hide the bug.
func (x *directHarness) compare(p hin.Principal, q string, vars map[string]any) (served int64, direct string) {
	x.t.Helper()
	ctx := hin.WithPrincipal(context.Background(), p)
	viaGqlgen := x.post(withoutDirect(ctx), q, vars)
	var n atomic.Int64
	panics := directPanics.Load()
	direct = x.post(context.WithValue(ctx, directCountKey{}, &n), q, vars)
	if directPanics.Load() != panics {
		x.t.Errorf("direct execution panicked (see the log) on %s", q)
	}
	if direct != viaGqlgen {
		at := 0
		for at < len(direct) && at < len(viaGqlgen) && direct[at] == viaGqlgen[at] {
			at++
		}
		from := max(at-300, 0)
		x.t.Errorf("answers differ for %s at byte %d\n%s\nvars %v\ndirect: …%s\ngqlgen: …%s", p.Role, at, q, vars,
			truncateForLog(direct[from:]), truncateForLog(viaGqlgen[from:]))
	}
	x.direct.Add(n.Load())
	return n.Load(), direct
}

func truncateForLog(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

// TestDirectMatchesGqlgen holds direct execution to gqlgen's: every query,
// for every kind of caller, gets the same bytes both ways, whether it is
// served directly or (in part) sent back to gqlgen.
func TestDirectMatchesGqlgen(t *testing.T) {
	t.Parallel()
	s := testdb.New(t, testdb.Demo(seed.DemoSize{PilotsPerRegion: 4, InnovationsPerRegion: 4, FirstFY: 2022, Years: 2}))
	x := &directHarness{t: t, h: NewHandler(s, Options{Introspection: true})}
	analyst := hin.Principal{Subject: "a", Role: hin.RoleAnalyst}

	// IDs to look up, of every kind
	var ids struct {
		Data struct {
			Regions     []struct{ ID, Code string }
			Innovations struct{ Nodes []struct{ ID string } }
			Pilots      struct{ Nodes []struct{ ID string } }
			Outcomes    struct {
				Nodes []struct {
					ID     string
					Status string
					Region struct{ ID string }
				}
			}
			Organisations  struct{ Nodes []struct{ ID string } }
			Programmes     struct{ Nodes []struct{ ID string } }
			Metrics        []struct{ ID string }
			Collaboratives []struct{ ID string }
		}
	}
	raw := x.same(analyst, `{ regions { id code } innovations(first: 3) { nodes { id } } pilots(first: 3) { nodes { id } }
		outcomes(first: 200) { nodes { id status region { id } } } organisations(first: 2) { nodes { id } }
		programmes(first: 2) { nodes { id } } metrics { id } collaboratives { id } }`, nil)
	data, _, _ := strings.Cut(strings.TrimPrefix(raw, "200 "), "\nerrors:")
	if err := json.Unmarshal([]byte(`{"data":`+data+`}`), &ids); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	d := ids.Data
	if len(d.Regions) != 15 || len(d.Innovations.Nodes) == 0 || len(d.Pilots.Nodes) == 0 || len(d.Outcomes.Nodes) == 0 {
		t.Fatalf("demo data missing: %s", raw)
	}
	draftRegion := ""
	for _, o := range d.Outcomes.Nodes {
		if o.Status == "DRAFT" {
			draftRegion = o.Region.ID
		}
	}
	_, draftRegionUUID, _ := hin.ParseGlobalID(draftRegion)
	principals := []hin.Principal{
		{},
		analyst,
		{Subject: "e", Role: hin.RoleRegionEditor, RegionID: draftRegionUUID},
	}
	missing := hin.GlobalID(hin.KindInnovation, "00000000-0000-4000-8000-000000000000")

	queries := []struct {
		q    string
		vars map[string]any
	}{
		// the shapes hinbench --peer measures
		{q: peerNestedForTest},
		{q: `{ innovations(first: 50) { totalCount nodes { id name stage clinicalArea leadRegion { code name } } } }`},
		{q: `query($id: ID!) { node(id: $id) { ... on Innovation { id name stage clinicalArea leadRegion { code name } } } }`, vars: map[string]any{"id": d.Innovations.Nodes[0].ID}},
		// every scalar, reference and page of every type
		{q: `{ regions { __typename id code name formerName summary version
			organisations(first: 2) { totalCount nodes { id name kind validFrom validTo version archivedAt region { code } } }
			programmes(first: 2) { nodes { id code name kind clinicalArea description startDate endDate status version parent { code } } }
			pilots(first: 2) { totalCount nodes { id status startDate endDate evaluationSummary evaluationResult version archivedAt
				innovation { name } site { name } region { code } } }
			outcomes(first: 3) { totalCount nodes { ...O } } } }
			fragment O on Outcome { id periodStart periodEnd value numerator denominator rate source status createdAt updatedAt
				publishedAt withdrawnAt withdrawnReason version metric { code name description unit kind version } region { code }
				innovation { name } pilot { status } programme { code } }`},
		{q: `{ innovations(first: 7, orderBy: {field: STAGE, direction: DESC}) { totalCount
			pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
			edges { __typename cursor node { __typename id name description clinicalArea stage stageChangedOn createdAt updatedAt version archivedAt
				innovator { id name } leadRegion { id }
				programmes(first: 2) { totalCount edges { cursor node { code workstreams(first: 2) { totalCount nodes { code } } } } }
				pilots(first: 3) { totalCount pageInfo { hasNextPage endCursor } nodes { id outcomes(first: 2) { totalCount nodes { id value rate } } } }
				outcomes(first: 2) { nodes { id } } } } } }`},
		// aliases, repeats merged, fragments on interfaces and types, directives
		{q: `query($skip: Boolean!, $n: Int) { a: regions { c: code ...on Node { id } ... R @include(if: true) x: innovations(first: $n) @skip(if: $skip) { nodes { name } } }
			b: regions(filter: {codes: ["UCLP", "HI-EM"]}) { code code name }
			region(code: "UCLP") { code innovations(first: 2) { nodes { name } nodes { id } } }
			none: region(code: "NOPE") { code }
			programme(code: "NOPE") { code } }
			fragment R on Region { name innovations(first: 2) { nodes { id } } }`, vars: map[string]any{"skip": false, "n": 2}},
		{q: `query($skip: Boolean!) { regions { code x: innovations(first: 1) @skip(if: $skip) { nodes { name } } } }`, vars: map[string]any{"skip": true}},
		// filters, orders and cursors
		{q: `{ pilots(first: 5, filter: {active: {from: "2023-01-01"}}) { totalCount nodes { id startDate } pageInfo { endCursor hasNextPage } } }`},
		{q: `{ outcomes(first: 4, orderBy: {field: PERIOD_START, direction: DESC}) { totalCount edges { cursor node { id status } } } }`},
		{q: `{ organisations(first: 3, filter: {kinds: [NHS_TRUST]}) { totalCount nodes { name pilots(first: 1) { totalCount nodes { id } } innovations(first: 1) { totalCount nodes { id } } } } }`},
		{q: `{ metrics { code outcomes(first: 2) { totalCount nodes { id status } } } }`},
		{q: `{ programmes(first: 3) { totalCount nodes { code innovations(first: 2) { totalCount nodes { name } } outcomes(first: 2) { totalCount nodes { id } } } } }`},
		{q: `{ innovations(first: 0) { totalCount nodes { id } pageInfo { startCursor endCursor hasNextPage } } }`},
		// adoptions, stage histories, collaboratives and linked regions
		{q: `{ adoptions(first: 5) { totalCount nodes { id adoptedOn version archivedAt innovation { name } organisation { name } region { code } } }
			regions { code adoptions(first: 2) { totalCount nodes { id } } collaboratives { id code name kind description hostRegion { code } regions { code } }
				patientSafetyCollaborative { name hostRegion { name } } }
			collaboratives { code regions { code name } }
			programmes(first: 5) { nodes { code regions { code } } }
			organisations(first: 5) { nodes { adoptions(first: 1) { nodes { adoptedOn } } } } }`},
		{q: `{ innovations(first: 10) { nodes { name stageHistory { __typename fromStage toStage changedOn } adoptions(first: 3) { totalCount edges { cursor node { id } } } } } }`},
		// lookups: every kind, missing, mixed, invalid
		{q: `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Region { code } ... on Innovation { name leadRegion { code } }
			... on Pilot { status outcomes(first: 2) { nodes { id } } } ... on Outcome { value status } ... on Organisation { name }
			... on Programme { code } ... on Metric { code } ... on Collaborative { name } } }`,
			vars: map[string]any{"ids": []string{d.Regions[0].ID, d.Innovations.Nodes[0].ID, d.Pilots.Nodes[0].ID, d.Outcomes.Nodes[0].ID,
				d.Organisations.Nodes[0].ID, d.Programmes.Nodes[0].ID, d.Metrics[0].ID, missing, d.Innovations.Nodes[0].ID}}},
		{q: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, vars: map[string]any{"ids": []string{d.Collaboratives[0].ID, d.Regions[1].ID}}},
		{q: `query($id: ID!) { node(id: $id) { id } }`, vars: map[string]any{"id": missing}},
		{q: `query($id: ID!) { node(id: $id) { id } }`, vars: map[string]any{"id": "not an id"}},
		// errors go through gqlgen: a bad cursor, a page too large, an unknown order
		{q: `{ innovations(first: 2, after: "bogus") { nodes { id } } }`},
		{q: `{ regions { innovations(first: 501) { nodes { id } } } }`},
		{q: `{ regions { code patientSafetyCollaborative { name } innovations(first: 1) { nodes { stageHistory { toStage } } } } }`},
	}
	for _, draft := range d.Outcomes.Nodes {
		if draft.Status == "DRAFT" {
			queries = append(queries, struct {
				q    string
				vars map[string]any
			}{q: `query($id: ID!) { node(id: $id) { ... on Outcome { id status value } } }`, vars: map[string]any{"id": draft.ID}})
			break
		}
	}
	for _, p := range principals {
		for _, q := range queries {
			x.same(p, q.q, q.vars)
		}
	}
	if x.direct.Load() < int64(len(principals)*(len(queries)-4)) {
		t.Errorf("only %d root fields were served directly", x.direct.Load())
	}
	// Served directly, and the same (issue 18): a nested totalCount under a
	// filter (counting without it gave other numbers, unseen while every
	// nested count here was unfiltered), and endCursor alone (left out of
	// the plan, it panicked and gqlgen answered instead, unseen).
	for _, c := range []struct {
		q    string
		root int64 // root fields
	}{
		{`{ regions { organisations(first: 2, filter: {kinds: [NHS_TRUST]}) { totalCount } } }`, 1},
		{`{ regions { code all: organisations(first: 2) { totalCount } trusts: organisations(first: 2, filter: {kinds: [NHS_TRUST], nameContains: "a"}) { totalCount } } }`, 1},
		{`{ regions { pilots(first: 1, filter: {statuses: [COMPLETED]}) { totalCount } outcomes(first: 1, filter: {metricCodes: ["patients_benefiting"]}) { totalCount } } }`, 1},
		{`{ innovations(first: 2) { pageInfo { endCursor } } }`, 1},
		{`{ innovations(first: 2) { pageInfo { startCursor } } outcomes(first: 2) { pageInfo { endCursor } } }`, 2},
	} {
		for _, p := range principals {
			if n, _ := x.compare(p, c.q, nil); n != c.root {
				t.Errorf("%s as %q: %d of %d root fields served directly", c.q, p.Role, n, c.root)
			}
		}
	}
	var counts struct {
		Data struct {
			Regions []struct {
				Code        string
				All, Trusts struct{ TotalCount int }
			}
		}
	}
	raw = x.same(analyst, `{ regions { code all: organisations(first: 2) { totalCount } trusts: organisations(first: 2, filter: {kinds: [NHS_TRUST]}) { totalCount } } }`, nil)
	data, _, _ = strings.Cut(strings.TrimPrefix(raw, "200 "), "\nerrors:")
	if err := json.Unmarshal([]byte(`{"data":`+data+`}`), &counts); err != nil {
		t.Fatal(err)
	}
	fewer := false
	for _, r := range counts.Data.Regions {
		fewer = fewer || r.Trusts.TotalCount < r.All.TotalCount
	}
	if !fewer {
		t.Errorf("the demo data has no region with organisations other than trusts, so a filter is not tested: %s", raw)
	}

	// random queries over the whole schema: some root fields direct, some not
	g := &queryGen{r: rand.New(rand.NewPCG(11, 2026)), schema: schemaForCost().Schema(), metric: "patients_benefiting", fillOptional: true}
	before := x.direct.Load()
	for i := range 200 {
		q, vars := g.query()
		if _, errs := gqlparser.LoadQueryWithRules(g.schema, q, nil); errs != nil {
			t.Fatalf("the generator wrote an invalid query: %v\n%s", errs, q) // both ways would refuse it alike
		}
		x.same(principals[i%len(principals)], q, vars)
	}
	if x.direct.Load() == before {
		t.Error("no random query was served directly")
	}
}

const peerNestedForTest = `query PeerNested { regions { code name
  innovations(first: 10) { nodes { id name stage
    pilots(first: 5) { nodes { id status startDate
      outcomes(first: 5) { nodes { id periodStart periodEnd value status } } } } } } } }`

// TestScalarWritersMatch holds direct execution's scalar writers to the
// marshallers the generated code calls, value by value.
func TestScalarWritersMatch(t *testing.T) {
	t.Parallel()
	via := func(m graphql.Marshaler) string {
		var b bytes.Buffer
		m.MarshalGQL(&b)
		return b.String()
	}
	direct := func(write func(w *bytes.Buffer)) string {
		var b bytes.Buffer
		b.WriteString("x") // writers append to what is there
		write(&b)
		return b.String()[1:]
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: direct %q, marshaller %q", what, got, want)
		}
	}
	r := rand.New(rand.NewPCG(3, 14))
	strs := []string{"", "plain", `quote " and \ back`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f", "A&E <b> ‘curly’ ☃ 🎉", "bad \xff\xfe utf-8", "\u2028\u2029"}
	for range 200 {
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		strs = append(strs, string(b))
	}
	for _, s := range strs {
		check("string", direct(func(w *bytes.Buffer) { writeString(w, s) }), via(model.MarshalText(s)))
	}
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e6, 1234567, 123456789012, 1e21, 1e-5, 0.0001, 5e-324, math.MaxFloat64, 2.5e-7, 100000, 999999.5}
	for range 500 {
		floats = append(floats, r.NormFloat64()*math.Pow(10, float64(r.IntN(40)-20)))
	}
	for _, f := range floats {
		var want bytes.Buffer
		if err := graphql.MarshalFloatContext(f).MarshalGQLContext(context.Background(), &want); err != nil {
			t.Fatal(err)
		}
		fn := optFloat(func(v *float64) *float64 { return v })
		check("float", direct(func(w *bytes.Buffer) { _ = fn(w, &f) }), want.String())
	}
	times := []time.Time{time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), time.Date(2023, 4, 1, 12, 30, 5, 123456000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 1, time.FixedZone("x", 3600)), time.Date(12345, 1, 2, 3, 4, 5, 0, time.UTC)}
	for range 100 {
		times = append(times, time.Unix(r.Int64N(4e9), r.Int64N(1e9)).In(time.FixedZone("y", (r.IntN(27)-13)*1800)))
	}
	for _, tm := range times {
		check("date", direct(func(w *bytes.Buffer) { writeTime(w, tm, time.DateOnly) }), via(model.MarshalDate(tm)))
		check("time", direct(func(w *bytes.Buffer) { writeTime(w, tm, time.RFC3339Nano) }), via(graphql.MarshalTime(tm)))
	}
	for _, n := range []int{0, 1, -1, 42, math.MaxInt32, math.MinInt32, math.MaxInt64} {
		fn := integer(func(v *int) int { return *v })
		check("int", direct(func(w *bytes.Buffer) { _ = fn(w, &n) }), via(graphql.MarshalInt(n)))
	}
	for _, kind := range []string{hin.KindRegion, hin.KindOutcome, hin.KindOrganisation} {
		uuid := fmt.Sprintf("%08x-0000-4000-8000-%012x", r.Uint32(), r.Uint64()&0xffffffffffff)
		check("id", direct(func(w *bytes.Buffer) { writeGlobalID(w, kind, uuid) }), via(graphql.MarshalID(hin.GlobalID(kind, uuid))))
	}
	for _, s := range []hin.Stage{hin.Stage("IDENTIFY_NEED"), hin.Stage("SYSTEM_CHANGE")} {
		fn := enum(func(v *hin.Stage) hin.Stage { return *v })
		check("enum", direct(func(w *bytes.Buffer) { _ = fn(w, &s) }), via(s))
	}
}

// A panic in direct execution is a bug, logged as one; the field then goes
// to gqlgen rather than ending the request, or the process (root fields
// after the first run in goroutines of their own, outside any recovery).
func TestDirectPanicFallsBack(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	d := &direct{ctx: context.Background()} // no operation: planning dereferences nil
	before := directPanics.Load()
	err := d.run(graphql.CollectedField{Field: &ast.Field{Name: "regions"}}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != errIndirect || !strings.Contains(logs.String(), "panic in direct execution") {
		t.Fatalf("err %v, log %q", err, logs.String())
	}
	if directPanics.Load() == before {
		t.Fatal("the panic was not counted: TestMain would not see one in another test")
	}
	directPanics.Add(-1) // provoked here; any other fails the package (TestMain)
}
