package store_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// TestAsOfCost times a national figure as of a moment next to the current
// one on a seeded database (make bench builds hinbench_s100, about 2M
// outcomes). It runs only when HINGRAPH_BENCH_URL names that database:
//
//	HINGRAPH_BENCH_URL='postgres://postgres@127.0.0.1:54406/hinbench_s100?sslmode=disable' \
//	  go test -count=1 -run AsOfCost -v ./internal/store/
func TestAsOfCost(t *testing.T) {
	url := os.Getenv("HINGRAPH_BENCH_URL")
	if url == "" {
		t.Skip("HINGRAPH_BENCH_URL is not set")
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := store.NewFromDB(db)
	ctx := context.Background()
	ms, err := s.Metrics(ctx, hin.MetricFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]hin.Metric{}
	for _, m := range ms {
		byCode[m.Code] = m
	}
	var seeded time.Time
	if err := db.QueryRow(`SELECT max(valid_from) FROM outcome`).Scan(&seeded); err != nil {
		t.Fatal(err)
	}
	now, before := time.Now(), seeded.Add(-time.Hour)
	fy := hin.Window{From: time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)}
	for _, c := range []struct {
		name   string
		metric string
		asOf   *time.Time
		drafts bool
	}{
		{"count, current (rollups)", "patients_benefiting", nil, false},
		{"count, as of now (rollups less later changes)", "patients_benefiting", &now, false},
		{"count, as of before the seed load (every outcome in the window taken back)", "patients_benefiting", &before, false},
		{"count, as of now with drafts (outcomes and history)", "patients_benefiting", &now, true},
		{"snapshot, current (rollups)", "sites_live", nil, false},
		{"snapshot, as of now (outcomes and history)", "sites_live", &now, false},
	} {
		q := hin.AggregateQuery{Metrics: []hin.Metric{byCode[c.metric]}, Window: fy, AsOf: c.asOf}
		if c.drafts {
			q.Drafts = hin.DraftScope{All: true}
		}
		var times []time.Duration
		for range 5 {
			start := time.Now()
			if _, err := s.Aggregate(ctx, q); err != nil {
				t.Fatal(err)
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		t.Logf("%-70s p50 %v", c.name, times[len(times)/2])
	}
}
