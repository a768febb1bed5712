package hin

import "time"

// OutcomeChange says that outcomes of one metric in one region changed:
// written, published, restated or withdrawn. The database sends one per
// (metric, region) for each statement that touches outcomes, so a return of
// 5,000 rows is a few changes, not 5,000.
type OutcomeChange struct {
	MetricID   string
	MetricCode string
	RegionID   string
	RegionCode string
	// PeriodStart and PeriodEnd span the periods of the rows changed.
	PeriodStart time.Time
	PeriodEnd   time.Time
	// Outcomes is how many outcome rows changed.
	Outcomes int
	// Statuses are the statuses the changed rows had before or after the
	// change; a change among drafts alone leaves published figures alone.
	Statuses []OutcomeStatus
	// ChangedAt is when the change was committed, as the subscriber saw it.
	ChangedAt time.Time
	// Everything is set when the changes themselves are not known (the
	// database connection was lost and came back, or a table was emptied):
	// every subscriber should look again.
	Everything bool
}

// OnlyDrafts reports whether the change touched drafts only, so that a
// figure without drafts cannot have moved.
func (c OutcomeChange) OnlyDrafts() bool {
	if c.Everything || len(c.Statuses) == 0 {
		return false
	}
	for _, s := range c.Statuses {
		if s != OutcomeDraft {
			return false
		}
	}
	return true
}

// Overlaps reports whether the changed periods touch the days from..to.
func (c OutcomeChange) Overlaps(from, to time.Time) bool {
	if c.Everything {
		return true
	}
	return !c.PeriodEnd.Before(from) && !c.PeriodStart.After(to)
}
