package store_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// Rows applied by logical replication run with session_replication_role =
// replica, where the statement-level rollup triggers do not fire; the
// replica-only row trigger must keep the rollups exact through inserts,
// updates (moving a row to another month) and deletes. Multi-cluster tests
// (make federation-test) check the same through real subscriptions.
func TestReplicatedOutcomesKeepRollupsExact(t *testing.T) {
	t.Parallel()
	s := testdb.New(t, testdb.Reference)
	conn := replicaConn(t, s.DB())
	steps := []string{
		`SET session_replication_role = replica`,
		`INSERT INTO outcome (id, metric_id, region_id, period_start, period_end, value, status)
		 SELECT gen_random_uuid(), m.id, r.id, d, (d + interval '1 month' - interval '1 day')::date, 10 + extract(month FROM d), 'PUBLISHED'
		 FROM metric m, region r, generate_series('2023-04-01'::date, '2023-09-01', '1 month') d
		 WHERE m.code = 'patients_benefiting' AND r.code IN ('HI-EM', 'UCLP')`,
		`UPDATE outcome SET period_start = '2023-11-01', period_end = '2023-11-30', value = 99
		 WHERE id = (SELECT id FROM outcome ORDER BY period_start, id LIMIT 1)`,
		`DELETE FROM outcome WHERE id = (SELECT id FROM outcome ORDER BY period_start DESC, id LIMIT 1 OFFSET 3)`,
		`SET session_replication_role = origin`,
	}
	for _, q := range steps {
		if _, err := conn.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var n int
	if err := s.DB().QueryRow(`SELECT coalesce(sum(n), 0) FROM outcome_region_month`).Scan(&n); err != nil || n != 11 {
		t.Errorf("rollups count %d outcomes (err %v), want the 11 replicated", n, err)
	}
	checkRollups(t, s.DB())
}

// One writer per region: once a region has its own node, the national
// node refuses its writes naming that node; a regional node refuses other
// regions' writes and the catalogue. Replication (replica mode) passes.
func TestOneWriterPerRegion(t *testing.T) {
	t.Parallel()
	s := testdb.New(t, testdb.Reference)
	ctx := hin.WithPrincipal(context.Background(), hin.Principal{Subject: "test", Role: hin.RoleNationalAdmin})
	if err := s.ConfigureNode(ctx, hin.Node{Role: hin.NodeNational, NodeURL: "http://national.test"}); err != nil {
		t.Fatal(err)
	}
	v := 5.0
	outcome := func(region string) hin.OutcomeInput {
		return hin.OutcomeInput{MetricCode: "patients_benefiting", RegionCode: region, Value: &v,
			PeriodStart: time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2023, 5, 31, 0, 0, 0, 0, time.UTC)}
	}
	if _, err := s.RecordOutcome(ctx, outcome("HI-EM"), nil); err != nil {
		t.Fatalf("a national node writes a region without a node: %v", err)
	}
	if _, err := s.DB().Exec(`INSERT INTO region_owner (region_id, node_url, is_local)
		SELECT id, 'http://hi-em.test', false FROM region WHERE code = 'HI-EM'`); err != nil {
		t.Fatal(err)
	}
	_, err := s.RecordOutcome(ctx, outcome("HI-EM"), nil)
	var e *hin.Error
	if hin.ErrorCode(err) != hin.EREGIONELSEWHERE || !errors.As(err, &e) || e.Details["ownerNode"] != "http://hi-em.test" {
		t.Errorf("national write for a region with its own node: %v", err)
	}
	if _, err := s.RecordOutcome(ctx, outcome("UCLP"), nil); err != nil {
		t.Errorf("other regions are still written nationally: %v", err)
	}

	// the same database as a regional node of UCLP
	if err := s.ConfigureNode(ctx, hin.Node{Role: hin.NodeRegional, RegionCode: "UCLP", NationalURL: "http://national.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordOutcome(ctx, outcome("UCLP"), nil); hin.ErrorCode(err) != hin.EREGIONELSEWHERE {
		t.Errorf("a regional node before its move finished: %v", err)
	}
	if _, err := s.DB().Exec(`INSERT INTO region_owner (region_id, node_url, is_local)
		SELECT id, 'http://uclp.test', true FROM region WHERE code = 'UCLP'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordOutcome(ctx, outcome("UCLP"), nil); err != nil {
		t.Errorf("a regional node writing its region: %v", err)
	}
	if _, err := s.RecordOutcome(ctx, outcome("HI-WM"), nil); hin.ErrorCode(err) != hin.EREGIONELSEWHERE {
		t.Errorf("a regional node writing another region: %v", err)
	}
	if _, err := s.DB().Exec(`UPDATE metric SET name = name || ' changed'`); err == nil {
		t.Error("a regional node changed the catalogue")
	}
	// replication applies rows whoever owns them
	conn := replicaConn(t, s.DB())
	for _, q := range []string{`SET session_replication_role = replica`, `UPDATE metric SET name = name`,
		`INSERT INTO outcome (id, metric_id, region_id, period_start, period_end, value, status)
		 SELECT gen_random_uuid(), m.id, r.id, '2023-06-01', '2023-06-30', 1, 'DRAFT' FROM metric m, region r
		 WHERE m.code = 'patients_benefiting' AND r.code = 'HI-WM'`} {
		if _, err := conn.Exec(q); err != nil {
			t.Errorf("replicated rows were refused: %s: %v", q, err)
		}
	}

	// An UPDATE is checked on the row's region before and after: moving
	// another region's outcome or pilot into this node's region is refused
	// (a guard reading only the new row would let it through), as is
	// moving its own out; editing its own in place is not.
	for _, q := range []string{
		`INSERT INTO innovation (id, name, stage, stage_changed_on) VALUES ('0b8f3c1e-6d2a-4e5f-9a7b-1c2d3e4f5a6b', 'Moved in', 'REAL_WORLD_PILOT', '2023-01-01')`,
		`INSERT INTO pilot (id, innovation_id, site_id, region_id, status, start_date)
		 SELECT gen_random_uuid(), '0b8f3c1e-6d2a-4e5f-9a7b-1c2d3e4f5a6b', o.id, o.region_id, 'RUNNING', '2023-01-01'
		 FROM organisation o JOIN region r ON r.id = o.region_id WHERE r.code = 'HI-WM' ORDER BY o.id LIMIT 1`,
	} {
		if _, err := conn.Exec(q); err != nil {
			t.Fatalf("replicated rows were refused: %s: %v", q, err)
		}
	}
	const uclp, wm = `(SELECT id FROM region WHERE code = 'UCLP')`, `(SELECT id FROM region WHERE code = 'HI-WM')`
	for _, c := range []struct{ name, q string }{
		{"another region's outcome moved in", `UPDATE outcome SET region_id = ` + uclp + ` WHERE region_id = ` + wm},
		{"another region's pilot moved in", `UPDATE pilot SET region_id = ` + uclp + ` WHERE region_id = ` + wm},
		{"this region's outcome moved out", `UPDATE outcome SET region_id = ` + wm + ` WHERE region_id = ` + uclp},
	} {
		res, err := s.DB().Exec(c.q)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "HN001" {
			n, _ := rowsAffected(res)
			t.Errorf("%s at UCLP's node: %v (%d rows), want the one-writer guard's HN001", c.name, err, n)
		}
	}
	if _, err := s.DB().Exec(`UPDATE outcome SET value = value + 1 WHERE region_id = ` + uclp); err != nil {
		t.Errorf("UCLP's node editing its own outcome: %v", err)
	}
}

func rowsAffected(res sql.Result) (int64, error) {
	if res == nil {
		return 0, nil
	}
	return res.RowsAffected()
}

// replicaConn opens one connection to the test's database as the server's
// superuser (DATABASE_URL's user), which may set session_replication_role
// as the apply worker does; the test database's own user may not.
func replicaConn(t *testing.T, db *sql.DB) *sql.DB {
	t.Helper()
	var name string
	var super bool
	if err := db.QueryRow(`SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(os.Getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	c, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetMaxOpenConns(1) // the role setting belongs to one session
	t.Cleanup(func() { _ = c.Close() })
	if err := c.QueryRow(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil || !super {
		t.Skipf("DATABASE_URL's user is not a superuser (%v): cannot act as the replication apply worker", err)
	}
	return c
}
