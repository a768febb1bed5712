package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// The read paths' cost per request, in-process (no HTTP), for comparing
// changes: allocations per request are steady even on a busy machine,
// where times are not.
//
//	scripts/with-postgres.sh go test -run '^$' -bench . -benchmem ./graph
//
// make bench-peer measures the same shapes through HTTP against
// PostGraphile.

// benchSize has enough rows for every page of benchDeep to be full.
var benchSize = seed.DemoSize{PilotsPerRegion: 60, InnovationsPerRegion: 10, FirstFY: 2023, Years: 1}

const benchDeep = `{ regions { code name
  innovations(first: 10) { nodes { id name stage
    pilots(first: 5) { nodes { id status startDate
      outcomes(first: 5) { nodes { id periodStart periodEnd value status } } } } } } } }`

const benchList = `{ innovations(first: 50) { totalCount nodes { id name stage clinicalArea leadRegion { code name } } } }`

func benchQuery(b *testing.B, q string) {
	s := testdb.New(b, testdb.Demo(benchSize))
	h := graph.NewHandler(s, graph.Options{})
	body, _ := json.Marshal(map[string]string{"query": q})
	ctx := hin.WithPrincipal(context.Background(), hin.Principal{Role: hin.RoleAnalyst, Subject: "bench"})
	send := func() {
		r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK || !bytes.HasPrefix(w.Body.Bytes(), []byte(`{"data"`)) {
			b.Fatalf("HTTP %d: %.300s", w.Code, w.Body.String())
		}
	}
	send()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		send()
	}
}

func BenchmarkDeepPage(b *testing.B) { benchQuery(b, benchDeep) }
func BenchmarkListPage(b *testing.B) { benchQuery(b, benchList) }
