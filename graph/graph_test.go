package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// small is demo data quick enough for most tests.
var small = seed.DemoSize{PilotsPerRegion: 3, InnovationsPerRegion: 3, FirstFY: 2023, Years: 1}

type server struct {
	c          *client.Client
	statements atomic.Int64
}

// newServer serves the real schema over a fresh database holding data.
func newServer(t *testing.T, data testdb.Data) *server {
	t.Helper()
	s := testdb.New(t, data)
	srv := &server{}
	s.AddHook(func(ctx context.Context, _ string) (context.Context, func(error)) {
		srv.statements.Add(1)
		return ctx, func(error) {}
	})
	srv.c = client.New(graph.NewHandler(s, graph.Options{Introspection: true}))
	return srv
}

// query runs a query that must succeed.
func (s *server) query(t *testing.T, q string, resp any, opts ...client.Option) {
	t.Helper()
	raw, err := s.c.RawPost(q, opts...)
	if err != nil {
		t.Fatalf("query failed: %v\n%s", err, q)
	}
	if len(raw.Errors) > 0 {
		t.Fatalf("query failed: %s\n%s", raw.Errors, q)
	}
	b, _ := json.Marshal(raw.Data)
	if err := json.Unmarshal(b, resp); err != nil {
		t.Fatalf("decode response: %v", err)
	}
}

// gqlError is one error of a response.
type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// queryErr runs a query that must fail and returns its errors.
func (s *server) queryErr(t *testing.T, q string, opts ...client.Option) []gqlError {
	t.Helper()
	resp, err := s.c.RawPost(q, opts...)
	if err != nil {
		// requests that fail validation come back as HTTP 422 with the same body
		_, body, ok := strings.Cut(err.Error(), ": ")
		resp = &client.Response{}
		if !ok || json.Unmarshal([]byte(body), resp) != nil {
			t.Fatalf("transport error: %v", err)
		}
	}
	if len(resp.Errors) == 0 {
		t.Fatalf("expected errors, got data %s", resp.Data)
	}
	var errs []gqlError
	if err := json.Unmarshal(resp.Errors, &errs); err != nil {
		t.Fatalf("decode errors: %v", err)
	}
	return errs
}

func codeOf(errs []gqlError) string {
	if len(errs) == 0 {
		return ""
	}
	c, _ := errs[0].Extensions["code"].(string)
	return c
}

func TestRegionsAreTheFifteenNetworks(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testdb.Reference)
	var resp struct {
		Regions []struct {
			ID, Code, Name, FormerName string
			PatientSafetyCollaborative *struct{ Name string }
		}
	}
	srv.query(t, `{ regions { id code name formerName patientSafetyCollaborative { name } } }`, &resp)
	if len(resp.Regions) != 15 {
		t.Fatalf("got %d regions, want 15", len(resp.Regions))
	}
	want := map[string]string{}
	for _, r := range seed.Regions {
		want[r.Code] = r.Name
	}
	ids := map[string]bool{}
	for _, r := range resp.Regions {
		if want[r.Code] != r.Name {
			t.Errorf("region %s is named %q, want %q", r.Code, r.Name, want[r.Code])
		}
		if r.PatientSafetyCollaborative == nil {
			t.Errorf("region %s hosts no Patient Safety Collaborative", r.Code)
		}
		if ids[r.ID] || r.ID == "" {
			t.Errorf("region %s has a missing or repeated id %q", r.Code, r.ID)
		}
		ids[r.ID] = true
	}
	var one struct{ Region *struct{ Name string } }
	srv.query(t, `{ region(code: "HI-WESSEX") { name } }`, &one)
	if one.Region == nil || one.Region.Name != "Health Innovation Wessex" {
		t.Errorf("region(code: HI-WESSEX) = %+v", one.Region)
	}
	var none struct{ Region *struct{ Name string } }
	srv.query(t, `{ region(code: "NOPE") { name } }`, &none)
	if none.Region != nil {
		t.Errorf("unknown region code should give null, got %+v", none.Region)
	}
}

// nestedQuery walks regions down to outcomes; every level is a list.
const nestedQuery = `{
  regions {
    code
    innovations(first: 50) {
      nodes {
        name
        leadRegion { code }
        pilots(first: 50) {
          nodes {
            site { name }
            outcomes(first: 50) { totalCount nodes { value metric { code } } }
          }
        }
      }
    }
  }
}`

type nestedResp struct {
	Regions []struct {
		Code        string
		Innovations struct {
			Nodes []struct {
				Name   string
				Pilots struct {
					Nodes []struct {
						Outcomes struct {
							TotalCount int
							Nodes      []struct{ Value *float64 }
						}
					}
				}
			}
		}
	}
}

func (r nestedResp) rows() (innovations, pilots, outcomes int) {
	for _, reg := range r.Regions {
		innovations += len(reg.Innovations.Nodes)
		for _, in := range reg.Innovations.Nodes {
			pilots += len(in.Pilots.Nodes)
			for _, p := range in.Pilots.Nodes {
				outcomes += len(p.Outcomes.Nodes)
			}
		}
	}
	return
}

// The number of SQL statements depends on the query's shape, not on how
// many rows come back: the same nested query over a data set ten times
// larger sends exactly as many statements.
func TestStatementCountDoesNotGrowWithRows(t *testing.T) {
	t.Parallel()
	sizes := []seed.DemoSize{
		{PilotsPerRegion: 2, InnovationsPerRegion: 2, FirstFY: 2023, Years: 1},
		{PilotsPerRegion: 20, InnovationsPerRegion: 20, FirstFY: 2023, Years: 1},
	}
	var counts [2]int64
	var outcomes [2]int
	for i, size := range sizes {
		srv := newServer(t, testdb.Demo(size))
		var resp nestedResp
		before := srv.statements.Load()
		srv.query(t, nestedQuery, &resp)
		counts[i] = srv.statements.Load() - before
		inn, pil, out := resp.rows()
		outcomes[i] = out
		t.Logf("size %d: %d innovations, %d pilots, %d outcomes: %d statements", i, inn, pil, out, counts[i])
	}
	if outcomes[1] < 5*outcomes[0] {
		t.Fatalf("the larger data set should return many more rows: %d vs %d outcomes", outcomes[1], outcomes[0])
	}
	if counts[0] != counts[1] {
		t.Errorf("statements grew with rows: %d for the small set, %d for the large one", counts[0], counts[1])
	}
	// regions, innovations, lead regions, pilots, sites, outcomes, outcome counts, metrics
	if counts[1] > 10 {
		t.Errorf("%d statements for a four-level query; expected one per list or reference", counts[1])
	}
}

type page struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct {
		Cursor string
		Node   struct{ ID, Name, Stage string }
	}
}

func pageThrough(t *testing.T, srv *server, args string, size int) (ids []string, total int) {
	t.Helper()
	var after *string
	for n := 0; ; n++ {
		if n > 1000 {
			t.Fatal("pagination does not end")
		}
		var resp struct{ Innovations page }
		srv.query(t, fmt.Sprintf(`query($after: String) { innovations(first: %d, after: $after %s) {
			totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
			edges { cursor node { id name stage } } } }`, size, args), &resp, client.Var("after", after))
		p := resp.Innovations
		total = p.TotalCount
		if len(p.Edges) > size {
			t.Fatalf("page has %d items, asked for %d", len(p.Edges), size)
		}
		if (after != nil) != p.PageInfo.HasPreviousPage {
			t.Errorf("hasPreviousPage = %v on page %d", p.PageInfo.HasPreviousPage, n)
		}
		for _, e := range p.Edges {
			ids = append(ids, e.Node.ID)
		}
		if len(p.Edges) > 0 && *p.PageInfo.EndCursor != p.Edges[len(p.Edges)-1].Cursor {
			t.Errorf("endCursor is not the last edge's cursor")
		}
		if !p.PageInfo.HasNextPage {
			return ids, total
		}
		after = p.PageInfo.EndCursor
	}
}

func TestPaginationIsCompleteAndStable(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testdb.Demo(small))
	for _, args := range []string{
		``,
		`, orderBy: {field: STAGE, direction: DESC}`,
		`, orderBy: {field: STAGE}`,
		`, orderBy: {field: UPDATED_AT, direction: DESC}`,
		`, filter: {regionCodes: ["HI-EM", "UCLP"]}`,
		`, filter: {stages: [ADOPTION, SYSTEM_CHANGE]}, orderBy: {field: NAME, direction: DESC}`,
	} {
		t.Run(args, func(t *testing.T) {
			all, total := pageThrough(t, srv, args, 500)
			if len(all) != total {
				t.Fatalf("one big page has %d items, totalCount %d", len(all), total)
			}
			if total < 5 {
				t.Fatalf("too few innovations (%d) to test paging", total)
			}
			paged, _ := pageThrough(t, srv, args, 4)
			if !slices.Equal(all, paged) {
				t.Errorf("paging by 4 gives another sequence than one page:\n%v\n%v", paged, all)
			}
		})
	}
}

func TestFiltersSelectTheRightRows(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testdb.Demo(small))

	var inn struct {
		Innovations struct {
			Nodes []struct {
				Name, Stage string
				LeadRegion  *struct{ Code string }
			}
		}
	}
	srv.query(t, `{ innovations(first: 500, filter: {regionCodes: ["HI-WESSEX"], stages: [EVIDENCE_INTO_PRACTICE, ADOPTION]}) {
		nodes { name stage leadRegion { code } } } }`, &inn)
	if len(inn.Innovations.Nodes) == 0 {
		t.Fatal("no innovations matched; the data set should have some")
	}
	for _, n := range inn.Innovations.Nodes {
		if n.LeadRegion == nil || n.LeadRegion.Code != "HI-WESSEX" || (n.Stage != "EVIDENCE_INTO_PRACTICE" && n.Stage != "ADOPTION") {
			t.Errorf("filter let through %+v", n)
		}
	}

	srv.query(t, `{ innovations(first: 500, filter: {nameContains: "pincer"}) { nodes { name stage leadRegion { code } } } }`, &inn)
	if len(inn.Innovations.Nodes) != 1 || inn.Innovations.Nodes[0].Name != "PINCER" {
		t.Errorf("nameContains pincer gave %+v", inn.Innovations.Nodes)
	}
	// a LIKE wildcard in the search text is matched literally
	srv.query(t, `{ innovations(first: 500, filter: {nameContains: "%"}) { nodes { name } } }`, &inn)
	if len(inn.Innovations.Nodes) != 0 {
		t.Errorf("nameContains %% matched %d innovations; it must be literal", len(inn.Innovations.Nodes))
	}

	// ICBs that merged in April 2026 are not valid on a later date
	var orgs struct {
		Before, After struct{ TotalCount int }
	}
	srv.query(t, `{ before: organisations(filter: {regionCodes: ["HI-KSS"], kinds: [ICB], validOn: "2025-06-01"}) { totalCount }
		after: organisations(filter: {regionCodes: ["HI-KSS"], kinds: [ICB], validOn: "2026-06-01"}) { totalCount } }`, &orgs)
	if orgs.Before.TotalCount != 3 || orgs.After.TotalCount < 1 || orgs.After.TotalCount >= orgs.Before.TotalCount {
		t.Errorf("KSS ICBs valid in 2025: %d (want 3), in 2026: %d (want fewer after the merger)", orgs.Before.TotalCount, orgs.After.TotalCount)
	}

	var oc struct {
		Outcomes struct {
			TotalCount int
			Nodes      []struct {
				PeriodStart, PeriodEnd, Status string
				Region                         struct{ Code string }
				Metric                         struct{ Code, Kind string }
				Value, Numerator, Denominator  *float64
			}
		}
	}
	srv.query(t, `{ outcomes(first: 500, filter: {regionCodes: ["HI-NWC"], metricCodes: ["lipid_treated_to_target"], statuses: [PUBLISHED],
		period: {from: "2023-07-01", to: "2023-09-30"}}) { totalCount nodes { periodStart periodEnd status region { code }
		metric { code kind } value numerator denominator } } }`, &oc)
	if oc.Outcomes.TotalCount == 0 {
		t.Fatal("no outcomes matched")
	}
	for _, o := range oc.Outcomes.Nodes {
		if o.Region.Code != "HI-NWC" || o.Metric.Code != "lipid_treated_to_target" || o.Status != "PUBLISHED" ||
			o.PeriodStart < "2023-07-01" || o.PeriodEnd > "2023-09-30" {
			t.Errorf("filter let through %+v", o)
		}
		if o.Value != nil || o.Numerator == nil || o.Denominator == nil || *o.Numerator > *o.Denominator {
			t.Errorf("a rate outcome must carry numerator <= denominator and no value: %+v", o)
		}
	}

	var pil struct {
		Pilots struct {
			Nodes []struct {
				StartDate string
				EndDate   *string
				Status    string
			}
		}
	}
	srv.query(t, `{ pilots(first: 500, filter: {active: {from: "2024-01-01", to: "2024-01-31"}, statuses: [RUNNING, EVALUATING, COMPLETED]}) {
		nodes { startDate endDate status } } }`, &pil)
	if len(pil.Pilots.Nodes) == 0 {
		t.Fatal("no pilots active in January 2024")
	}
	for _, p := range pil.Pilots.Nodes {
		if p.StartDate > "2024-01-31" || (p.EndDate != nil && *p.EndDate < "2024-01-01") {
			t.Errorf("pilot %+v does not overlap January 2024", p)
		}
	}
}

func TestNodeFetchesEveryType(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testdb.Demo(small))
	var resp struct {
		Regions        []struct{ ID string }
		Collaboratives []struct{ ID string }
		Adoptions      struct{ Nodes []struct{ ID string } }
		Pilots         struct {
			Nodes []struct {
				ID         string
				Innovation struct {
					ID         string
					Innovator  struct{ ID string }
					Programmes struct{ Nodes []struct{ ID string } }
				}
				Outcomes struct {
					Nodes []struct {
						ID     string
						Metric struct{ ID string }
					}
				}
			}
		}
	}
	srv.query(t, `{ regions { id } collaboratives { id } adoptions(first: 1) { nodes { id } }
		pilots(first: 1, filter: {regionCodes: ["HI-EM"], statuses: [COMPLETED, EVALUATING, RUNNING], active: {from: "2023-06-01"}}, orderBy: {field: START_DATE, direction: DESC}) { nodes { id
		innovation { id innovator { id } programmes(first: 1) { nodes { id } } }
		outcomes(first: 1) { nodes { id metric { id } } } } } }`, &resp)
	p := resp.Pilots.Nodes[0]
	ids := map[string]string{
		"Region": resp.Regions[0].ID, "Innovation": p.Innovation.ID, "Organisation": p.Innovation.Innovator.ID,
		"Programme": p.Innovation.Programmes.Nodes[0].ID, "Pilot": p.ID, "Outcome": p.Outcomes.Nodes[0].ID,
		"Metric": p.Outcomes.Nodes[0].Metric.ID, "Adoption": resp.Adoptions.Nodes[0].ID, "Collaborative": resp.Collaboratives[0].ID,
	}
	for typ, id := range ids {
		if id == "" {
			t.Fatalf("the data set has no %s to look up: %+v", typ, resp)
		}
		var n struct {
			Node *struct {
				ID       string
				Typename string `json:"__typename"`
			}
		}
		srv.query(t, `query($id: ID!) { node(id: $id) { id __typename } }`, &n, client.Var("id", id))
		if n.Node == nil || n.Node.ID != id || n.Node.Typename != typ {
			t.Errorf("node(%s) = %+v, want a %s", id, n.Node, typ)
		}
	}
	var many struct{ Nodes []*struct{ ID string } }
	list := []string{ids["Pilot"], ids["Region"], "UmVnaW9uOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA"}
	srv.query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, &many, client.Var("ids", list))
	if len(many.Nodes) != 3 || many.Nodes[0].ID != ids["Pilot"] || many.Nodes[1].ID != ids["Region"] || many.Nodes[2] != nil {
		t.Errorf("nodes(ids) kept neither order nor nulls: %+v", many.Nodes)
	}
}

func TestBadInputGetsClearErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testdb.Reference)
	for _, tc := range []struct{ name, query, code, contains string }{
		{"page too large", `{ innovations(first: 501) { nodes { id } } }`, "INVALID_ARGUMENT", "at most 500"},
		{"negative page", `{ regions { innovations(first: -1) { nodes { id } } } }`, "INVALID_ARGUMENT", "negative"},
		{"garbage id", `{ node(id: "not-an-id") { id } }`, "INVALID_ARGUMENT", "not a valid ID"},
		{"garbage cursor", `{ innovations(after: "zzz") { nodes { id } } }`, "INVALID_ARGUMENT", "cursor"},
		{"bad date", `{ organisations(filter: {validOn: "2024-13-01"}) { totalCount } }`, "", "YYYY-MM-DD"},
		{"reversed range", `{ pilots(filter: {active: {from: "2024-02-01", to: "2024-01-01"}}) { totalCount } }`, "INVALID_ARGUMENT", "before"},
		{"unknown enum", `{ innovations(filter: {stages: [FLYING]}) { totalCount } }`, "GRAPHQL_VALIDATION_FAILED", ""},
		{"unknown field", `{ regions { nope } }`, "GRAPHQL_VALIDATION_FAILED", "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := srv.queryErr(t, tc.query)
			if tc.code != "" && codeOf(errs) != tc.code {
				t.Errorf("code = %q, want %q (%+v)", codeOf(errs), tc.code, errs)
			}
			if codeOf(errs) == "" || codeOf(errs) == "INTERNAL" {
				t.Errorf("error without a useful code: %+v", errs)
			}
			if !strings.Contains(errs[0].Message, tc.contains) {
				t.Errorf("message %q does not mention %q", errs[0].Message, tc.contains)
			}
		})
	}
	t.Run("wrong kind of id in a filter", func(t *testing.T) {
		var r struct{ Regions []struct{ ID string } }
		srv.query(t, `{ regions { id } }`, &r)
		errs := srv.queryErr(t, `query($p: [ID!]) { innovations(filter: {programmeIds: $p}) { totalCount } }`, client.Var("p", []string{r.Regions[0].ID}))
		if codeOf(errs) != "INVALID_ARGUMENT" || !strings.Contains(errs[0].Message, "Programme") {
			t.Errorf("got %+v", errs)
		}
	})
	t.Run("cursor from another order", func(t *testing.T) {
		var r struct{ Innovations page }
		srv.query(t, `{ innovations(first: 2) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name stage } } } }`, &r)
		errs := srv.queryErr(t, `query($a: String) { innovations(after: $a, orderBy: {field: STAGE}) { totalCount } }`, client.Var("a", *r.Innovations.PageInfo.EndCursor))
		if codeOf(errs) != "INVALID_ARGUMENT" || !strings.Contains(errs[0].Message, "order") {
			t.Errorf("got %+v", errs)
		}
	})
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}
