package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

var (
	returnsAdmin  = hin.Principal{Subject: "admin", Role: hin.RoleNationalAdmin}
	patientsCode  = "patients_benefiting"
	bedDaysCode   = "bed_days_saved"
	returnsRegion = "HI-EM"
)

type returnsFixture struct {
	db  *sql.DB
	s   *store.Store
	ctx context.Context
	// metrics by code
	metrics map[string]hin.Metric
}

func newReturnsFixture(t *testing.T) *returnsFixture {
	t.Helper()
	db := testdb.NewDB(t, testdb.Reference)
	f := &returnsFixture{db: db, s: store.NewFromDB(db), ctx: hin.WithPrincipal(context.Background(), returnsAdmin), metrics: map[string]hin.Metric{}}
	ms, err := f.s.Metrics(f.ctx, hin.MetricFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		f.metrics[m.Code] = m
	}
	return f
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func ptr[T any](v T) *T { return &v }

func outcomeIn(metric, start, end string, v float64, status hin.OutcomeStatus) hin.OutcomeInput {
	return hin.OutcomeInput{MetricCode: metric, RegionCode: returnsRegion, PeriodStart: date(start), PeriodEnd: date(end), Value: &v, Status: &status}
}

// figure is the national total of a count metric over a window, as the
// figure fields compute it; drafts as a national admin sees them.
func (f *returnsFixture) figure(t *testing.T, metric string, from, to string, drafts bool, asOf *time.Time) (float64, int64) {
	t.Helper()
	q := hin.AggregateQuery{Metrics: []hin.Metric{f.metrics[metric]}, Window: hin.Window{From: date(from), To: date(to)}, AsOf: asOf}
	if drafts {
		q.Drafts = hin.DraftScope{All: true}
	}
	rows, err := f.s.Aggregate(f.ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Total {
			return *r.Sum, r.Outcomes
		}
	}
	return 0, 0
}

// checkFigure compares the figure on every path (rollups, raw outcomes,
// as of now) with want.
func (f *returnsFixture) checkFigure(t *testing.T, label string, drafts bool, want float64) {
	t.Helper()
	now := time.Now().Add(time.Hour)
	for _, c := range []struct {
		name string
		asOf *time.Time
	}{{"rollups", nil}, {"as of now", &now}} {
		if got, _ := f.figure(t, patientsCode, "2024-04-01", "2025-03-31", drafts, c.asOf); math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: %s figure (drafts %v) = %v, want %v", label, c.name, drafts, got, want)
		}
	}
	// the raw path: a window one day wider on each side is not month-aligned
	if got, _ := f.figure(t, patientsCode, "2024-03-31", "2025-04-01", drafts, nil); math.Abs(got-want) > 1e-9 {
		t.Errorf("%s: raw figure (drafts %v) = %v, want %v", label, drafts, got, want)
	}
	checkRollups(t, f.db)
}

func (f *returnsFixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestResendChangesNothing(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	first, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-04-01", "2024-04-30", 100, hin.OutcomePublished), nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-04-01", "2024-04-30", 100, hin.OutcomePublished), nil)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != first.ID || again.Version != first.Version {
			t.Fatalf("resend gave %s v%d, want the existing %s v%d", again.ID, again.Version, first.ID, first.Version)
		}
	}
	// a draft of the published value is a resend too
	again, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-04-01", "2024-04-30", 100, hin.OutcomeDraft), nil)
	if err != nil || again.ID != first.ID {
		t.Fatalf("draft of the published value: %v %v", again.ID, err)
	}
	if n := f.count(t, `SELECT count(*) FROM outcome`); n != 1 {
		t.Errorf("%d outcomes, want 1", n)
	}
	if n := f.count(t, `SELECT count(*) FROM outcome_history`); n != 0 {
		t.Errorf("%d history rows, want 0", n)
	}
	f.checkFigure(t, "after resends", false, 100)
}

func TestRestateNeedsAReasonAndKeepsHistory(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	first, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-04-01", "2024-04-30", 100, hin.OutcomePublished), nil)
	if err != nil {
		t.Fatal(err)
	}
	beforeRestate := time.Now()
	time.Sleep(20 * time.Millisecond)
	_, err = f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-04-01", "2024-04-30", 120, hin.OutcomePublished), nil)
	var he *hin.Error
	if !asError(err, &he) || he.Code != hin.EINVALID || he.Problems[0].Field != "reason" || !strings.Contains(he.Message, first.GlobalID()) {
		t.Fatalf("restating without a reason: %v", err)
	}
	in := outcomeIn(patientsCode, "2024-04-01", "2024-04-30", 120, hin.OutcomePublished)
	in.Reason = ptr("corrected count from the trust")
	got, err := f.s.RecordOutcome(f.ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != first.ID || *got.Value != 120 || got.Version != first.Version+1 {
		t.Fatalf("restated: %s %v v%d", got.ID, *got.Value, got.Version)
	}
	time.Sleep(20 * time.Millisecond)
	afterRestate := time.Now()
	hist, err := f.s.OutcomeHistory(f.ctx, []string{got.ID}, 20)
	if err != nil {
		t.Fatal(err)
	}
	h := hist[got.ID]
	if len(h) != 1 || *h[0].Value != 100 || h[0].Change != "RESTATED" || h[0].ChangedBy != "admin" || *h[0].Reason != "corrected count from the trust" {
		t.Fatalf("history = %+v", h)
	}
	f.checkFigure(t, "after the restatement", false, 120)
	// as of a moment before and after the restatement
	if v, _ := f.figure(t, patientsCode, "2024-04-01", "2025-03-31", false, &beforeRestate); v != 100 {
		t.Errorf("as of before the restatement: %v, want 100", v)
	}
	if v, _ := f.figure(t, patientsCode, "2024-04-01", "2025-03-31", false, &afterRestate); v != 120 {
		t.Errorf("as of after the restatement: %v, want 120", v)
	}
	before := first.CreatedAt.Add(-time.Minute)
	if v, n := f.figure(t, patientsCode, "2024-04-01", "2025-03-31", false, &before); v != 0 || n != 0 {
		t.Errorf("as of before anything was sent: %v (%d outcomes), want nothing", v, n)
	}
	// withdrawal: not counted now, still counted as of before it
	if _, err := f.s.WithdrawOutcome(f.ctx, got.GlobalID(), got.Version, "sent to the wrong region"); err != nil {
		t.Fatal(err)
	}
	f.checkFigure(t, "after withdrawal", false, 0)
	if v, _ := f.figure(t, patientsCode, "2024-04-01", "2025-03-31", false, &afterRestate); v != 120 {
		t.Errorf("as of before the withdrawal: %v, want 120", v)
	}
	// the key is free again
	if _, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-04-01", "2024-04-30", 90, hin.OutcomePublished), nil); err != nil {
		t.Fatal(err)
	}
	f.checkFigure(t, "after a new figure", false, 90)
}

func asError(err error, he **hin.Error) bool {
	e, ok := err.(*hin.Error)
	if ok {
		*he = e
	}
	return ok
}

func TestPublishOverPublishedIsARestatement(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	pub, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-05-01", "2024-05-31", 100, hin.OutcomePublished), nil)
	if err != nil {
		t.Fatal(err)
	}
	draft, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-05-01", "2024-05-31", 150, hin.OutcomeDraft), nil)
	if err != nil {
		t.Fatal(err)
	}
	if draft.ID == pub.ID || draft.Status != hin.OutcomeDraft {
		t.Fatalf("a draft beside the published figure: %+v", draft)
	}
	// published only: 100; with drafts the draft stands in for the figure
	f.checkFigure(t, "draft pending", false, 100)
	f.checkFigure(t, "draft pending", true, 150)
	// a second draft restates the first
	d2, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-05-01", "2024-05-31", 160, hin.OutcomeDraft), nil)
	if err != nil || d2.ID != draft.ID || *d2.Value != 160 {
		t.Fatalf("second draft: %v %v", d2, err)
	}
	f.checkFigure(t, "draft restated", true, 160)
	w := hin.Window{From: date("2024-05-01"), To: date("2024-05-31")}
	if _, err := f.s.PublishOutcomesWithReason(f.ctx, returnsRegion, w, nil); hin.ErrorCode(err) != hin.EINVALID || !strings.Contains(err.Error(), "reason") {
		t.Fatalf("publishing over a published figure without a reason: %v", err)
	}
	n, err := f.s.PublishOutcomesWithReason(f.ctx, returnsRegion, w, ptr("May figures checked again"))
	if err != nil || n != 1 {
		t.Fatalf("publish: %d %v", n, err)
	}
	if c := f.count(t, `SELECT count(*) FROM outcome WHERE status IN ('DRAFT','PUBLISHED')`); c != 1 {
		t.Errorf("%d current outcomes, want 1", c)
	}
	var v float64
	var version int
	if err := f.db.QueryRow(`SELECT value, version FROM outcome WHERE id = $1 AND status = 'PUBLISHED'`, pub.ID).Scan(&v, &version); err != nil || v != 160 {
		t.Fatalf("the published figure keeps its ID and takes the draft's value: %v %v", v, err)
	}
	hist, err := f.s.OutcomeHistory(f.ctx, []string{pub.ID}, 20)
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string]int{}
	for _, h := range hist[pub.ID] {
		changes[string(h.Status)+"/"+h.Change]++
	}
	// the published 100 (restated), the draft 150 (restated by 160), the draft 160 (published)
	if changes["PUBLISHED/RESTATED"] != 1 || changes["DRAFT/RESTATED"] != 1 || changes["DRAFT/PUBLISHED"] != 1 || len(hist[pub.ID]) != 3 {
		t.Errorf("history: %v", changes)
	}
	f.checkFigure(t, "after publishing", false, 160)
	f.checkFigure(t, "after publishing", true, 160)
	// publishing an equal draft needs no reason and leaves one figure
	if _, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-05-01", "2024-05-31", 170, hin.OutcomeDraft), nil); err != nil {
		t.Fatal(err)
	}
	upd, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-05-01", "2024-05-31", 160, hin.OutcomeDraft), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.UpdateOutcome(f.ctx, upd.GlobalID(), upd.Version, outcomeIn(patientsCode, "2024-05-01", "2024-05-31", 160, hin.OutcomePublished)); err != nil {
		t.Fatalf("publishing a draft equal to the published figure: %v", err)
	}
	f.checkFigure(t, "after publishing an equal draft", true, 160)
	if c := f.count(t, `SELECT count(*) FROM outcome`); c != 1 {
		t.Errorf("%d outcomes, want 1", c)
	}
}

func TestOverlappingPeriodsAreRefused(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	april, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-04-01", "2024-04-30", 100, hin.OutcomePublished), nil)
	if err != nil {
		t.Fatal(err)
	}
	// a quarter holding April, published or draft: refused, naming April
	for _, st := range []hin.OutcomeStatus{hin.OutcomePublished, hin.OutcomeDraft} {
		_, err = f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-04-01", "2024-06-30", 300, st), nil)
		var he *hin.Error
		if !asError(err, &he) || he.Code != hin.EOVERLAP || he.Details["outcomeId"] != april.GlobalID() || !strings.Contains(he.Message, april.GlobalID()) {
			t.Fatalf("a quarter over April (%s): %v", st, err)
		}
	}
	// another metric, another programme or a later month: accepted
	prog := f.programmeID(t)
	q := outcomeIn(patientsCode, "2024-04-01", "2024-06-30", 300, hin.OutcomePublished)
	q.ProgrammeID = &prog
	for _, in := range []hin.OutcomeInput{outcomeIn(bedDaysCode, "2024-04-01", "2024-06-30", 300, hin.OutcomePublished), q,
		outcomeIn(patientsCode, "2024-05-01", "2024-05-31", 50, hin.OutcomePublished)} {
		if _, err := f.s.RecordOutcome(f.ctx, in, nil); err != nil {
			t.Fatalf("%s %s..%s: %v", in.MetricCode, in.PeriodStart.Format(time.DateOnly), in.PeriodEnd.Format(time.DateOnly), err)
		}
	}
	f.checkFigure(t, "months and a programme's quarter", false, 450)
	// overlaps inside one return are row problems
	_, err = f.s.SubmitReturn(f.ctx, hin.ReturnInput{RegionCode: returnsRegion, Rows: []hin.ReturnRow{
		{MetricCode: patientsCode, PeriodStart: ptr(date("2024-07-01")), PeriodEnd: ptr(date("2024-07-31")), Value: ptr(1.0)},
		{MetricCode: patientsCode, PeriodStart: ptr(date("2024-07-01")), PeriodEnd: ptr(date("2024-09-30")), Value: ptr(3.0)},
		{MetricCode: patientsCode, PeriodStart: ptr(date("2024-07-01")), PeriodEnd: ptr(date("2024-07-31")), Value: ptr(2.0)},
	}}, nil)
	var he *hin.Error
	if !asError(err, &he) || len(he.Problems) != 2 {
		t.Fatalf("overlaps within a return: %v", err)
	}
	rows := map[int]string{}
	for _, p := range he.Problems {
		rows[*p.Row] = p.Message
	}
	if !strings.Contains(rows[1], "overlaps row 0") || !strings.Contains(rows[2], "repeats row 0") {
		t.Errorf("row problems: %v", rows)
	}
	// after April is withdrawn, the quarter may be sent
	if _, err := f.s.WithdrawOutcome(f.ctx, april.GlobalID(), april.Version, "sent as a quarter instead"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-04-01", "2024-04-30", 1, hin.OutcomePublished), nil); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, f.db)
}

// TestOverlapAtASharedBoundaryDay: periods are inclusive, so one that
// starts on the day another ends overlaps it by that day. Refused as a new
// outcome, as a return row against a published outcome, and between two
// rows of one return; the day after is accepted. Nothing refused is written.
func TestOverlapAtASharedBoundaryDay(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	april, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-04-01", "2024-04-30", 100, hin.OutcomePublished), nil)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := func() int { return f.count(t, `SELECT count(*) FROM outcome`) }
	before := outcomes()
	for _, st := range []hin.OutcomeStatus{hin.OutcomePublished, hin.OutcomeDraft} {
		_, err := f.s.RecordOutcome(f.ctx, outcomeIn(patientsCode, "2024-04-30", "2024-05-31", 10, st), nil)
		var he *hin.Error
		if !asError(err, &he) || he.Code != hin.EOVERLAP || he.Details["outcomeId"] != april.GlobalID() {
			t.Errorf("2024-04-30..2024-05-31 (%s) after 2024-04-01..2024-04-30: %v, want %s naming April", st, err, hin.EOVERLAP)
		}
	}
	row := func(start, end string, v float64) hin.ReturnRow {
		return hin.ReturnRow{MetricCode: patientsCode, PeriodStart: ptr(date(start)), PeriodEnd: ptr(date(end)), Value: ptr(v)}
	}
	for _, c := range []struct {
		name string
		rows []hin.ReturnRow
	}{
		{"a row starting on April's last day", []hin.ReturnRow{row("2024-04-30", "2024-05-31", 10)}},
		{"two rows sharing 2024-06-30", []hin.ReturnRow{row("2024-06-01", "2024-06-30", 1), row("2024-06-30", "2024-07-31", 2)}},
		{"two rows sharing 2024-06-30, reversed", []hin.ReturnRow{row("2024-06-30", "2024-07-31", 2), row("2024-06-01", "2024-06-30", 1)}},
	} {
		_, err := f.s.SubmitReturn(f.ctx, hin.ReturnInput{RegionCode: returnsRegion, Status: ptr(hin.OutcomePublished), Rows: c.rows}, nil)
		var he *hin.Error
		if !asError(err, &he) || len(he.Problems) != 1 || he.Problems[0].Code != hin.EOVERLAP {
			t.Errorf("%s: %v, want one %s problem", c.name, err, hin.EOVERLAP)
		}
	}
	if n := outcomes(); n != before {
		t.Fatalf("%d outcomes after refused writes, want %d", n, before)
	}
	// the day after April ends is no overlap
	if _, err := f.s.SubmitReturn(f.ctx, hin.ReturnInput{RegionCode: returnsRegion, Status: ptr(hin.OutcomePublished),
		Rows: []hin.ReturnRow{row("2024-05-01", "2024-05-31", 10), row("2024-06-01", "2024-06-30", 1)}}, nil); err != nil {
		t.Fatalf("adjacent months: %v", err)
	}
	checkRollups(t, f.db)
}

func (f *returnsFixture) programmeID(t *testing.T) string {
	t.Helper()
	var id string
	if err := f.db.QueryRow(`SELECT id FROM programme ORDER BY code LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return hin.GlobalID(hin.KindProgramme, id)
}

func TestBulkReturnOverManyPeriods(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	build := func(bump float64) hin.ReturnInput {
		in := hin.ReturnInput{RegionCode: "hi-em", Status: ptr(hin.OutcomePublished), Reason: ptr("year-end corrections")}
		for m := range 12 {
			start := date("2024-04-01").AddDate(0, m, 0)
			end := start.AddDate(0, 1, -1)
			for _, code := range []string{patientsCode, "Bed_Days_Saved"} {
				v := float64(10*(m+1)) + bump*float64(m%2)
				in.Rows = append(in.Rows, hin.ReturnRow{MetricCode: code, PeriodStart: &start, PeriodEnd: &end, Value: &v})
			}
		}
		return in
	}
	res, err := f.s.SubmitReturnCSV(f.ctx, build(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != 24 || res.Created != 24 {
		t.Fatalf("first return: %d outcomes, %d created", len(res.Outcomes), res.Created)
	}
	for i, o := range res.Outcomes {
		if !o.PeriodStart.Equal(date("2024-04-01").AddDate(0, i/2, 0)) {
			t.Fatalf("outcome %d is for %s: not in row order", i, o.PeriodStart)
		}
	}
	f.checkFigure(t, "a year in one return", false, 780)
	again, err := f.s.SubmitReturnCSV(f.ctx, build(0), nil)
	if err != nil || again.Unchanged != 24 || again.Created+again.Restated != 0 {
		t.Fatalf("resent: %+v %v", again, err)
	}
	for i := range res.Outcomes {
		if again.Outcomes[i].ID != res.Outcomes[i].ID {
			t.Fatalf("resent row %d answered with another outcome", i)
		}
	}
	fixed, err := f.s.SubmitReturnCSV(f.ctx, build(1), nil)
	if err != nil || fixed.Restated != 12 || fixed.Unchanged != 12 {
		t.Fatalf("corrected: %+v %v", fixed, err)
	}
	f.checkFigure(t, "half the months corrected", false, 780+6)
	// a return whose rows have no period and the return none either
	_, err = f.s.SubmitReturn(f.ctx, hin.ReturnInput{RegionCode: returnsRegion, Rows: []hin.ReturnRow{{MetricCode: patientsCode, Value: ptr(1.0)}}}, nil)
	if hin.ErrorCode(err) != hin.EINVALID || !strings.Contains(err.Error(), "periodStart") {
		t.Fatalf("no period: %v", err)
	}
}

// TestConcurrentSameKey sends one key from many connections at once: each
// restates the last, and exactly one outcome stays current.
func TestConcurrentSameKey(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	f.db.SetMaxOpenConns(12)
	const writers = 10
	for _, st := range []hin.OutcomeStatus{hin.OutcomeDraft, hin.OutcomePublished} {
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Go(func() {
				in := outcomeIn(patientsCode, "2024-06-01", "2024-06-30", float64(100+w), st)
				in.Reason = ptr(fmt.Sprintf("writer %d", w))
				if w%2 == 0 {
					_, err := f.s.RecordOutcome(f.ctx, in, nil)
					errs <- err
					return
				}
				_, err := f.s.SubmitReturn(f.ctx, hin.ReturnInput{RegionCode: returnsRegion, PeriodStart: &in.PeriodStart, PeriodEnd: &in.PeriodEnd,
					Status: &st, Reason: in.Reason, Rows: []hin.ReturnRow{{MetricCode: patientsCode, Value: in.Value}}}, nil)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			if err != nil {
				t.Errorf("%s: %v", st, err)
				continue
			}
			ok++
		}
		if n := f.count(t, `SELECT count(*) FROM outcome WHERE status = $1`, string(st)); n != 1 {
			t.Errorf("%s: %d current outcomes of one key, want 1", st, n)
		}
		// every write but the first replaced one state
		if n := f.count(t, `SELECT count(*) FROM outcome_history WHERE status = $1 AND change = 'RESTATED'`, string(st)); n != ok-1 {
			t.Errorf("%s: %d restated states, want %d", st, n, ok-1)
		}
	}
	var v float64
	if err := f.db.QueryRow(`SELECT value FROM outcome WHERE status = 'PUBLISHED'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	f.checkFigure(t, "after the race", false, v)
	checkRollups(t, f.db)
}

// TestMigrationKeepsTheLatestOfDuplicates rolls the schema back to before
// migration 00006, writes duplicates as the old API allowed, and migrates
// again.
func TestMigrationKeepsTheLatestOfDuplicates(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	if err := store.MigrateDownTo(f.ctx, f.db, 5); err != nil {
		t.Fatal(err)
	}
	var metric, region string
	if err := f.db.QueryRow(`SELECT m.id, r.id FROM metric m, region r WHERE m.code = $1 AND r.code = $2`, patientsCode, returnsRegion).Scan(&metric, &region); err != nil {
		t.Fatal(err)
	}
	ins := func(start, end string, v float64, status string, created string) {
		t.Helper()
		_, err := f.db.Exec(`INSERT INTO outcome (id, metric_id, region_id, period_start, period_end, value, status, created_at, published_at)
			VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, CASE WHEN $6 = 'PUBLISHED' THEN $7::timestamptz END)`,
			metric, region, start, end, v, status, created)
		if err != nil {
			t.Fatal(err)
		}
	}
	// April sent three times (100, 100 again, then 320), May once, a draft twice
	ins("2024-04-01", "2024-04-30", 100, "PUBLISHED", "2024-05-02T09:00:00Z")
	ins("2024-04-01", "2024-04-30", 100, "PUBLISHED", "2024-05-03T09:00:00Z")
	ins("2024-04-01", "2024-04-30", 320, "PUBLISHED", "2024-05-04T09:00:00Z")
	ins("2024-05-01", "2024-05-31", 70, "PUBLISHED", "2024-06-02T09:00:00Z")
	ins("2024-06-01", "2024-06-30", 5, "DRAFT", "2024-07-02T09:00:00Z")
	ins("2024-06-01", "2024-06-30", 6, "DRAFT", "2024-07-03T09:00:00Z")
	if v, _ := f.figure(t, patientsCode, "2024-04-01", "2025-03-31", false, nil); v != 590 {
		t.Fatalf("before the migration the year counts duplicates: %v, want 590", v)
	}
	if err := store.Migrate(f.ctx, f.db); err != nil {
		t.Fatal(err)
	}
	f.checkFigure(t, "migrated", false, 390)
	f.checkFigure(t, "migrated", true, 396)
	if n := f.count(t, `SELECT count(*) FROM outcome_history WHERE change = 'MIGRATED'`); n != 3 {
		t.Errorf("%d states moved to the history, want 3", n)
	}
	// as of 3 May 12:00 the second April return was current: 100 + nothing else
	at := time.Date(2024, 5, 3, 12, 0, 0, 0, time.UTC)
	if v, n := f.figure(t, patientsCode, "2024-04-01", "2025-03-31", false, &at); v != 100 || n != 1 {
		t.Errorf("as of 3 May: %v from %d outcomes, want 100 from 1", v, n)
	}
	// and the index now refuses a second current outcome of a key
	_, err := f.db.Exec(`INSERT INTO outcome (id, metric_id, region_id, period_start, period_end, value, status)
		VALUES (gen_random_uuid(), $1, $2, '2024-05-01', '2024-05-31', 1, 'PUBLISHED')`, metric, region)
	if hin.ErrorCode(store.MapError(err)) != hin.ECONFLICT {
		t.Errorf("a duplicate after the migration: %v", err)
	}
}

// TestCSVReturnOfTenThousandRows loads a 10,000-row CSV with bad lines
// (refused whole, each bad line named), then the corrected file, then the
// same file again (nothing changes).
func TestCSVReturnOfTenThousandRows(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	var codes []string
	for c, m := range f.metrics {
		if m.Kind == hin.MetricCount {
			codes = append(codes, c)
		}
	}
	if len(codes) < 2 {
		t.Fatal("need count metrics")
	}
	var prog []string
	rows, err := f.db.Query(`SELECT id FROM programme ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		prog = append(prog, hin.GlobalID(hin.KindProgramme, id))
	}
	_ = rows.Close()
	// rows as a region's data team would send them: four financial years of
	// months for every count metric, overall and per programme, until 10,000
	build := func(bad bool) (string, map[int]bool) {
		var b strings.Builder
		b.WriteString("\ufeffMetric_Code,period_start,period_end,value,programme_id,status\n")
		badLines := map[int]bool{}
		n := 0
		for _, code := range codes {
			for p := -1; p < len(prog); p++ {
				for m := 0; m < 48 && n < 10000; m++ {
					start := date("2021-04-01").AddDate(0, m, 0)
					pid := ""
					if p >= 0 {
						pid = prog[p]
					}
					value := fmt.Sprint(m + 1)
					line := n + 2
					if bad && n%2500 == 7 {
						value = "twelve"
						badLines[line] = true
					}
					fmt.Fprintf(&b, "%s,%s,%s,%s,%s,PUBLISHED\n", strings.ToUpper(code), start.Format(time.DateOnly), start.AddDate(0, 1, -1).Format(time.DateOnly), value, pid)
					n++
				}
			}
		}
		if n < 10000 {
			t.Fatalf("only %d rows could be built", n)
		}
		return b.String(), badLines
	}
	load := func(csv string) (store.ReturnResult, error) {
		in := hin.ReturnInput{RegionCode: returnsRegion}
		lines, err := hin.ReadReturnCSV(strings.NewReader(csv), &in, hin.MaxCSVReturnRows)
		if err != nil {
			return store.ReturnResult{}, err
		}
		res, err := f.s.SubmitReturnCSV(f.ctx, in, nil)
		return res, hin.WithLines(err, lines)
	}
	badCSV, badLines := build(true)
	_, err = load(badCSV)
	var he *hin.Error
	if !asError(err, &he) || len(he.Problems) != len(badLines) {
		t.Fatalf("bad lines: %v", err)
	}
	for _, p := range he.Problems {
		if p.Line == nil || !badLines[*p.Line] || p.Field != "value" {
			t.Errorf("problem %+v does not name a bad line", p)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM outcome`); n != 0 {
		t.Fatalf("a refused upload wrote %d outcomes", n)
	}
	good, _ := build(false)
	start := time.Now()
	res, err := load(good)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("10,000-row CSV return loaded in %v", time.Since(start))
	if res.Created != 10000 {
		t.Fatalf("created %d", res.Created)
	}
	start = time.Now()
	res, err = load(good)
	if err != nil || res.Unchanged != 10000 {
		t.Fatalf("the same upload again: %+v %v", res.Created, err)
	}
	t.Logf("the same 10,000 rows again (no change) in %v", time.Since(start))
	checkRollups(t, f.db)
}
