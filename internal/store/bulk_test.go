package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// bulkRows is the largest CSV return (hin.MaxCSVReturnRows); -short uses
// a tenth of it.
func bulkRows() int {
	if testing.Short() {
		return hin.MaxCSVReturnRows / 10
	}
	return hin.MaxCSVReturnRows
}

// bulkReturn is a return of n rows for HI-EM: patients_benefiting daily,
// and bed_days_saved over two days (so some periods end in the next
// month), every fourth with a programme and every third a draft; value
// adds bump, and reason is given to every row when set.
func bulkReturn(programme string, n, bump int, reason string) hin.ReturnInput {
	in := hin.ReturnInput{RegionCode: returnsRegion, Rows: make([]hin.ReturnRow, 0, n)}
	start := date("1960-01-01")
	for i := range n {
		row := hin.ReturnRow{MetricCode: patientsCode}
		d := start.AddDate(0, 0, i/2)
		end := d
		if i%2 == 1 {
			row.MetricCode = bedDaysCode
			d = start.AddDate(0, 0, 2*(i/2))
			end = d.AddDate(0, 0, 1)
		}
		row.PeriodStart, row.PeriodEnd = &d, &end
		v := float64(i%97 + bump)
		row.Value = &v
		st := hin.OutcomePublished
		if i%3 == 0 {
			st = hin.OutcomeDraft
		}
		row.Status = &st
		if i%4 == 1 {
			row.ProgrammeID = &programme
		}
		if reason != "" {
			row.Reason = &reason
		}
		in.Rows = append(in.Rows, row)
	}
	return in
}

// TestBulkReturnAllOrNothingAndExactRollups: the largest return, with one
// bad row near its end, writes nothing and names that row; sent good, then
// again unchanged, then restated, it leaves rollups equal to a full
// recomputation from outcome after each step.
func TestBulkReturnAllOrNothingAndExactRollups(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	prog := f.programmeID(t)
	n := bulkRows()

	bad := bulkReturn(prog, n, 0, "")
	// row n-2 (the 49,999th of 50,000) repeats row n-4's metric and start
	// over a longer period: an overlap only the store can see
	bad.Rows[n-2].PeriodStart, bad.Rows[n-2].PeriodEnd = bad.Rows[n-4].PeriodStart, ptr(bad.Rows[n-4].PeriodEnd.AddDate(0, 0, 5))
	_, err := f.s.SubmitReturnCSV(f.ctx, bad, nil)
	var he *hin.Error
	if !asError(err, &he) || len(he.Problems) == 0 {
		t.Fatalf("a return with a bad row %d: %v", n-2, err)
	}
	for _, p := range he.Problems {
		if p.Row == nil || (*p.Row != n-2 && *p.Row != n-4) || p.Code != hin.EOVERLAP {
			t.Errorf("problem %+v does not name the bad row", p)
		}
	}
	if got := f.count(t, `SELECT count(*) FROM outcome`); got != 0 {
		t.Fatalf("a refused return wrote %d outcomes", got)
	}
	checkRollups(t, f.db)

	for _, step := range []struct {
		name string
		in   hin.ReturnInput
		want func(r int, res [3]int) bool
	}{
		{"new", bulkReturn(prog, n, 0, ""), func(r int, c [3]int) bool { return c == [3]int{r, 0, 0} }},
		{"the same again", bulkReturn(prog, n, 0, ""), func(r int, c [3]int) bool { return c == [3]int{0, 0, r} }},
		{"restated", bulkReturn(prog, n, 1, "corrected after audit"), func(r int, c [3]int) bool { return c == [3]int{0, r, 0} }},
	} {
		start := time.Now()
		res, err := f.s.SubmitReturnCSV(f.ctx, step.in, nil)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if c := [3]int{res.Created, res.Restated, res.Unchanged}; !step.want(n, c) {
			t.Fatalf("%s: created, restated, unchanged = %v", step.name, c)
		}
		t.Logf("%d rows, %s: %v", n, step.name, time.Since(start))
		checkRollups(t, f.db)
	}
	if got := f.count(t, `SELECT count(*) FROM outcome_history WHERE change = 'RESTATED'`); got != n {
		t.Errorf("%d restated states kept, want %d", got, n)
	}

	// a row near the end that overlaps a current figure (its own, made
	// longer): the whole return is refused, naming that figure
	clash := bulkReturn(prog, n, 2, "corrected again")
	clash.Rows[n-2].PeriodEnd = ptr(clash.Rows[n-2].PeriodEnd.AddDate(0, 0, 3))
	_, err = f.s.SubmitReturnCSV(f.ctx, clash, nil)
	if !asError(err, &he) || he.Code != hin.EOVERLAP || len(he.Problems) != 1 || *he.Problems[0].Row != n-2 || he.Problems[0].OutcomeID == "" {
		t.Fatalf("a return overlapping a current figure: %v", err)
	}
	if got := f.count(t, `SELECT count(*) FROM outcome_history WHERE change = 'RESTATED'`); got != n {
		t.Errorf("a refused return restated %d figures", got-n)
	}
	checkRollups(t, f.db)
}

// TestConcurrentBulkReturnsOneRegion: two of the largest returns for one
// region at once, sharing half their keys, both go through (one after the
// other on the shared keys): no deadlock, no lost row, one current value
// per key, and exact rollups.
func TestConcurrentBulkReturnsOneRegion(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	prog := f.programmeID(t)
	n := bulkRows()
	a := bulkReturn(prog, n, 0, "sent twice")
	b := bulkReturn(prog, n, 1, "sent twice")
	// b's patients_benefiting rows are the same keys as a's (other values);
	// its bed_days_saved rows move to a later, disjoint run of periods
	for i := 1; i < n; i += 2 {
		s, e := b.Rows[i].PeriodStart.AddDate(200, 0, 0), b.Rows[i].PeriodEnd.AddDate(200, 0, 0)
		b.Rows[i].PeriodStart, b.Rows[i].PeriodEnd = &s, &e
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for k, in := range []hin.ReturnInput{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[k] = f.s.SubmitReturnCSV(f.ctx, in, nil)
		}()
	}
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			t.Fatalf("return %d: %v", k, err)
		}
	}
	// a's rows, and b's bed_days_saved rows besides: every key once per status
	if got, want := f.count(t, `SELECT count(*) FROM outcome WHERE status IN ('DRAFT', 'PUBLISHED')`), n+n/2; got != want {
		t.Errorf("%d current outcomes, want %d", got, want)
	}
	if dup := f.count(t, `SELECT count(*) FROM (SELECT 1 FROM outcome WHERE status IN ('DRAFT', 'PUBLISHED')
		GROUP BY metric_id, region_id, period_start, period_end, innovation_id, pilot_id, programme_id, status HAVING count(*) > 1) d`); dup != 0 {
		t.Errorf("%d keys with more than one current value", dup)
	}
	// the shared keys hold one of the two values, the other kept as history
	if got := f.count(t, `SELECT count(*) FROM outcome_history WHERE change = 'RESTATED'`); got != n/2 {
		t.Errorf("%d restated states, want %d (the shared keys, once each)", got, n/2)
	}
	checkRollups(t, f.db)
}
