package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// The rollup tables must always equal these aggregates over the raw
// outcomes; each query lists the rows on one side that the other lacks.
const (
	regionMonthAggregate = `
		SELECT metric_id, region_id, status, date_trunc('month', period_start)::date AS start_month,
		       date_trunc('month', period_end)::date AS end_month, count(*) AS n, sum(value) AS sum_value,
		       sum(numerator) AS sum_num, sum(denominator) AS sum_den, max(period_end) AS last_end,
		       sum(value) FILTER (WHERE period_end = group_last) AS last_sum
		FROM (SELECT o.*, max(period_end) OVER (PARTITION BY metric_id, region_id, status,
		             date_trunc('month', period_start), date_trunc('month', period_end)) AS group_last FROM outcome o) x
		GROUP BY 1, 2, 3, 4, 5`
	regionMonthRollup = `SELECT metric_id, region_id, status, start_month, end_month, n, sum_value, sum_num, sum_den,
		last_end, last_sum FROM outcome_region_month`
	detailMonthAggregate = `
		SELECT metric_id, region_id, programme_id, innovation_id, status, date_trunc('month', period_start)::date AS start_month,
		       date_trunc('month', period_end)::date AS end_month, count(*) AS n, sum(value) AS sum_value,
		       sum(numerator) AS sum_num, sum(denominator) AS sum_den, max(period_end) AS last_end,
		       sum(value) FILTER (WHERE period_end = group_last) AS last_sum
		FROM (SELECT o.*, max(period_end) OVER (PARTITION BY metric_id, region_id, programme_id, innovation_id, status,
		             date_trunc('month', period_start), date_trunc('month', period_end)) AS group_last FROM outcome o) x
		GROUP BY 1, 2, 3, 4, 5, 6, 7`
	detailMonthRollup = `SELECT metric_id, region_id, programme_id, innovation_id, status, start_month, end_month, n,
		sum_value, sum_num, sum_den, last_end, last_sum FROM outcome_detail_month`
)

// checkRollups fails the test when a rollup table differs from the
// aggregate over raw outcomes, in either direction.
func checkRollups(t *testing.T, db *sql.DB) {
	t.Helper()
	for _, c := range []struct{ name, agg, rollup string }{
		{"outcome_region_month", regionMonthAggregate, regionMonthRollup},
		{"outcome_detail_month", detailMonthAggregate, detailMonthRollup},
	} {
		var missing, extra int
		q := fmt.Sprintf(`SELECT (SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) a), (SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) b)`,
			c.agg, c.rollup, c.rollup, c.agg)
		if err := db.QueryRow(q).Scan(&missing, &extra); err != nil {
			t.Fatal(err)
		}
		if missing != 0 || extra != 0 {
			t.Errorf("%s: %d aggregate rows missing or different, %d rollup rows extra or stale", c.name, missing, extra)
		}
	}
}

// TestRollupsUnderConcurrentWrites has several writers insert, move,
// re-value, withdraw and delete outcomes in the same few (metric, region,
// month) groups at once, then checks the rollups against the raw rows.
func TestRollupsUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	db := testdb.NewDB(t, testdb.Reference)
	db.SetMaxOpenConns(8)
	ctx := context.Background()
	var metrics, regions []string
	for q, dest := range map[string]*[]string{
		`SELECT id FROM metric ORDER BY code LIMIT 2`: &metrics,
		`SELECT id FROM region ORDER BY code LIMIT 2`: &regions,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			*dest = append(*dest, id)
		}
		_ = rows.Close()
	}
	if len(metrics) < 2 || len(regions) < 2 {
		t.Fatalf("reference data: %d metrics, %d regions", len(metrics), len(regions))
	}
	var programme sql.NullString
	_ = db.QueryRow(`SELECT id FROM programme ORDER BY code LIMIT 1`).Scan(&programme)

	const writers, opsEach = 6, 40
	months := []string{"2024-01", "2024-02", "2024-03"}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			var mine []string // ids this writer inserted
			for range opsEach {
				if err := writeOnce(ctx, db, rng, &mine, metrics, regions, months, programme); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM outcome`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no outcomes left to check")
	}
	checkRollups(t, db)

	// And one bulk statement touching every group at once.
	if _, err := db.Exec(`UPDATE outcome SET value = value + 1 WHERE value IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, db)
	if _, err := db.Exec(`DELETE FROM outcome WHERE status = 'WITHDRAWN'`); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, db)
}

// writeOnce runs one random write in its own transaction, sometimes two. Values are whole numbers so that sums do not depend on
// the order of addition.
func writeOnce(ctx context.Context, db *sql.DB, rng *rand.Rand, mine *[]string, metrics, regions, months []string, programme sql.NullString) error {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	period := func() (string, string) {
		m := pick(months)
		d := 1 + rng.IntN(27)
		return fmt.Sprintf("%s-%02d", m, d), fmt.Sprintf("%s-%02d", m, d+rng.IntN(28-d+1))
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	stmts := 1
	if rng.IntN(4) == 0 {
		// Two writes in one transaction take their rollup locks in two
		// steps, so two such transactions can deadlock; PostgreSQL then
		// rolls one back, which the store reports as UNAVAILABLE (retry).
		stmts = 2
	}
	for range stmts {
		op := rng.IntN(10)
		if len(*mine) == 0 {
			op = 0
		}
		var err error
		switch {
		case op < 5: // insert
			start, end := period()
			prog := sql.NullString{}
			if rng.IntN(2) == 0 {
				prog = programme
			}
			var id string
			err = tx.QueryRowContext(ctx, `INSERT INTO outcome (id, metric_id, region_id, period_start, period_end, value, programme_id, status, published_at)
				VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, CASE WHEN $7 = 'PUBLISHED' THEN now() END) RETURNING id`,
				pick(metrics), pick(regions), start, end, rng.IntN(1000), prog, []string{"DRAFT", "PUBLISHED"}[rng.IntN(2)]).Scan(&id)
			if err == nil {
				*mine = append(*mine, id)
			}
		case op < 7: // move to another period, maybe another month and region
			start, end := period()
			_, err = tx.ExecContext(ctx, `UPDATE outcome SET period_start = $2, period_end = $3, region_id = $4, value = $5 WHERE id = $1`,
				pick(*mine), start, end, pick(regions), rng.IntN(1000))
		case op < 8: // withdraw
			_, err = tx.ExecContext(ctx, `UPDATE outcome SET status = 'WITHDRAWN', withdrawn_at = now(), withdrawn_reason = 'test' WHERE id = $1 AND status <> 'WITHDRAWN'`,
				pick(*mine))
		default: // delete
			_, err = tx.ExecContext(ctx, `DELETE FROM outcome WHERE id = $1`, pick(*mine))
		}
		if err != nil {
			if code := hin.ErrorCode(store.MapError(err)); code == hin.EUNAVAILABLE || code == hin.ECONFLICT {
				// a deadlock or serialization failure, or a second current outcome of one key
				// (refused by the unique indexes of migration 00006), is rolled back whole; the test goes on
				return nil
			}
			return err
		}
	}
	return tx.Commit()
}
