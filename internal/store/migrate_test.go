package store_test

import (
	"context"
	"testing"

	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// TestEvaluationResultMigrationKeepsPilots: migration 00005 adds the
// structured result to pilots recorded before it without touching what
// they held; going down and up again loses nothing but the new column.
func TestEvaluationResultMigrationKeepsPilots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.NewDB(t, testdb.Empty)
	if err := store.MigrateTo(ctx, db, 4); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO region (id, code, name) VALUES ('00000000-0000-0000-0000-000000000001', 'HI-A', 'A')`,
		`INSERT INTO organisation (id, name, kind, region_id) VALUES ('00000000-0000-0000-0000-000000000002', 'Trust', 'NHS_TRUST', '00000000-0000-0000-0000-000000000001')`,
		`INSERT INTO innovation (id, name, stage, stage_changed_on) VALUES ('00000000-0000-0000-0000-000000000003', 'Alpha', 'REAL_WORLD_PILOT', '2023-01-01')`,
		`INSERT INTO pilot (id, innovation_id, site_id, region_id, status, start_date, end_date, evaluation_summary, version)
		 VALUES ('00000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000002',
		         '00000000-0000-0000-0000-000000000001', 'COMPLETED', '2023-01-01', '2023-06-30', 'Cut admissions by a fifth', 3)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	if err := store.MigrateTo(ctx, db, 5); err != nil {
		t.Fatal(err)
	}
	var summary, result, status string
	var version int
	if err := db.QueryRow(`SELECT evaluation_summary, evaluation_result, status, version FROM pilot`).Scan(&summary, &result, &status, &version); err != nil {
		t.Fatal(err)
	}
	if summary != "Cut admissions by a fifth" || result != "NOT_YET_EVALUATED" || status != "COMPLETED" || version != 3 {
		t.Errorf("after 00005: %q %s %s v%d", summary, result, status, version)
	}
	if _, err := db.Exec(`UPDATE pilot SET evaluation_result = 'GREAT'`); err == nil {
		t.Error("an unknown result was stored")
	}
	if err := store.MigrateTo(ctx, db, 4); err != nil {
		t.Fatal(err)
	}
	if err := store.MigrateTo(ctx, db, 5); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT evaluation_summary, evaluation_result FROM pilot`).Scan(&summary, &result); err != nil || summary != "Cut admissions by a fifth" {
		t.Errorf("after down and up: %q %s %v", summary, result, err)
	}
}
