package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// collectionFixture is a database with one monthly collection of a count
// and a rate, and March 2025 open with its deadline ahead.
type collectionFixture struct {
	*returnsFixture
	coll    hin.Collection
	period  hin.CollectionPeriod
	regions map[string]hin.Region
}

const (
	countCode = "staff_trained"
	rateCode  = "mgso4_uptake"
)

var (
	editorEM    = hin.Principal{Subject: "edna", Role: hin.RoleRegionEditor}
	approverEM  = hin.Principal{Subject: "abel", Role: hin.RoleRegionApprover}
	approver2EM = hin.Principal{Subject: "edna", Role: hin.RoleRegionApprover} // the same person as editorEM
	editorWM    = hin.Principal{Subject: "wes", Role: hin.RoleRegionEditor}
	approverWM  = hin.Principal{Subject: "wanda", Role: hin.RoleRegionApprover}
)

func newCollectionFixture(t *testing.T) *collectionFixture {
	t.Helper()
	f := &collectionFixture{returnsFixture: newReturnsFixture(t), regions: map[string]hin.Region{}}
	rs, err := f.s.Regions(f.ctx, hin.RegionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		f.regions[r.Code] = r
	}
	f.coll, err = f.s.CreateCollection(f.ctx, hin.CollectionInput{Code: "PSC-MONTHLY", Name: "Monthly patient safety return", Cadence: hin.CadenceMonthly,
		Metrics:    []hin.CollectionMetricInput{{MetricCode: countCode}, {MetricCode: rateCode}},
		Exemptions: []hin.ExemptionInput{{RegionCode: "UCLP", Reason: "reports through the London return"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline, closes := time.Now().AddDate(0, 1, 0), time.Now().AddDate(0, 2, 0)
	f.period, err = f.s.OpenCollectionPeriod(f.ctx, f.coll.GlobalID(), date("2025-03-01"), &deadline, &closes)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *collectionFixture) as(p hin.Principal, region string) context.Context {
	if p.Role.Regional() {
		p.RegionID = f.regions[region].ID
	}
	return hin.WithPrincipal(context.Background(), p)
}

func (f *collectionFixture) subID(region string) string {
	return hin.GlobalID(hin.KindCollectionSubmission, hin.SubmissionID(f.period.ID, f.regions[region].ID))
}

func (f *collectionFixture) submission(t *testing.T, region string) hin.CollectionSubmission {
	t.Helper()
	id := hin.SubmissionID(f.period.ID, f.regions[region].ID)
	subs, err := f.s.SubmissionsByID(f.ctx, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	return subs[id]
}

func (f *collectionFixture) draft(t *testing.T, ctx context.Context, region string, rows ...hin.ReturnRow) {
	t.Helper()
	start, end := date("2025-03-01"), date("2025-03-31")
	if _, err := f.s.SubmitReturn(ctx, hin.ReturnInput{RegionCode: region, PeriodStart: &start, PeriodEnd: &end, Rows: rows}, nil); err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := hin.ErrorCode(err); got != code {
		t.Fatalf("%s: got %q (%v), want %s", what, got, err, code)
	}
}

func TestSubmissionIDMatchesTheDatabase(t *testing.T) {
	t.Parallel()
	f := newReturnsFixture(t)
	var got string
	p, r := "6f1c0b55-9d0e-4a43-8d7e-0a0b2c3d4e5f", "00000000-0000-0000-0000-0000000000a1"
	if err := f.db.QueryRow(`SELECT submission_id($1, $2)::text`, p, r).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := hin.SubmissionID(p, r); got != want {
		t.Fatalf("SQL %s, Go %s", got, want)
	}
}

// The whole round: drafts, a refused direct publish, a refused submit, a
// submit, refusals while submitted (a frozen figure, the wrong people), an
// approval by another person, after which the national figure counts the
// figures, then a restatement through approval again, with history and
// as-of answering as before.
func TestCollectionRound(t *testing.T) {
	t.Parallel()
	f := newCollectionFixture(t)
	ed, apr, self := f.as(editorEM, "HI-EM"), f.as(approverEM, "HI-EM"), f.as(approver2EM, "HI-EM")
	if s := f.submission(t, "HI-EM"); s.State != hin.SubmissionNotStarted || s.Late {
		t.Fatalf("before anything: %+v", s)
	}
	if s := f.submission(t, "UCLP"); s.State != hin.SubmissionExempt || s.ExemptReason == nil {
		t.Fatalf("exempt region: %+v", s)
	}

	// publishing a collected figure directly is refused, for editors and admins alike
	v := 40.0
	pub := hin.OutcomePublished
	for _, ctx := range []context.Context{ed, f.ctx} {
		_, err := f.s.RecordOutcome(ctx, hin.OutcomeInput{MetricCode: countCode, RegionCode: "HI-EM", PeriodStart: date("2025-03-01"),
			PeriodEnd: date("2025-03-31"), Value: &v, Status: &pub}, nil)
		wantCode(t, "direct publish", err, hin.ECONTROLLED)
	}
	// a figure overlapping the period is controlled too
	_, err := f.s.RecordOutcome(ed, hin.OutcomeInput{MetricCode: countCode, RegionCode: "HI-EM", PeriodStart: date("2025-02-15"),
		PeriodEnd: date("2025-03-14"), Value: &v, Status: &pub}, nil)
	wantCode(t, "publishing an overlapping period", err, hin.ECONTROLLED)
	// the exempt region, another metric, another period: as before
	for _, in := range []hin.OutcomeInput{
		{MetricCode: countCode, RegionCode: "UCLP", PeriodStart: date("2025-03-01"), PeriodEnd: date("2025-03-31"), Value: &v, Status: &pub},
		{MetricCode: patientsCode, RegionCode: "HI-EM", PeriodStart: date("2025-03-01"), PeriodEnd: date("2025-03-31"), Value: &v, Status: &pub},
		{MetricCode: countCode, RegionCode: "HI-EM", PeriodStart: date("2025-02-01"), PeriodEnd: date("2025-02-28"), Value: &v, Status: &pub},
	} {
		if _, err := f.s.RecordOutcome(f.ctx, in, nil); err != nil {
			t.Fatalf("%s %s %s: %v", in.MetricCode, in.RegionCode, in.PeriodStart.Format(time.DateOnly), err)
		}
	}

	f.draft(t, ed, "HI-EM", hin.ReturnRow{MetricCode: countCode, Value: ptr(42.0)})
	if s := f.submission(t, "HI-EM"); s.State != hin.SubmissionDraft {
		t.Fatalf("after a draft: %s", s.State)
	}
	// the rate is missing: a hard error
	_, err = f.s.SubmitForApproval(ed, f.subID("HI-EM"), hin.SubmissionNotes{}, false)
	wantCode(t, "submitting with a missing figure", err, hin.ESUBMISSIONPROBLEMS)
	if !strings.Contains(err.Error(), rateCode) {
		t.Errorf("the problem names the metric: %v", err)
	}
	// another region's editor cannot submit it
	_, err = f.s.SubmitForApproval(f.as(editorWM, "HI-WM"), f.subID("HI-EM"), hin.SubmissionNotes{}, false)
	wantCode(t, "another region's editor submitting", err, hin.EFORBIDDEN)

	f.draft(t, ed, "HI-EM", hin.ReturnRow{MetricCode: rateCode, Numerator: ptr(30.0), Denominator: ptr(40.0)})
	res, err := f.s.SubmitForApproval(ed, f.subID("HI-EM"), hin.SubmissionNotes{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Submission.State != hin.SubmissionSubmitted || *res.Submission.SubmittedBy != "edna" {
		t.Fatalf("submitted: %+v", res.Submission)
	}
	// frozen: no change to its figures, not even a draft
	_, err = f.s.SubmitReturn(ed, hin.ReturnInput{RegionCode: "HI-EM", PeriodStart: ptr(date("2025-03-01")), PeriodEnd: ptr(date("2025-03-31")),
		Rows: []hin.ReturnRow{{MetricCode: countCode, Value: ptr(43.0)}}}, nil)
	wantCode(t, "changing a submitted figure", err, hin.EFROZEN)

	// submitted but not approved: the national figure does not count it
	if sum, n := f.figure(t, countCode, "2025-03-01", "2025-03-31", false, nil); sum != 40 || n != 1 {
		t.Fatalf("national figure while submitted: %v from %d outcomes (want the exempt region's 40 only)", sum, n)
	}
	version := res.Submission.Version
	for _, c := range []struct {
		name string
		ctx  context.Context
		code string
	}{
		{"the submitter, as approver", self, hin.EFOUREYES},
		{"an editor", f.as(hin.Principal{Subject: "erin", Role: hin.RoleRegionEditor}, "HI-EM"), hin.EFORBIDDEN},
		{"another region's approver", f.as(approverWM, "HI-WM"), hin.EFORBIDDEN},
		{"an analyst", hin.WithPrincipal(context.Background(), hin.Principal{Subject: "ann", Role: hin.RoleAnalyst}), hin.EFORBIDDEN},
	} {
		_, err := f.s.ApproveSubmission(c.ctx, f.subID("HI-EM"), version)
		wantCode(t, "approval by "+c.name, err, c.code)
	}
	_, err = f.s.ApproveSubmission(apr, f.subID("HI-EM"), version-1)
	wantCode(t, "approval of a stale version", err, hin.ECONFLICT)
	before := time.Now()
	approved, err := f.s.ApproveSubmission(apr, f.subID("HI-EM"), version)
	if err != nil {
		t.Fatal(err)
	}
	if approved.State != hin.SubmissionApproved || *approved.ApprovedBy != "abel" {
		t.Fatalf("approved: %+v", approved)
	}
	if sum, n := f.figure(t, countCode, "2025-03-01", "2025-03-31", false, nil); sum != 82 || n != 2 {
		t.Fatalf("national figure after approval: %v from %d, want 82 from 2", sum, n)
	}
	_, err = f.s.ApproveSubmission(apr, f.subID("HI-EM"), approved.Version)
	wantCode(t, "approving twice", err, hin.ETRANSITION)

	// approved data is frozen until reopened
	_, err = f.s.SubmitReturn(ed, hin.ReturnInput{RegionCode: "HI-EM", PeriodStart: ptr(date("2025-03-01")), PeriodEnd: ptr(date("2025-03-31")),
		Rows: []hin.ReturnRow{{MetricCode: countCode, Value: ptr(45.0)}}}, nil)
	wantCode(t, "a draft over approved figures", err, hin.EFROZEN)
	var published []hin.Outcome
	pages, err := f.s.Outcomes(f.ctx, store.ListIn{Page: hin.PageArgs{First: 10}}, hin.OutcomeFilter{RegionCodes: []string{"HI-EM"}, MetricCodes: []string{countCode},
		Statuses: []hin.OutcomeStatus{hin.OutcomePublished}, Period: &hin.DateRange{From: ptr(date("2025-03-01")), To: ptr(date("2025-03-31"))}})
	if err != nil {
		t.Fatal(err)
	}
	published = pages[""].Items
	if len(published) != 1 {
		t.Fatalf("published March figures: %d", len(published))
	}
	_, err = f.s.WithdrawOutcome(ed, published[0].GlobalID(), published[0].Version, "entered twice")
	wantCode(t, "withdrawing an approved figure", err, hin.EFROZEN)
	_, err = f.s.ReopenSubmission(ed, f.subID("HI-EM"), approved.Version, "")
	wantCode(t, "reopening without a reason", err, hin.EINVALID)
	reopened, err := f.s.ReopenSubmission(ed, f.subID("HI-EM"), approved.Version, "the trust resent its training log")
	if err != nil {
		t.Fatal(err)
	}
	if reopened.State != hin.SubmissionDraft || !reopened.Restatement {
		t.Fatalf("reopened: %+v", reopened)
	}
	f.draft(t, ed, "HI-EM", hin.ReturnRow{MetricCode: countCode, Value: ptr(45.0)})
	if sum, _ := f.figure(t, countCode, "2025-03-01", "2025-03-31", false, nil); sum != 82 {
		t.Fatalf("the approved figure counts until the restatement is approved: %v", sum)
	}
	res, err = f.s.SubmitForApproval(ed, f.subID("HI-EM"), hin.SubmissionNotes{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ApproveSubmission(self, f.subID("HI-EM"), res.Submission.Version); hin.ErrorCode(err) != hin.EFOUREYES {
		t.Fatalf("the restatement's submitter approving: %v", err)
	}
	if _, err := f.s.ApproveSubmission(apr, f.subID("HI-EM"), res.Submission.Version); err != nil {
		t.Fatal(err)
	}
	if sum, _ := f.figure(t, countCode, "2025-03-01", "2025-03-31", false, nil); sum != 85 {
		t.Fatalf("after the restatement: %v, want 85", sum)
	}
	if sum, _ := f.figure(t, countCode, "2025-03-01", "2025-03-31", false, &before); sum != 40 {
		t.Fatalf("as of before the first approval: %v, want 40", sum)
	}
	hist, err := f.s.OutcomeHistory(f.ctx, []string{published[0].ID}, 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, h := range hist[published[0].ID] {
		found = found || h.Status == hin.OutcomePublished && *h.Value == 42 && h.Reason != nil && *h.Reason == "the trust resent its training log"
	}
	if !found {
		t.Errorf("the history keeps the approved 42 with the restatement's reason: %+v", hist[published[0].ID])
	}
	// every step is in the audit trail
	page, err := f.s.AuditTrail(f.ctx, store.ListIn{Page: hin.PageArgs{First: 50}, Order: hin.Order{Field: "AT", Direction: hin.Asc}},
		hin.AuditFilter{EntityIDs: []string{f.subID("HI-EM")}})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range page[""].Items {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "SUBMIT_FOR_APPROVAL APPROVE_SUBMISSION REOPEN_SUBMISSION SUBMIT_FOR_APPROVAL APPROVE_SUBMISSION" {
		t.Errorf("audit: %s", got)
	}
}

// Warnings need an explanation; a returned submission can be edited and
// submitted again.
func TestCollectionWarningsAndReturn(t *testing.T) {
	t.Parallel()
	f := newCollectionFixture(t)
	ed, apr := f.as(editorEM, "HI-EM"), f.as(approverEM, "HI-EM")
	// a year of published history before the collection began
	for m := 1; m <= 12; m++ {
		start := date("2024-03-01").AddDate(0, m-1, 0)
		end := start.AddDate(0, 1, -1)
		pub := hin.OutcomePublished
		if _, err := f.s.SubmitReturn(f.ctx, hin.ReturnInput{RegionCode: "HI-EM", PeriodStart: &start, PeriodEnd: &end, Status: &pub,
			Rows: []hin.ReturnRow{{MetricCode: countCode, Value: ptr(100.0 + float64(m))}, {MetricCode: rateCode, Numerator: ptr(50.0), Denominator: ptr(100.0)}}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	f.draft(t, ed, "HI-EM", hin.ReturnRow{MetricCode: countCode, Value: ptr(1000.0)}, hin.ReturnRow{MetricCode: rateCode, Numerator: ptr(10.0), Denominator: ptr(400.0)})
	checks, err := f.s.SubmissionChecks(ed, []hin.CollectionSubmission{f.submission(t, "HI-EM")})
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]hin.SubmissionProblem{}
	for _, p := range checks[hin.SubmissionID(f.period.ID, f.regions["HI-EM"].ID)] {
		rules[string(p.Rule)+"/"+p.MetricCode] = p
	}
	if p, ok := rules["MEDIAN_FACTOR/"+countCode]; !ok || p.History != 12 || *p.Value != 1000 || *p.Reference != 106.5 {
		t.Fatalf("median warning: %+v (all %v)", p, rules)
	}
	if p, ok := rules["MEDIAN_FACTOR/"+rateCode]; !ok || *p.Value != 0.025 || *p.Reference != 0.5 {
		t.Fatalf("rate median warning: %+v", p)
	}
	if p, ok := rules["DENOMINATOR_FACTOR/"+rateCode]; !ok || *p.Reference != 100 || *p.Value != 400 || len(rules) != 3 {
		t.Fatalf("denominator warning: %+v (all %v)", p, rules)
	}
	_, err = f.s.SubmitForApproval(ed, f.subID("HI-EM"), hin.SubmissionNotes{}, false)
	wantCode(t, "unexplained warnings", err, hin.ESUBMISSIONPROBLEMS)
	_, err = f.s.SubmitForApproval(ed, f.subID("HI-EM"), hin.SubmissionNotes{Explanations: []hin.ExplanationInput{{Key: "MEDIAN_FACTOR:nothing", Explanation: "a typo"}}}, false)
	wantCode(t, "explaining a warning that is not there", err, hin.EINVALID)
	var explain []hin.ExplanationInput
	for _, p := range rules {
		if p.Severity == hin.SeverityWarning {
			explain = append(explain, hin.ExplanationInput{Key: p.Key, Explanation: "a national training week; the maternity unit merged"})
		}
	}
	res, err := f.s.SubmitForApproval(ed, f.subID("HI-EM"), hin.SubmissionNotes{Explanations: explain}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		if p.Blocking() {
			t.Errorf("still blocking: %+v", p)
		}
	}
	_, err = f.s.ReturnSubmission(apr, f.subID("HI-EM"), res.Submission.Version, "")
	wantCode(t, "returning without a comment", err, hin.EINVALID)
	ret, err := f.s.ReturnSubmission(apr, f.subID("HI-EM"), res.Submission.Version, "1000 staff trained looks like a typo for 100")
	if err != nil {
		t.Fatal(err)
	}
	if ret.State != hin.SubmissionReturned || *ret.ReturnComment == "" {
		t.Fatalf("returned: %+v", ret)
	}
	f.draft(t, ed, "HI-EM", hin.ReturnRow{MetricCode: countCode, Value: ptr(110.0)})
	res, err = f.s.SubmitForApproval(ed, f.subID("HI-EM"), hin.SubmissionNotes{}, false)
	if err != nil {
		t.Fatalf("resubmitting a corrected return (the denominator's explanation stands): %v", err)
	}
	if res.Submission.State != hin.SubmissionSubmitted {
		t.Fatalf("resubmitted: %s", res.Submission.State)
	}
}

// A metric marked not available completes a submission; the tracker counts
// what it received and who is late.
func TestCollectionNotAvailableAndTracker(t *testing.T) {
	t.Parallel()
	f := newCollectionFixture(t)
	ed := f.as(editorEM, "HI-EM")
	f.draft(t, ed, "HI-EM", hin.ReturnRow{MetricCode: countCode, Value: ptr(7.0)})
	_, err := f.s.SubmitForApproval(ed, f.subID("HI-EM"), hin.SubmissionNotes{NotAvailable: []hin.NotAvailableInput{{MetricCode: rateCode, Reason: "no"}}}, true)
	wantCode(t, "a reason too short", err, hin.EINVALID)
	if _, err := f.s.SubmitForApproval(ed, f.subID("HI-EM"), hin.SubmissionNotes{NotAvailable: []hin.NotAvailableInput{
		{MetricCode: rateCode, Reason: "the maternity system was replaced in March"}}}, true); err != nil {
		t.Fatal(err)
	}
	// an old period, past its deadline, for lateness
	old, err := f.s.OpenCollectionPeriod(f.ctx, f.coll.GlobalID(), date("2024-01-01"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	trs, err := f.s.Trackers(hin.WithPrincipal(context.Background(), hin.Principal{}), []string{f.period.ID, old.ID})
	if err != nil {
		t.Fatal(err)
	}
	cur := trs[f.period.ID]
	if cur.ExpectedCount != 14 || cur.ReceivedCount != 1 || cur.LateCount != 0 || len(cur.Submissions) != 15 {
		t.Fatalf("current tracker: %s, late %d, %d rows", cur.Summary(), cur.LateCount, len(cur.Submissions))
	}
	for _, s := range cur.Submissions {
		if s.RegionCode == "HI-EM" && (s.SubmittedAt == nil || s.SubmittedBy != nil) {
			t.Errorf("anonymous sees the time, not the name: %+v", s)
		}
	}
	if o := trs[old.ID]; o.LateCount != 14 || o.ReceivedCount != 0 {
		t.Fatalf("old period: %s, late %d", o.Summary(), o.LateCount)
	}
}

// A submission's change of state is announced to a listener on its own
// connection, after commit, naming the period, region and state.
func TestSubmissionChangesAreAnnounced(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := store.Open(ctx, store.Config{URL: testdb.URL(t, testdb.Reference)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := make(chan hin.SubmissionChange, 10)
	if err := s.ListenSubmissionChanges(ctx, nil, func(c hin.SubmissionChange) { got <- c }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the LISTEN is in place
	admin := hin.WithPrincipal(ctx, returnsAdmin)
	coll, err := s.CreateCollection(admin, hin.CollectionInput{Code: "TEST", Name: "Test", Cadence: hin.CadenceMonthly,
		Metrics: []hin.CollectionMetricInput{{MetricCode: countCode}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.OpenCollectionPeriod(admin, coll.GlobalID(), date("2025-03-01"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	em, err := s.RegionByCode(ctx, "HI-EM")
	if err != nil {
		t.Fatal(err)
	}
	id := hin.GlobalID(hin.KindCollectionSubmission, hin.SubmissionID(p.ID, em.ID))
	if _, err := s.SubmitForApproval(admin, id, hin.SubmissionNotes{NotAvailable: []hin.NotAvailableInput{{MetricCode: countCode, Reason: "not counted in March"}}}, true); err != nil {
		t.Fatal(err)
	}
	var last hin.SubmissionChange
	for timeout := time.After(2 * time.Second); last.State != hin.SubmissionSubmitted; {
		select {
		case last = <-got:
			if last.PeriodID != p.ID || last.RegionID != em.ID {
				t.Fatalf("change: %+v", last)
			}
		case <-timeout:
			t.Fatalf("no SUBMITTED change; last %+v", last)
		}
	}
}
