package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// The demo's national collection: a monthly patient safety return of three
// metrics over the last six months of the demo window, its periods in mixed
// states so the tracker has something to show: the older months approved
// with a straggler or two, the latest with regions approved, submitted,
// returned, still in draft and not started, and one region exempt. The
// generated outcomes of its cells follow the states: published where
// approved, drafts where submitted, returned or in draft, none where not
// started.

const demoCollectionCode = "PSC-MONTHLY"

var demoCollectionMetrics = []string{"staff_trained", "mgso4_uptake", "care_homes_using_restore2"}

// demoExempt is the region the demo exempts.
const demoExempt = "ICHP"

// demoCells says what state each (metric, region, month) of the collection
// is in.
type demoCells struct {
	metrics map[string]bool                           // collected metric IDs
	state   map[string]map[string]hin.SubmissionState // month start -> region ID -> state
}

// of is the state of an outcome's cell, if the collection has it.
func (c demoCells) of(o hin.Outcome) (hin.SubmissionState, bool) {
	if !c.metrics[o.MetricID] {
		return "", false
	}
	m, ok := c.state[o.PeriodStart.Format(time.DateOnly)]
	if !ok || !o.PeriodEnd.Equal(o.PeriodStart.AddDate(0, 1, -1)) {
		return "", false
	}
	st, ok := m[o.RegionID]
	return st, ok
}

// demoState decides a region's state in the period monthsBack before the
// latest: a fixed pattern, so every seed is the same.
func demoState(monthsBack, region int) hin.SubmissionState {
	switch monthsBack {
	case 0:
		return []hin.SubmissionState{hin.SubmissionApproved, hin.SubmissionApproved, hin.SubmissionSubmitted, hin.SubmissionApproved,
			hin.SubmissionReturned, hin.SubmissionDraft, hin.SubmissionNotStarted}[region%7]
	case 1:
		switch region % 7 {
		case 4:
			return hin.SubmissionSubmitted
		case 6:
			return hin.SubmissionNotStarted
		}
	case 2:
		if region == 2 {
			return hin.SubmissionNotStarted
		}
	}
	return hin.SubmissionApproved
}

func addDemoCollection(d *store.Dataset, windowEnd time.Time) demoCells {
	cells := demoCells{metrics: map[string]bool{}, state: map[string]map[string]hin.SubmissionState{}}
	uid := func(kind string, parts ...any) string { return hin.StableUUID("demo/"+kind, fmt.Sprint(parts...)) }
	latest := time.Date(windowEnd.Year(), windowEnd.Month(), 1, 0, 0, 0, 0, time.UTC)
	first := latest.AddDate(0, -5, 0)
	c := hin.Collection{ID: uid("collection", demoCollectionCode), Code: demoCollectionCode, Name: "Monthly patient safety return",
		Description:  "Demo collection (generated): staff trained, magnesium sulphate uptake and RESTORE2 use in care homes, every month from every network.",
		Cadence:      hin.CadenceMonthly,
		DeadlineDays: hin.DefaultDeadlineDays, CloseDays: hin.DefaultCloseDays, CreatedAt: first, UpdatedAt: first}
	d.Collections = append(d.Collections, c)
	byCode := map[string]hin.Metric{}
	for _, m := range d.Metrics {
		byCode[m.Code] = m
	}
	for i, code := range demoCollectionMetrics {
		m := byCode[code]
		med, den, zero := hin.CollectionMetricInput{}.Rules(m.Kind)
		d.CollectionMetrics = append(d.CollectionMetrics, hin.CollectionMetric{CollectionID: c.ID, MetricID: m.ID, Position: i + 1,
			MedianFactor: med, DenominatorFactor: den, FlagZero: zero})
		cells.metrics[m.ID] = true
	}
	regions := d.Regions[:15]
	for _, r := range regions {
		if r.Code == demoExempt {
			d.CollectionExemptions = append(d.CollectionExemptions, hin.CollectionExemption{CollectionID: c.ID, RegionID: r.ID,
				Reason: "Demo: reports these figures through the London patient safety return"})
		}
	}
	for back := 5; back >= 0; back-- {
		start := latest.AddDate(0, -back, 0)
		end := start.AddDate(0, 1, -1)
		p := hin.CollectionPeriod{ID: uid("collection-period", c.Code, start.Format(time.DateOnly)), CollectionID: c.ID, PeriodStart: start,
			PeriodEnd: end, Deadline: end.AddDate(0, 0, c.DeadlineDays), CloseDate: end.AddDate(0, 0, c.CloseDays),
			OpenedAt: end.AddDate(0, 0, 1), OpenedBy: "demo-national-admin"}
		d.CollectionPeriods = append(d.CollectionPeriods, p)
		states := map[string]hin.SubmissionState{}
		cells.state[start.Format(time.DateOnly)] = states
		for i, r := range regions {
			if r.Code == demoExempt {
				continue
			}
			st := demoState(back, i)
			states[r.ID] = st
			if st == hin.SubmissionNotStarted || st == hin.SubmissionDraft {
				continue // no step taken: read from its figures
			}
			at := func(days, hours int) *time.Time {
				t := p.Deadline.AddDate(0, 0, days).Add(time.Duration(9+hours+i%5) * time.Hour)
				return &t
			}
			s := hin.CollectionSubmission{ID: hin.SubmissionID(p.ID, r.ID), PeriodID: p.ID, RegionID: r.ID, State: st,
				SubmittedBy: ptr("demo-editor-" + r.Code), SubmittedAt: at(-3-i%4, 0)}
			switch st {
			case hin.SubmissionApproved:
				s.ApprovedBy, s.ApprovedAt = ptr("demo-approver-"+r.Code), at(-1-i%2, 2)
			case hin.SubmissionReturned:
				s.ReturnedBy, s.ReturnedAt = ptr("demo-approver-"+r.Code), at(-1, 3)
				s.ReturnComment = ptr("Demo: the RESTORE2 denominator is last month's; please check it with the care home team")
			}
			s.UpdatedAt = s.SubmittedAt
			for _, t := range []*time.Time{s.ApprovedAt, s.ReturnedAt} {
				if t != nil {
					s.UpdatedAt = t
				}
			}
			d.Submissions = append(d.Submissions, s)
		}
	}
	return cells
}

func ptr[T any](v T) *T { return &v }

// OpenDemoPeriod opens the demo collection's period for the month before
// now, with the collection's usual deadline and close date, so that `make
// run` always has a return the regions can fill in, submit and approve: the
// seeded periods are fixed months in the past, long closed. It is not part
// of the seed (which must not depend on the day), and opening a period that
// is already open is no error. It does nothing when the demo collection is
// not loaded.
func OpenDemoPeriod(ctx context.Context, s *store.Store, now time.Time) (hin.CollectionPeriod, bool, error) {
	c, err := s.CollectionByCode(ctx, demoCollectionCode)
	if hin.ErrorCode(err) == hin.ENOTFOUND {
		return hin.CollectionPeriod{}, false, nil
	}
	if err != nil {
		return hin.CollectionPeriod{}, false, err
	}
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	admin := hin.WithPrincipal(ctx, hin.Principal{Subject: "hingraph-dev", Role: hin.RoleNationalAdmin})
	p, err := s.OpenCollectionPeriod(admin, hin.GlobalID(hin.KindCollection, c.ID), month, nil, nil)
	if hin.ErrorCode(err) == hin.ECONFLICT {
		return p, false, nil
	}
	return p, err == nil, err
}
