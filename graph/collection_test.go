package graph_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/99designs/gqlgen/client"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// The collection's trackers, with every submission's figures, problems,
// notes and references, cost a fixed number of statements: the same for a
// demo data set ten times larger, and one per list or reference.
func TestTrackerStatementsDoNotGrowWithRows(t *testing.T) {
	t.Parallel()
	const q = `{ collection(code: "PSC-MONTHLY") { code metrics { metric { code } medianFactor } exemptions { region { code } reason }
		periods(first: 6) { label tracker { summary expectedCount receivedCount lateRegions { code } exemptions { region { code } }
			submissions { id region { code } state late submittedBy allowedActions period { label }
				figures { value metric { code } } problems { rule severity metric { code } outcome { id } } notes { kind } } } } } }`
	type resp struct {
		Collection struct {
			Periods []struct {
				Label   string
				Tracker struct {
					Summary       string
					ExpectedCount int
					Submissions   []struct {
						State    string
						Figures  []struct{ Value *float64 }
						Problems []struct{ Rule string }
					}
				}
			}
		}
	}
	var counts [2]int64
	var figures [2]int
	for i, size := range []seed.DemoSize{
		{PilotsPerRegion: 2, InnovationsPerRegion: 2, FirstFY: 2023, Years: 1},
		{PilotsPerRegion: 20, InnovationsPerRegion: 20, FirstFY: 2023, Years: 1},
	} {
		s := testdb.New(t, testdb.Demo(size))
		srv := &server{}
		s.AddHook(func(ctx context.Context, _ string) (context.Context, func(error)) {
			srv.statements.Add(1)
			return ctx, func(error) {}
		})
		h := graph.NewHandler(s, graph.Options{})
		analyst := hin.Principal{Subject: "analyst", Role: hin.RoleAnalyst}
		srv.c = client.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(hin.WithPrincipal(r.Context(), analyst)))
		}))
		var out resp
		before := srv.statements.Load()
		srv.query(t, q, &out)
		counts[i] = srv.statements.Load() - before
		ps := out.Collection.Periods
		if len(ps) != 6 || ps[0].Tracker.ExpectedCount != 14 || len(ps[0].Tracker.Submissions) != 15 {
			t.Fatalf("size %d: %d periods, the latest %+v", i, len(ps), ps[0].Tracker.Summary)
		}
		for _, p := range ps {
			for _, s := range p.Tracker.Submissions {
				figures[i] += len(s.Figures)
			}
		}
		t.Logf("size %d: %d figures in 6 trackers, %d statements", i, figures[i], counts[i])
	}
	if figures[0] == 0 {
		t.Fatal("the demo's submissions have no figures")
	}
	if counts[0] != counts[1] {
		t.Errorf("statements grew with rows: %d, then %d", counts[0], counts[1])
	}
	if counts[1] > 25 {
		t.Errorf("%d statements: expected one per list or reference", counts[1])
	}
}
