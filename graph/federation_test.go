package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/client"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// The API is an Apollo Federation v2 subgraph: its SDL carries the keys,
// and _entities resolves representations in batches, aligned with them.
func TestFederationSubgraph(t *testing.T) {
	t.Parallel()
	// a router reads _service like introspection: allowed here without a token
	db := testdb.New(t, testdb.Demo(small))
	srv := &server{}
	db.AddHook(func(ctx context.Context, _ string) (context.Context, func(error)) {
		srv.statements.Add(1)
		return ctx, func(error) {}
	})
	srv.c = client.New(graph.NewHandler(db, graph.Options{Introspection: true, Limits: graph.Limits{AnonymousIntrospection: true}}))

	var svc struct {
		Service struct{ SDL string } `json:"_service"`
	}
	srv.query(t, `{ _service { sdl } }`, &svc)
	for _, want := range []string{`@key(fields: "code")`, `@key(fields: "id")`, `specs.apollo.dev/federation/v2`} {
		if !strings.Contains(svc.Service.SDL, want) {
			t.Errorf("_service.sdl lacks %s", want)
		}
	}

	var regions struct{ Regions []struct{ ID, Code string } }
	srv.query(t, `{ regions { id code } }`, &regions)
	var programmes struct {
		Programmes struct {
			Edges []struct{ Node struct{ Code string } }
		}
	}
	srv.query(t, `{ programmes(first: 2) { edges { node { code } } } }`, &programmes)

	type entity struct {
		Typename string `json:"__typename"`
		ID, Code string
	}
	entities := func(reps []map[string]any) ([]*entity, int64) {
		t.Helper()
		before := srv.statements.Load()
		var out struct {
			Entities []*entity `json:"_entities"`
		}
		srv.query(t, `query($reps: [_Any!]!) { _entities(representations: $reps) {
			__typename
			... on Region { id code } ... on Metric { id code } ... on Programme { id code }
		} }`, &out, client.Var("reps", reps))
		return out.Entities, srv.statements.Load() - before
	}

	few := []map[string]any{{"__typename": "Region", "code": "HI-EM"}, {"__typename": "Region", "id": regions.Regions[1].ID}}
	_, fewStatements := entities(few)

	var many []map[string]any
	var want []string
	for _, r := range regions.Regions {
		many = append(many, map[string]any{"__typename": "Region", "code": r.Code}, map[string]any{"__typename": "Region", "id": r.ID})
		want = append(want, "Region:"+r.Code, "Region:"+r.Code)
	}
	many = append(many,
		map[string]any{"__typename": "Metric", "code": "patients_benefiting"},
		map[string]any{"__typename": "Programme", "code": programmes.Programmes.Edges[0].Node.Code},
		map[string]any{"__typename": "Region", "code": "NO-SUCH-REGION"})
	want = append(want, "Metric:patients_benefiting", "Programme:"+programmes.Programmes.Edges[0].Node.Code, "null")
	got, manyStatements := entities(many)
	if len(got) != len(want) {
		t.Fatalf("%d entities for %d representations", len(got), len(want))
	}
	for i, e := range got {
		s := "null"
		if e != nil {
			s = e.Typename + ":" + e.Code
		}
		if s != want[i] {
			t.Errorf("entity %d = %s, want %s", i, s, want[i])
		}
	}
	// one statement per entity type and key, however many representations
	if manyStatements > 4 || fewStatements > 2 {
		t.Errorf("%d statements for %d representations (%d for 2): one per entity type and key expected", manyStatements, len(many), fewStatements)
	}
}
