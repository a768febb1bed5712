package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// A migration that changes a column's type under a running server makes
// PostgreSQL refuse the statements prepared before it; the store prepares
// them afresh instead of failing until a restart.
func TestPreparedStatementsSurviveAColumnTypeChange(t *testing.T) {
	t.Parallel()
	db := testdb.NewDB(t, testdb.Reference)
	s := store.NewFromDB(db)
	ctx := context.Background()
	regions, err := s.Regions(ctx, hin.RegionFilter{})
	if err != nil || len(regions) == 0 {
		t.Fatalf("regions: %v (%d)", err, len(regions))
	}
	ids := []string{regions[0].ID}
	for range 2 {
		if _, err := s.RegionsByID(ctx, ids); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `ALTER TABLE region ALTER COLUMN name TYPE varchar(300)`); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		got, err := s.RegionsByID(ctx, ids)
		if err != nil {
			t.Fatalf("lookup %d after the change: %v", i, err)
		}
		if got[ids[0]].Name != regions[0].Name {
			t.Fatalf("lookup %d after the change: %+v", i, got)
		}
	}
}

// The cache keeps the statements used most recently, at most MaxPrepared,
// and a statement it let go of runs again when asked for.
func TestPreparedStatementCacheIsBounded(t *testing.T) {
	t.Parallel()
	s := store.NewFromDB(testdb.NewDB(t, testdb.Empty))
	ctx := context.Background()
	query := func(i int) string { return fmt.Sprintf("SELECT $1::int + %d AS n", i) }
	run := func(i int) {
		t.Helper()
		var got []struct{ N int }
		if err := s.SelectPrepared(ctx, &got, query(i), 1); err != nil || len(got) != 1 || got[0].N != i+1 {
			t.Fatalf("query %d: %v %v", i, err, got)
		}
	}
	for i := range store.MaxPrepared + 20 {
		run(i)
		run(0) // kept in use, so never the least recent
	}
	n, kept := s.Prepared(query(0))
	_, old := s.Prepared(query(1))
	if n != store.MaxPrepared || !kept || old {
		t.Fatalf("cache holds %d statements (want %d); the one in use kept: %v; an old one still held: %v", n, store.MaxPrepared, kept, old)
	}
	run(1)
}
