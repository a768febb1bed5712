package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// A statement that changes outcomes announces each (metric, region) it
// touched once, after commit, to a listener on its own connection.
func TestOutcomeChangesAreAnnouncedOncePerGroup(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := store.Open(ctx, store.Config{URL: testdb.URL(t, testdb.Reference)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := make(chan hin.OutcomeChange, 100)
	if err := s.ListenOutcomeChanges(ctx, nil, func(c hin.OutcomeChange) { got <- c }); err != nil {
		t.Fatal(err)
	}
	collect := func(within time.Duration) []hin.OutcomeChange {
		var out []hin.OutcomeChange
		deadline := time.After(within)
		for {
			select {
			case c := <-got:
				out = append(out, c)
			case <-deadline:
				return out
			}
		}
	}
	exec := func(q string) {
		t.Helper()
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the listener's LISTEN is in place

	// a return of 5,000 rows in one transaction, over six months
	exec(`BEGIN;
		INSERT INTO outcome (id, metric_id, region_id, innovation_id, programme_id, period_start, period_end, value, source, status)
		SELECT gen_random_uuid(), (SELECT id FROM metric WHERE code = 'patients_benefiting'), (SELECT id FROM region WHERE code = 'HI-EM'),
		       inn.id, prog.id, make_date(2023, 4 + i % 6, 1), (make_date(2023, 4 + i % 6, 1) + interval '1 month - 1 day')::date, i, 'test', 'DRAFT'
		FROM generate_series(0, 4999) i
		-- one current figure per key: each row its own innovation, programme and month
		JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM innovation) inn
		  ON inn.n = (i / 6) % (SELECT count(*) FROM innovation)
		JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM programme) prog
		  ON prog.n = (i / 6 / (SELECT count(*) FROM innovation)) % (SELECT count(*) FROM programme);
		COMMIT`)
	cs := collect(time.Second)
	if len(cs) != 1 {
		t.Fatalf("got %d changes for one return, want 1: %+v", len(cs), cs)
	}
	c := cs[0]
	if c.MetricCode != "patients_benefiting" || c.RegionCode != "HI-EM" || c.Outcomes != 5000 ||
		!slices.Equal(c.Statuses, []hin.OutcomeStatus{hin.OutcomeDraft}) || c.MetricID == "" || c.RegionID == "" ||
		c.PeriodStart.Format(time.DateOnly) != "2023-04-01" || c.PeriodEnd.Format(time.DateOnly) != "2023-09-30" || !c.OnlyDrafts() {
		t.Errorf("change = %+v", c)
	}

	// publishing them: the rows as they were (drafts) and as they are
	exec(`UPDATE outcome SET status = 'PUBLISHED', published_at = now() WHERE source = 'test'`)
	cs = collect(time.Second)
	var statuses []hin.OutcomeStatus
	for _, c := range cs {
		statuses = append(statuses, c.Statuses...)
	}
	slices.Sort(statuses)
	if len(cs) != 2 || !slices.Equal(statuses, []hin.OutcomeStatus{hin.OutcomeDraft, hin.OutcomePublished}) {
		t.Errorf("publish: got %+v", cs)
	}

	// nothing is announced for a transaction that rolls back
	exec(`BEGIN; DELETE FROM outcome WHERE source = 'test'; ROLLBACK`)
	if cs := collect(300 * time.Millisecond); len(cs) != 0 {
		t.Errorf("a rolled-back delete was announced: %+v", cs)
	}
	exec(`TRUNCATE outcome CASCADE`)
	if cs := collect(time.Second); len(cs) != 1 || !cs[0].Everything {
		t.Errorf("truncate: got %+v, want one change of everything", cs)
	}
}
