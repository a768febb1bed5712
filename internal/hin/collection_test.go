package hin_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Every state and action, taken by a caller allowed to act on the region
// (an approver who did not submit): the state reached, or the code of the
// refusal.
func TestTransitionsByState(t *testing.T) {
	t.Parallel()
	const (
		ns, dr, su = hin.SubmissionNotStarted, hin.SubmissionDraft, hin.SubmissionSubmitted
		re, ap, ex = hin.SubmissionReturned, hin.SubmissionApproved, hin.SubmissionExempt
	)
	approver := hin.Principal{Subject: "approver", Role: hin.RoleRegionApprover, RegionID: "r1"}
	cases := []struct {
		from   hin.SubmissionState
		action hin.SubmissionAction
		to     hin.SubmissionState
		code   string
	}{
		{ns, hin.ActionSubmit, su, ""},
		{ns, hin.ActionApprove, "", hin.ETRANSITION},
		{ns, hin.ActionReturn, "", hin.ETRANSITION},
		{ns, hin.ActionReopen, "", hin.ETRANSITION},
		{dr, hin.ActionSubmit, su, ""},
		{dr, hin.ActionApprove, "", hin.ETRANSITION},
		{dr, hin.ActionReturn, "", hin.ETRANSITION},
		{dr, hin.ActionReopen, "", hin.ETRANSITION},
		{su, hin.ActionSubmit, "", hin.ETRANSITION},
		{su, hin.ActionApprove, ap, ""},
		{su, hin.ActionReturn, re, ""},
		{su, hin.ActionReopen, "", hin.ETRANSITION},
		{re, hin.ActionSubmit, su, ""},
		{re, hin.ActionApprove, "", hin.ETRANSITION},
		{re, hin.ActionReturn, "", hin.ETRANSITION},
		{re, hin.ActionReopen, "", hin.ETRANSITION},
		{ap, hin.ActionSubmit, "", hin.ETRANSITION},
		{ap, hin.ActionApprove, "", hin.ETRANSITION},
		{ap, hin.ActionReturn, "", hin.ETRANSITION},
		{ap, hin.ActionReopen, dr, ""},
		{ex, hin.ActionSubmit, "", hin.ETRANSITION},
		{ex, hin.ActionApprove, "", hin.ETRANSITION},
		{ex, hin.ActionReturn, "", hin.ETRANSITION},
		{ex, hin.ActionReopen, "", hin.ETRANSITION},
	}
	if len(cases) != len(hin.SubmissionStates)*len(hin.SubmissionActions) {
		t.Fatalf("%d cases for %d states and %d actions: a state or action has no row", len(cases), len(hin.SubmissionStates), len(hin.SubmissionActions))
	}
	for _, c := range cases {
		f := hin.SubmissionFacts{State: c.from, RegionID: "r1", SubmittedBy: "editor"}
		to, err := hin.Transition(f, c.action, approver)
		if hin.ErrorCode(err) != c.code || to != c.to {
			t.Errorf("%s from %s: got %q, %v; want %q, code %q", c.action, c.from, to, err, c.to, c.code)
		}
	}
}

// Every kind of caller on each action from the state it starts from.
func TestTransitionsByCaller(t *testing.T) {
	t.Parallel()
	const sub = "alice" // who submitted
	from := map[hin.SubmissionAction]hin.SubmissionState{
		hin.ActionSubmit: hin.SubmissionDraft, hin.ActionApprove: hin.SubmissionSubmitted,
		hin.ActionReturn: hin.SubmissionSubmitted, hin.ActionReopen: hin.SubmissionApproved,
	}
	F, U, E := hin.EFORBIDDEN, hin.EUNAUTHORIZED, hin.EFOUREYES
	cases := []struct {
		name                            string
		p                               hin.Principal
		submit, approve, return_, reopn string
	}{
		{"anonymous", hin.Principal{}, U, U, U, U},
		{"analyst", hin.Principal{Subject: "ann", Role: hin.RoleAnalyst}, F, F, F, F},
		{"editor of the region", hin.Principal{Subject: "bob", Role: hin.RoleRegionEditor, RegionID: "r1"}, "", F, F, ""},
		{"editor who submitted", hin.Principal{Subject: sub, Role: hin.RoleRegionEditor, RegionID: "r1"}, "", F, F, ""},
		{"editor of another region", hin.Principal{Subject: "carl", Role: hin.RoleRegionEditor, RegionID: "r2"}, F, F, F, F},
		{"approver of the region", hin.Principal{Subject: "dee", Role: hin.RoleRegionApprover, RegionID: "r1"}, "", "", "", ""},
		{"approver who submitted", hin.Principal{Subject: sub, Role: hin.RoleRegionApprover, RegionID: "r1"}, "", E, E, ""},
		{"approver of another region", hin.Principal{Subject: "eve", Role: hin.RoleRegionApprover, RegionID: "r2"}, F, F, F, F},
		{"national admin", hin.Principal{Subject: "fay", Role: hin.RoleNationalAdmin}, "", "", "", ""},
		{"national admin who submitted", hin.Principal{Subject: sub, Role: hin.RoleNationalAdmin}, "", E, E, ""},
	}
	for _, c := range cases {
		for a, want := range map[hin.SubmissionAction]string{hin.ActionSubmit: c.submit, hin.ActionApprove: c.approve, hin.ActionReturn: c.return_, hin.ActionReopen: c.reopn} {
			f := hin.SubmissionFacts{State: from[a], RegionID: "r1", SubmittedBy: sub}
			_, err := hin.Transition(f, a, c.p)
			if got := hin.ErrorCode(err); got != want {
				t.Errorf("%s, %s from %s: code %q (%v), want %q", c.name, a, from[a], got, err, want)
			}
		}
		allowed := hin.AllowedActions(hin.SubmissionFacts{State: hin.SubmissionSubmitted, RegionID: "r1", SubmittedBy: sub}, c.p)
		if c.approve == "" && len(allowed) != 2 || c.approve != "" && len(allowed) != 0 {
			t.Errorf("%s: allowed on a submitted submission %v", c.name, allowed)
		}
	}
}

func TestClosedPeriodRefusesFirstSubmissionsOfRegions(t *testing.T) {
	t.Parallel()
	editor := hin.Principal{Subject: "bob", Role: hin.RoleRegionEditor, RegionID: "r1"}
	admin := hin.Principal{Subject: "fay", Role: hin.RoleNationalAdmin}
	closed := hin.SubmissionFacts{State: hin.SubmissionDraft, RegionID: "r1", Closed: true}
	if _, err := hin.Transition(closed, hin.ActionSubmit, editor); hin.ErrorCode(err) != hin.EPERIODCLOSED {
		t.Errorf("editor after close: %v, want PERIOD_CLOSED", err)
	}
	if _, err := hin.Transition(closed, hin.ActionSubmit, admin); err != nil {
		t.Errorf("admin after close: %v", err)
	}
	closed.Restatement = true
	if _, err := hin.Transition(closed, hin.ActionSubmit, editor); err != nil {
		t.Errorf("a restatement after close: %v", err)
	}
}

func TestOpenPeriod(t *testing.T) {
	t.Parallel()
	monthly := hin.Collection{Cadence: hin.CadenceMonthly, DeadlineDays: 15, CloseDays: 30}
	end, due, closes, err := hin.OpenPeriod(monthly, day("2025-02-01"), nil, nil)
	if err != nil || end != day("2025-02-28") || due != day("2025-03-15") || closes != day("2025-03-30") {
		t.Errorf("February: %v %v %v %v", end, due, closes, err)
	}
	quarterly := hin.Collection{Cadence: hin.CadenceQuarterly, DeadlineDays: 20, CloseDays: 40}
	if end, _, _, err := hin.OpenPeriod(quarterly, day("2025-01-01"), nil, nil); err != nil || end != day("2025-03-31") {
		t.Errorf("Q4: %v %v", end, err)
	}
	bad := []struct {
		c        hin.Collection
		start    string
		due, cls *time.Time
		field    string
	}{
		{monthly, "2025-02-02", nil, nil, "periodStart"},
		{quarterly, "2025-02-01", nil, nil, "periodStart"},
		{monthly, "2025-02-01", ptr(day("2025-02-28")), nil, "deadline"},
		{monthly, "2025-02-01", ptr(day("2025-03-10")), ptr(day("2025-03-09")), "closeDate"},
	}
	for _, b := range bad {
		_, _, _, err := hin.OpenPeriod(b.c, day(b.start), b.due, b.cls)
		if hin.ErrorCode(err) != hin.EINVALID || !strings.Contains(err.Error(), b.field) {
			t.Errorf("%s: %v, want a problem with %s", b.start, err, b.field)
		}
	}
}

func TestPriorPeriodKeepsMonthEnds(t *testing.T) {
	t.Parallel()
	s, e := hin.PriorPeriod(hin.CadenceMonthly, day("2025-03-01"), day("2025-03-31"), 1)
	if s != day("2025-02-01") || e != day("2025-02-28") {
		t.Errorf("March back 1: %v %v", s, e)
	}
	s, e = hin.PriorPeriod(hin.CadenceQuarterly, day("2025-01-01"), day("2025-03-31"), 4)
	if s != day("2024-01-01") || e != day("2024-03-31") {
		t.Errorf("Q4 back 4: %v %v", s, e)
	}
}

func f(v float64) *float64 { return &v }

func TestCheckSubmission(t *testing.T) {
	t.Parallel()
	period := hin.CollectionPeriod{PeriodStart: day("2025-03-01"), PeriodEnd: day("2025-03-31")}
	count := hin.CheckedMetric{CollectionMetric: hin.CollectionMetric{MetricID: "m-count", MedianFactor: f(3), FlagZero: true}, Code: "staff_trained", Kind: hin.MetricCount}
	rate := hin.CheckedMetric{CollectionMetric: hin.CollectionMetric{MetricID: "m-rate", MedianFactor: f(2), DenominatorFactor: f(2)}, Code: "mgso4_uptake", Kind: hin.MetricRate}
	missing := hin.CheckedMetric{CollectionMetric: hin.CollectionMetric{MetricID: "m-none"}, Code: "jobs_created", Kind: hin.MetricCount}
	prior := func(vs ...float64) []hin.PriorValue {
		out := make([]hin.PriorValue, len(vs))
		for i, v := range vs {
			out[i] = hin.PriorValue{PeriodsBack: i + 1, Value: f(v)}
		}
		return out
	}
	fig := func(id, metric string, v *float64, pr []hin.PriorValue) hin.SubmissionFigure {
		return hin.SubmissionFigure{Outcome: hin.Outcome{ID: id, MetricID: metric, PeriodStart: period.PeriodStart, PeriodEnd: period.PeriodEnd, Value: v},
			MetricCode: metric, Prior: pr}
	}
	rateFig := hin.SubmissionFigure{Outcome: hin.Outcome{ID: "o-rate", MetricID: "m-rate", PeriodStart: period.PeriodStart, PeriodEnd: period.PeriodEnd,
		Numerator: f(45), Denominator: f(300)}, Prior: []hin.PriorValue{{PeriodsBack: 1, Numerator: f(40), Denominator: f(100)},
		{PeriodsBack: 2, Numerator: f(50), Denominator: f(100)}, {PeriodsBack: 3, Numerator: f(45), Denominator: f(100)}}}
	cases := []struct {
		name  string
		check hin.SubmissionCheck
		want  []string // rule:severity:value:reference
	}{
		{"a clean figure", hin.SubmissionCheck{Metrics: []hin.CheckedMetric{count}, Figures: []hin.SubmissionFigure{fig("o1", "m-count", f(110), prior(100, 90, 120, 100))}}, nil},
		{"missing and not available", hin.SubmissionCheck{Metrics: []hin.CheckedMetric{count, missing},
			NotAvailable: map[string]string{"m-none": "not collected this month"}}, []string{"MISSING_FIGURE:ERROR::"}},
		{"not available but given", hin.SubmissionCheck{Metrics: []hin.CheckedMetric{count}, Figures: []hin.SubmissionFigure{fig("o1", "m-count", f(100), nil)},
			NotAvailable: map[string]string{"m-count": "system down"}}, []string{"NOT_AVAILABLE_WITH_FIGURE:ERROR::"}},
		{"above three times the median", hin.SubmissionCheck{Metrics: []hin.CheckedMetric{count}, Figures: []hin.SubmissionFigure{fig("o1", "m-count", f(500), prior(100, 90, 120, 100, 5000))}},
			[]string{"MEDIAN_FACTOR:WARNING:500:100"}},
		{"below a third of the median", hin.SubmissionCheck{Metrics: []hin.CheckedMetric{count}, Figures: []hin.SubmissionFigure{fig("o1", "m-count", f(30), prior(100, 90, 120))}},
			[]string{"MEDIAN_FACTOR:WARNING:30:100"}},
		{"too little history for a median", hin.SubmissionCheck{Metrics: []hin.CheckedMetric{count}, Figures: []hin.SubmissionFigure{fig("o1", "m-count", f(500), prior(100, 90))}}, nil},
		{"fell to zero", hin.SubmissionCheck{Metrics: []hin.CheckedMetric{count}, Figures: []hin.SubmissionFigure{fig("o1", "m-count", f(0), prior(12))}},
			[]string{"FELL_TO_ZERO:WARNING:0:12"}},
		{"zero after zero", hin.SubmissionCheck{Metrics: []hin.CheckedMetric{count}, Figures: []hin.SubmissionFigure{fig("o1", "m-count", f(0), prior(0))}}, nil},
		{"a denominator trebled", hin.SubmissionCheck{Metrics: []hin.CheckedMetric{rate}, Figures: []hin.SubmissionFigure{rateFig}},
			[]string{"MEDIAN_FACTOR:WARNING:0.15:0.45", "DENOMINATOR_FACTOR:WARNING:300:100"}},
		{"a figure spanning two periods", hin.SubmissionCheck{Metrics: []hin.CheckedMetric{count}, Figures: []hin.SubmissionFigure{fig("o1", "m-count", f(1), nil)},
			Spanning: []hin.SubmissionFigure{{Outcome: hin.Outcome{ID: "o2", MetricID: "m-count", PeriodStart: day("2025-03-15"), PeriodEnd: day("2025-04-14"), Value: f(3)}}}},
			[]string{"SPANS_PERIODS:ERROR::"}},
	}
	for _, c := range cases {
		c.check.Period = period
		got := hin.CheckSubmission(c.check)
		var rules []string
		for _, p := range got {
			s := string(p.Rule) + ":" + string(p.Severity) + ":"
			if p.Value != nil {
				s += fmtF(*p.Value)
			}
			s += ":"
			if p.Reference != nil {
				s += fmtF(*p.Reference)
			}
			rules = append(rules, s)
			if p.Message == "" || p.Key == "" || p.MetricCode == "" {
				t.Errorf("%s: a problem without message, key or metric: %+v", c.name, p)
			}
			if p.Rule != hin.RuleMissingFigure && p.OutcomeID == nil {
				t.Errorf("%s: %s names no figure", c.name, p.Rule)
			}
		}
		if strings.Join(rules, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s: got %v, want %v", c.name, rules, c.want)
		}
	}
}

func fmtF(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func TestExplainedWarningsDoNotBlock(t *testing.T) {
	t.Parallel()
	period := hin.CollectionPeriod{PeriodStart: day("2025-03-01"), PeriodEnd: day("2025-03-31")}
	count := hin.CheckedMetric{CollectionMetric: hin.CollectionMetric{MetricID: "m", FlagZero: true}, Code: "staff_trained", Kind: hin.MetricCount}
	check := hin.SubmissionCheck{Period: period, Metrics: []hin.CheckedMetric{count}, Figures: []hin.SubmissionFigure{{
		Outcome: hin.Outcome{ID: "o", MetricID: "m", PeriodStart: period.PeriodStart, PeriodEnd: period.PeriodEnd, Value: f(0)},
		Prior:   []hin.PriorValue{{PeriodsBack: 1, Value: f(4)}}}}}
	ps := hin.CheckSubmission(check)
	if len(ps) != 1 || !ps[0].Blocking() {
		t.Fatalf("unexplained: %+v", ps)
	}
	check.Explanations = map[string]string{ps[0].Key: "the trainer was on leave"}
	ps = hin.CheckSubmission(check)
	if len(ps) != 1 || ps[0].Blocking() || *ps[0].Explanation != "the trainer was on leave" {
		t.Fatalf("explained: %+v", ps)
	}
}

func TestTrackerCounts(t *testing.T) {
	t.Parallel()
	at := time.Now()
	subs := []hin.CollectionSubmission{
		{State: hin.SubmissionApproved, ApprovedAt: &at},
		{State: hin.SubmissionSubmitted},
		{State: hin.SubmissionDraft, Restatement: true, ApprovedAt: &at}, // a restatement: received before
		{State: hin.SubmissionReturned, Late: true},
		{State: hin.SubmissionNotStarted, Late: true},
		{State: hin.SubmissionExempt},
	}
	tr := hin.BuildTracker(hin.CollectionPeriod{}, subs)
	if tr.ExpectedCount != 5 || tr.ReceivedCount != 3 || tr.ApprovedCount != 1 || tr.LateCount != 2 || tr.Summary() != "received 3 of expected 5" {
		t.Errorf("%+v %s", tr, tr.Summary())
	}
}

func TestCollectionInputRules(t *testing.T) {
	t.Parallel()
	good := hin.CollectionInput{Code: "PSC-MONTHLY", Name: "Monthly return", Cadence: hin.CadenceMonthly,
		Metrics: []hin.CollectionMetricInput{{MetricCode: "staff_trained"}}}
	if p := good.Validate(); len(p) != 0 {
		t.Fatalf("good: %v", p)
	}
	bad := good
	bad.Code, bad.Cadence = "x", "WEEKLY"
	bad.Metrics = []hin.CollectionMetricInput{{MetricCode: "a", MedianFactor: f(1)}, {MetricCode: "A"}}
	bad.Exemptions = []hin.ExemptionInput{{RegionCode: "HI-EM", Reason: ""}}
	bad.DeadlineDays, bad.CloseDays = ptr(20), ptr(10)
	got := map[string]bool{}
	for _, p := range bad.Validate() {
		got[p.Field] = true
	}
	for _, field := range []string{"code", "cadence", "metrics[0].medianFactor", "metrics[1].metricCode", "exemptions[0].reason", "closeDays"} {
		if !got[field] {
			t.Errorf("no problem with %s: %v", field, got)
		}
	}
	med, den, zero := hin.CollectionMetricInput{}.Rules(hin.MetricRate)
	if *med != hin.DefaultMedianFactor || *den != hin.DefaultDenominatorFactor || zero {
		t.Errorf("rate defaults: %v %v %v", *med, *den, zero)
	}
	if _, den, zero := (hin.CollectionMetricInput{}).Rules(hin.MetricCount); den != nil || !zero {
		t.Errorf("count defaults: %v %v", den, zero)
	}
}
