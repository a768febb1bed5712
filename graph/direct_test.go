package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

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
	ctx := hin.WithPrincipal(context.Background(), p)
	viaGqlgen := x.post(WithoutDirect(ctx), q, vars)
	direct := x.post(context.WithValue(ctx, directCountKey{}, &x.direct), q, vars)
	if direct != viaGqlgen {
		x.t.Errorf("answers differ for %s\n%s\nvars %v\ndirect: %s\ngqlgen: %s", p.Role, q, vars, truncateForLog(direct), truncateForLog(viaGqlgen))
	}
	return direct
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

	// random queries over the whole schema: some root fields direct, some not
	g := &queryGen{r: rand.New(rand.NewPCG(11, 2026)), schema: schemaForCost().Schema(), metric: "patients_benefiting"}
	before := x.direct.Load()
	for i := range 200 {
		q, vars := g.query()
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
