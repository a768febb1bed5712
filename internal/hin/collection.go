package hin

import (
	"crypto/md5"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// National collections. A national admin defines a collection (a name, its
// metrics with their validation rules, a cadence) and opens its periods,
// each with a submission deadline and a later close date. Every region not
// exempt from the collection is expected to send a submission for each
// period: its figures are the region's outcomes of the collection's metrics
// within the period, entered as drafts as any return is. The region submits
// them once they pass validation; an approver of the region (never the
// submitter) approves them, which publishes them, or returns them with a
// comment. Approved figures are frozen: a correction reopens the submission
// as a restatement with a reason and goes through approval again.
//
// A (metric, region, period) a collection expects is controlled by it: its
// figures are published only by approval. The database refuses any other
// publication of them, and any change while the submission is submitted or
// approved (migration 00010). Figures of metrics, regions or periods no
// collection expects are written and published as before.

// CollectionCadence is how often a collection asks for figures.
type CollectionCadence string

const (
	// CadenceMonthly periods are calendar months.
	CadenceMonthly CollectionCadence = "MONTHLY"
	// CadenceQuarterly periods are NHS quarters (April to June is Q1).
	CadenceQuarterly CollectionCadence = "QUARTERLY"
)

// CollectionCadences lists every CollectionCadence.
var CollectionCadences = []CollectionCadence{CadenceMonthly, CadenceQuarterly}

// Months is the length of one period in months.
func (c CollectionCadence) Months() int {
	if c == CadenceQuarterly {
		return 3
	}
	return 1
}

// SubmissionState is where a region's submission for a period stands.
type SubmissionState string

const (
	// SubmissionNotStarted: no figure entered yet.
	SubmissionNotStarted SubmissionState = "NOT_STARTED"
	// SubmissionDraft: figures are being entered (drafts), or a reopened
	// restatement is being prepared.
	SubmissionDraft SubmissionState = "DRAFT"
	// SubmissionSubmitted: the region says it is complete; its figures are
	// frozen until an approver approves or returns it.
	SubmissionSubmitted SubmissionState = "SUBMITTED"
	// SubmissionReturned: an approver sent it back with a comment; the
	// region edits and submits again.
	SubmissionReturned SubmissionState = "RETURNED"
	// SubmissionApproved: its figures are published and frozen.
	SubmissionApproved SubmissionState = "APPROVED"
	// SubmissionExempt: the region is exempt from the collection.
	SubmissionExempt SubmissionState = "EXEMPT"
)

// SubmissionStates lists every SubmissionState.
var SubmissionStates = []SubmissionState{SubmissionNotStarted, SubmissionDraft, SubmissionSubmitted, SubmissionReturned, SubmissionApproved, SubmissionExempt}

// Open says whether the region may still enter or change draft figures.
func (s SubmissionState) Open() bool {
	return s == SubmissionNotStarted || s == SubmissionDraft || s == SubmissionReturned
}

// SubmissionAction is a step a caller takes on a submission.
type SubmissionAction string

const (
	ActionSubmit  SubmissionAction = "SUBMIT"  // the region says its figures are complete
	ActionApprove SubmissionAction = "APPROVE" // an approver publishes them
	ActionReturn  SubmissionAction = "RETURN"  // an approver sends them back with a comment
	ActionReopen  SubmissionAction = "REOPEN"  // the region reopens approved figures as a restatement
)

// SubmissionActions lists every SubmissionAction.
var SubmissionActions = []SubmissionAction{ActionSubmit, ActionApprove, ActionReturn, ActionReopen}

// ProblemSeverity says whether a validation problem blocks a submission
// outright or needs an explanation.
type ProblemSeverity string

const (
	// SeverityError blocks submission until the figures change.
	SeverityError ProblemSeverity = "ERROR"
	// SeverityWarning blocks submission until it is explained.
	SeverityWarning ProblemSeverity = "WARNING"
)

// ProblemSeverities lists every ProblemSeverity.
var ProblemSeverities = []ProblemSeverity{SeverityError, SeverityWarning}

// ValidationRule names a check on a submission's figures.
type ValidationRule string

const (
	// RuleMissingFigure (error): an expected metric has no figure and is not
	// marked not available with a reason.
	RuleMissingFigure ValidationRule = "MISSING_FIGURE"
	// RuleNotAvailableWithFigure (error): a metric is marked not available
	// yet has a figure.
	RuleNotAvailableWithFigure ValidationRule = "NOT_AVAILABLE_WITH_FIGURE"
	// RuleSpansPeriods (error): a draft of a collected metric whose period
	// overlaps the collection period without lying inside it.
	RuleSpansPeriods ValidationRule = "SPANS_PERIODS"
	// RuleMedianFactor (warning): a value more than the metric's factor
	// away from the median of the same figure over the previous 12 periods.
	RuleMedianFactor ValidationRule = "MEDIAN_FACTOR"
	// RuleDenominatorFactor (warning): a rate's denominator moved by more
	// than the metric's factor since the previous period.
	RuleDenominatorFactor ValidationRule = "DENOMINATOR_FACTOR"
	// RuleFellToZero (warning): a count (a rate's numerator) is zero where
	// the previous period's was not.
	RuleFellToZero ValidationRule = "FELL_TO_ZERO"
)

// ValidationRules lists every ValidationRule.
var ValidationRules = []ValidationRule{RuleMissingFigure, RuleNotAvailableWithFigure, RuleSpansPeriods, RuleMedianFactor, RuleDenominatorFactor, RuleFellToZero}

func (v CollectionCadence) IsValid() bool { return slices.Contains(CollectionCadences, v) }
func (v SubmissionState) IsValid() bool   { return slices.Contains(SubmissionStates, v) }
func (v SubmissionAction) IsValid() bool  { return slices.Contains(SubmissionActions, v) }
func (v ProblemSeverity) IsValid() bool   { return slices.Contains(ProblemSeverities, v) }
func (v ValidationRule) IsValid() bool    { return slices.Contains(ValidationRules, v) }

func (v CollectionCadence) MarshalGQL(w io.Writer)    { writeEnum(w, string(v)) }
func (v SubmissionState) MarshalGQL(w io.Writer)      { writeEnum(w, string(v)) }
func (v SubmissionAction) MarshalGQL(w io.Writer)     { writeEnum(w, string(v)) }
func (v ProblemSeverity) MarshalGQL(w io.Writer)      { writeEnum(w, string(v)) }
func (v ValidationRule) MarshalGQL(w io.Writer)       { writeEnum(w, string(v)) }
func (v *CollectionCadence) UnmarshalGQL(x any) error { return readEnum(x, v, "CollectionCadence") }
func (v *SubmissionState) UnmarshalGQL(x any) error   { return readEnum(x, v, "SubmissionState") }
func (v *SubmissionAction) UnmarshalGQL(x any) error  { return readEnum(x, v, "SubmissionAction") }
func (v *ProblemSeverity) UnmarshalGQL(x any) error   { return readEnum(x, v, "ProblemSeverity") }
func (v *ValidationRule) UnmarshalGQL(x any) error    { return readEnum(x, v, "ValidationRule") }

// Node kinds of the collections.
const (
	KindCollection           = "Collection"
	KindCollectionPeriod     = "CollectionPeriod"
	KindCollectionSubmission = "CollectionSubmission"
)

// Collection is a national collection: which metrics every region reports
// for each period, and how often.
type Collection struct {
	ID          string            `db:"id"`
	Code        string            `db:"code"`
	Name        string            `db:"name"`
	Description string            `db:"description"`
	Cadence     CollectionCadence `db:"cadence"`
	// DeadlineDays and CloseDays are the defaults of a new period's
	// deadline and close date, in days after the period's end.
	DeadlineDays int       `db:"deadline_days"`
	CloseDays    int       `db:"close_days"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
	Version      int       `db:"version"`
}

// GlobalID is the collection's ID.
func (c Collection) GlobalID() string { return GlobalID(KindCollection, c.ID) }

// CollectionMetric is a metric a collection asks for, with the rules its
// figures are checked against. A nil factor turns its rule off.
type CollectionMetric struct {
	CollectionID string `db:"collection_id"`
	MetricID     string `db:"metric_id"`
	Position     int    `db:"position"`
	// MedianFactor: warn when a value is more than this many times the
	// median of the previous 12 periods, or less than the median over it.
	MedianFactor *float64 `db:"median_factor"`
	// DenominatorFactor (rates): warn when the denominator moved by more
	// than this factor since the previous period.
	DenominatorFactor *float64 `db:"denominator_factor"`
	// FlagZero: warn when a count (a rate's numerator) fell to zero.
	FlagZero bool `db:"flag_zero"`
}

// CollectionExemption says a region is not expected to submit to a
// collection, and why.
type CollectionExemption struct {
	CollectionID string `db:"collection_id"`
	RegionID     string `db:"region_id"`
	Reason       string `db:"reason"`
}

// CollectionPeriod is one period of a collection: the figures it asks for
// cover PeriodStart to PeriodEnd; submissions are due by Deadline and
// accepted until CloseDate (both inclusive).
type CollectionPeriod struct {
	ID           string    `db:"id"`
	CollectionID string    `db:"collection_id"`
	PeriodStart  time.Time `db:"period_start"`
	PeriodEnd    time.Time `db:"period_end"`
	Deadline     time.Time `db:"deadline"`
	CloseDate    time.Time `db:"close_date"`
	OpenedAt     time.Time `db:"opened_at"`
	OpenedBy     string    `db:"opened_by"`
	// Cadence is the collection's.
	Cadence CollectionCadence `db:"cadence"`
	// Today is the database's date when the period was read, which
	// PastDeadline and Closed compare with.
	Today time.Time `db:"today"`
}

// GlobalID is the period's ID.
func (p CollectionPeriod) GlobalID() string { return GlobalID(KindCollectionPeriod, p.ID) }

// Label names the period: 2025-03 for a month, FY2024-25 Q4 for a quarter.
func (p CollectionPeriod) Label() string {
	if p.Cadence == CadenceQuarterly {
		return QuarterLabel(p.PeriodStart)
	}
	return p.PeriodStart.Format("2006-01")
}

// PastDeadline says whether the deadline has passed.
func (p CollectionPeriod) PastDeadline() bool { return p.Today.After(p.Deadline) }

// Closed says whether the close date has passed: regions may no longer
// make a first submission (a national admin still may; restatements always
// may).
func (p CollectionPeriod) Closed() bool { return p.Today.After(p.CloseDate) }

// CollectionSubmission is one region's submission for one collection
// period. Every expected region has one from the period's opening, stored
// or not: its ID is derived from the period and region (SubmissionID).
type CollectionSubmission struct {
	ID           string          `db:"id"`
	PeriodID     string          `db:"period_id"`
	RegionID     string          `db:"region_id"`
	State        SubmissionState `db:"state"`
	ExemptReason *string         `db:"exempt_reason"`
	// SubmittedBy and the other names are token subjects; they are shown
	// to signed-in callers only (HideNames).
	SubmittedBy       *string    `db:"submitted_by"`
	SubmittedAt       *time.Time `db:"submitted_at"`
	ApprovedBy        *string    `db:"approved_by"`
	ApprovedAt        *time.Time `db:"approved_at"`
	ReturnedBy        *string    `db:"returned_by"`
	ReturnedAt        *time.Time `db:"returned_at"`
	ReturnComment     *string    `db:"return_comment"`
	Restatement       bool       `db:"restatement"`
	RestatementReason *string    `db:"restatement_reason"`
	ReopenedBy        *string    `db:"reopened_by"`
	ReopenedAt        *time.Time `db:"reopened_at"`
	UpdatedAt         *time.Time `db:"updated_at"`
	Version           int        `db:"version"`
	// Late: past the deadline and never submitted (or returned and not
	// submitted again), and not approved before.
	Late bool `db:"late"`
	// RegionCode and RegionName come with the row, for the tracker and its CSV.
	RegionCode string `db:"region_code"`
	RegionName string `db:"region_name"`
}

// GlobalID is the submission's ID.
func (s CollectionSubmission) GlobalID() string { return GlobalID(KindCollectionSubmission, s.ID) }

// SubmissionID is the ID of a region's submission for a period, the same
// before and after its row is stored (SQL: submission_id(period, region)).
func SubmissionID(periodID, regionID string) string {
	h := md5.Sum([]byte(periodID + "/" + regionID))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// Received says whether the nation has the region's figures for the
// period: submitted, approved, or approved before and now being restated.
func (s CollectionSubmission) Received() bool {
	return s.State == SubmissionSubmitted || s.State == SubmissionApproved || s.ApprovedAt != nil
}

// LateOn says whether a submission is late on a day.
func (s CollectionSubmission) LateOn(today time.Time, p CollectionPeriod) bool {
	return today.After(p.Deadline) && s.State.Open() && s.ApprovedAt == nil
}

// HideNames blanks who did what, and the return comment, for callers who
// are not signed in: the tracker's states and times are public, the people
// behind them are not.
func (s *CollectionSubmission) HideNames(p Principal) {
	if p.Role != RoleAnonymous {
		return
	}
	s.SubmittedBy, s.ApprovedBy, s.ReturnedBy, s.ReopenedBy, s.ReturnComment = nil, nil, nil, nil, nil
}

// SubmissionFacts is what a transition depends on.
type SubmissionFacts struct {
	State       SubmissionState
	RegionID    string
	SubmittedBy string // the subject who last submitted
	Restatement bool
	Closed      bool // past the period's close date
}

// Error codes of the collections are declared with the others in error.go.

// Transition is the state a submission moves to when a caller takes an
// action, or why the caller may not: UNAUTHENTICATED, FORBIDDEN (wrong role
// or region), INVALID_TRANSITION (not from this state), FOUR_EYES_REQUIRED
// (approving or returning what one submitted) or PERIOD_CLOSED.
func Transition(f SubmissionFacts, a SubmissionAction, p Principal) (SubmissionState, error) {
	what := map[SubmissionAction]string{ActionSubmit: "submitting for approval", ActionApprove: "approving this submission",
		ActionReturn: "returning this submission", ActionReopen: "reopening this submission"}[a]
	if what == "" {
		return "", Invalid("action", "%s is not a submission action", Quote(string(a)))
	}
	if err := p.MayWrite(what); err != nil {
		return "", err
	}
	if err := p.CanWriteRegion(&f.RegionID, what); err != nil {
		return "", err
	}
	wrongState := func(hint string) error {
		return &Error{Code: ETRANSITION, Field: "id", Details: map[string]any{"state": string(f.State)},
			Message: fmt.Sprintf("%s was refused: the submission is %s; %s", what, f.State, hint)}
	}
	if f.State == SubmissionExempt {
		return "", wrongState("the region is exempt from this collection")
	}
	switch a {
	case ActionSubmit:
		switch f.State {
		case SubmissionSubmitted:
			return "", wrongState("it is waiting for an approver to approve or return it")
		case SubmissionApproved:
			return "", wrongState("its figures are approved and frozen: reopen it as a restatement, with a reason, to correct them")
		}
		if f.Closed && !f.Restatement && p.Role != RoleNationalAdmin {
			return "", &Error{Code: EPERIODCLOSED, Field: "id", Message: what + " was refused: the period's close date has passed; ask a national admin to submit it"}
		}
		return SubmissionSubmitted, nil
	case ActionApprove, ActionReturn:
		if f.State != SubmissionSubmitted {
			return "", wrongState("only a submitted submission can be approved or returned")
		}
		if p.Role != RoleRegionApprover && p.Role != RoleNationalAdmin {
			return "", Errorf(EFORBIDDEN, "%s was refused: only a region approver of this region or a national admin may approve or return a submission", what)
		}
		if p.Subject == f.SubmittedBy {
			return "", &Error{Code: EFOUREYES, Field: "id", Message: what + " was refused: you submitted it, and a submission is approved or returned by someone else (four eyes)"}
		}
		if a == ActionApprove {
			return SubmissionApproved, nil
		}
		return SubmissionReturned, nil
	case ActionReopen:
		if f.State != SubmissionApproved {
			return "", wrongState("only approved figures are reopened; until then they can be edited or returned")
		}
		return SubmissionDraft, nil
	}
	return "", Invalid("action", "%s is not a submission action", Quote(string(a)))
}

// AllowedActions lists the actions the caller may take now.
func AllowedActions(f SubmissionFacts, p Principal) []SubmissionAction {
	out := []SubmissionAction{}
	for _, a := range SubmissionActions {
		if _, err := Transition(f, a, p); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// CollectionInput defines or redefines a collection (national admins).
type CollectionInput struct {
	Code         string                  `json:"code"`
	Name         string                  `json:"name"`
	Description  *string                 `json:"description"`
	Cadence      CollectionCadence       `json:"cadence"`
	DeadlineDays *int                    `json:"deadlineDays"`
	CloseDays    *int                    `json:"closeDays"`
	Metrics      []CollectionMetricInput `json:"metrics"`
	Exemptions   []ExemptionInput        `json:"exemptions"`
}

// CollectionMetricInput is a metric of a collection with its rules.
type CollectionMetricInput struct {
	MetricCode        string   `json:"metricCode"`
	MedianFactor      *float64 `json:"medianFactor"`
	DenominatorFactor *float64 `json:"denominatorFactor"`
	FlagZero          *bool    `json:"flagZero"`
}

// ExemptionInput exempts a region from a collection.
type ExemptionInput struct {
	RegionCode string `json:"regionCode"`
	Reason     string `json:"reason"`
}

// Default rules, when a metric's input gives none.
const (
	DefaultMedianFactor      = 3.0
	DefaultDenominatorFactor = 2.0
	DefaultDeadlineDays      = 15
	DefaultCloseDays         = 30
	// MinMedianHistory is how many earlier values a median needs.
	MinMedianHistory = 3
	// HistoryPeriods is how many earlier periods the median looks back.
	HistoryPeriods = 12
	// MaxCollectionMetrics bounds a collection.
	MaxCollectionMetrics = 50
)

var collectionCodePattern = progCodePattern

// Validate checks what can be checked without the database.
func (in CollectionInput) Validate() Problems {
	var p Problems
	if !collectionCodePattern.MatchString(in.Code) {
		p.Add("code", "must be upper case letters, digits and dashes, 2 to 40 characters, e.g. PSC-MONTHLY")
	}
	p.text("name", in.Name, 1, 200)
	p.optText("description", in.Description, 2000)
	if !in.Cadence.IsValid() {
		p.Add("cadence", "must be MONTHLY or QUARTERLY")
	}
	for _, d := range []struct {
		field string
		v     *int
	}{{"deadlineDays", in.DeadlineDays}, {"closeDays", in.CloseDays}} {
		if d.v != nil && (*d.v < 0 || *d.v > 366) {
			p.Add(d.field, "must be from 0 to 366 days after the period's end")
		}
	}
	dl, cl := in.Days()
	if cl < dl {
		p.Add("closeDays", "the close date must not come before the deadline (%d < %d days)", cl, dl)
	}
	if len(in.Metrics) == 0 || len(in.Metrics) > MaxCollectionMetrics {
		p.Add("metrics", "a collection asks for 1 to %d metrics, got %d", MaxCollectionMetrics, len(in.Metrics))
	}
	seen := map[string]bool{}
	for i, m := range in.Metrics {
		code := strings.ToLower(strings.TrimSpace(m.MetricCode))
		if seen[code] {
			p.Add(fmt.Sprintf("metrics[%d].metricCode", i), "%s is named twice", Quote(m.MetricCode))
		}
		seen[code] = true
		for _, f := range []struct {
			field string
			v     *float64
		}{{"medianFactor", m.MedianFactor}, {"denominatorFactor", m.DenominatorFactor}} {
			if f.v != nil && (math.IsNaN(*f.v) || *f.v <= 1 || *f.v > 1000) {
				p.Add(fmt.Sprintf("metrics[%d].%s", i, f.field), "must be above 1 and at most 1000 (a factor of 3 warns below a third and above three times)")
			}
		}
	}
	regions := map[string]bool{}
	for i, e := range in.Exemptions {
		code := strings.ToUpper(strings.TrimSpace(e.RegionCode))
		if regions[code] {
			p.Add(fmt.Sprintf("exemptions[%d].regionCode", i), "%s is named twice", Quote(e.RegionCode))
		}
		regions[code] = true
		p.text(fmt.Sprintf("exemptions[%d].reason", i), strings.TrimSpace(e.Reason), 3, 1000)
	}
	return p
}

// Days are the input's deadline and close days, with the defaults.
func (in CollectionInput) Days() (deadline, close int) {
	deadline, close = DefaultDeadlineDays, DefaultCloseDays
	if in.DeadlineDays != nil {
		deadline = *in.DeadlineDays
	}
	if in.CloseDays != nil {
		close = *in.CloseDays
	}
	return deadline, close
}

// Rules fills a metric's rules with the defaults for its kind: a median
// factor for every metric, a denominator factor for rates, the zero check
// for counts.
func (m CollectionMetricInput) Rules(kind MetricKind) (median, denominator *float64, flagZero bool) {
	median, denominator = m.MedianFactor, m.DenominatorFactor
	if median == nil {
		v := DefaultMedianFactor
		median = &v
	}
	if denominator == nil && kind == MetricRate {
		v := DefaultDenominatorFactor
		denominator = &v
	}
	if kind != MetricRate {
		denominator = nil
	}
	flagZero = kind == MetricCount
	if m.FlagZero != nil {
		flagZero = *m.FlagZero
	}
	return median, denominator, flagZero
}

// OpenPeriod checks a period to open: its start must begin a period of the
// cadence (the first of a month; of April, July, October or January for
// quarters), and its deadline and close date, which default to the
// collection's days after the period's end (the close date as many days
// after a deadline given), must not come before its end or each other. It returns the period's end, deadline and close date.
func OpenPeriod(c Collection, start time.Time, deadline, closeDate *time.Time) (end, due, closes time.Time, err error) {
	var p Problems
	start = start.UTC()
	switch {
	case start.Day() != 1:
		p.Add("periodStart", "a period starts on the first of a month, not %s", start.Format(time.DateOnly))
	case c.Cadence == CadenceQuarterly && QuarterOf(start) != start:
		p.Add("periodStart", "a quarterly period starts on 1 April, 1 July, 1 October or 1 January, not %s", start.Format(time.DateOnly))
	}
	end = start.AddDate(0, c.Cadence.Months(), -1)
	due, closes = end.AddDate(0, 0, c.DeadlineDays), end.AddDate(0, 0, c.CloseDays)
	if deadline != nil {
		// a later deadline moves the default close date with it
		due, closes = *deadline, deadline.AddDate(0, 0, c.CloseDays-c.DeadlineDays)
	}
	if closeDate != nil {
		closes = *closeDate
	}
	if !due.After(end) {
		p.Add("deadline", "the deadline must come after the period ends (%s)", end.Format(time.DateOnly))
	}
	if closes.Before(due) {
		p.Add("closeDate", "the close date must not come before the deadline (%s)", due.Format(time.DateOnly))
	}
	return end, due, closes, p.Err()
}

// PriorPeriod shifts a figure's period back by k periods of a cadence,
// keeping month ends as month ends (31 March back one month is 28 or 29
// February).
func PriorPeriod(c CollectionCadence, start, end time.Time, k int) (time.Time, time.Time) {
	m := -k * c.Months()
	return start.AddDate(0, m, 0), end.AddDate(0, 0, 1).AddDate(0, m, -1)
}

// FitReturn fits an upload's rows to a submission for the period: rows
// without a period take the period's; every row must be a metric of the
// collection (codes, by lower-case code), lie within the period and be a
// draft (a collection's figures are published by approval).
func (p CollectionPeriod) FitReturn(in *ReturnInput, codes map[string]bool) error {
	if in.PeriodStart == nil && in.PeriodEnd == nil {
		start, end := p.PeriodStart, p.PeriodEnd
		in.PeriodStart, in.PeriodEnd = &start, &end
	}
	var prob Problems
	if in.Status != nil && *in.Status != OutcomeDraft {
		prob.Add("status", "a collection's figures are sent as drafts and published by approving the submission")
	}
	for i, r := range in.Rows {
		if !codes[strings.ToLower(strings.TrimSpace(r.MetricCode))] {
			prob.AddRow(i, "metricCode", "%s is not a metric of this collection", Quote(r.MetricCode))
		}
		start, end := in.PeriodStart, in.PeriodEnd
		if r.PeriodStart != nil {
			start = r.PeriodStart
		}
		if r.PeriodEnd != nil {
			end = r.PeriodEnd
		}
		if start != nil && end != nil && (start.Before(p.PeriodStart) || end.After(p.PeriodEnd)) {
			prob.AddRow(i, "periodStart", "the period %s to %s does not lie within %s (%s to %s)", start.Format(time.DateOnly),
				end.Format(time.DateOnly), p.Label(), p.PeriodStart.Format(time.DateOnly), p.PeriodEnd.Format(time.DateOnly))
		}
		if r.Status != nil && *r.Status != OutcomeDraft {
			prob.AddRow(i, "status", "a collection's figures are sent as drafts and published by approving the submission")
		}
	}
	return prob.Err()
}

// SubmissionFigure is a figure of a submission as the rules see it: the
// region's draft for a key where there is one, else its published value.
type SubmissionFigure struct {
	Outcome
	MetricCode string
	// Prior are the same key's published values in the previous periods,
	// newest first (PriorPeriod 1, 2, ...; a period with no value is left
	// out).
	Prior []PriorValue
	// Line is the line of the upload the figure came from, when known.
	Line *int
}

// PriorValue is a published value of an earlier period.
type PriorValue struct {
	PeriodsBack int
	Value       *float64
	Numerator   *float64
	Denominator *float64
}

// figureValue is what the median rule compares: the value, or a rate.
func figureValue(v, num, den *float64) *float64 {
	if v != nil {
		return v
	}
	if num != nil && den != nil && *den != 0 {
		r := *num / *den
		return &r
	}
	return nil
}

// SubmissionCheck is everything the rules look at for one submission.
type SubmissionCheck struct {
	Period CollectionPeriod
	// Metrics are the collection's metrics in order, with their rules.
	Metrics []CheckedMetric
	// Figures lie within the period; Spanning overlap it without lying
	// within it (drafts only).
	Figures, Spanning []SubmissionFigure
	// NotAvailable maps a metric ID to the reason it has no figure.
	NotAvailable map[string]string
	// Explanations maps a warning's key to its explanation.
	Explanations map[string]string
}

// CheckedMetric is a collection metric with what the rules need of it.
type CheckedMetric struct {
	CollectionMetric
	Code string
	Kind MetricKind
}

// SubmissionProblem is one problem the rules found: which figure (metric,
// outcome and, for an upload, its line), which rule and the numbers behind
// it. Key identifies a warning for its explanation, and stays the same
// while the figure's key and the rule do.
type SubmissionProblem struct {
	Severity   ProblemSeverity `json:"severity"`
	Rule       ValidationRule  `json:"rule"`
	Key        string          `json:"key"`
	MetricID   string          `json:"-"`
	MetricCode string          `json:"metricCode"`
	OutcomeID  *string         `json:"outcomeId,omitempty"` // the figure's UUID, as a global ID in JSON answers
	Line       *int            `json:"line,omitempty"`
	Message    string          `json:"message"`
	// Value is the figure's number the rule looked at; Reference what it
	// was compared with (a median, the previous period's); Factor the
	// rule's limit; History how many earlier periods the reference drew on.
	Value       *float64 `json:"value,omitempty"`
	Reference   *float64 `json:"reference,omitempty"`
	Factor      *float64 `json:"factor,omitempty"`
	History     int      `json:"history"`
	Explanation *string  `json:"explanation,omitempty"`
}

// Blocking says whether the problem stops a submission: every error, and
// a warning without an explanation.
func (p SubmissionProblem) Blocking() bool {
	return p.Severity == SeverityError || p.Explanation == nil
}

// figureKey names a figure's key within the submission: its metric, its
// period and what it is about, in words a reader can match to a row.
func figureKey(code string, o Outcome) string {
	k := code + "@" + o.PeriodStart.Format(time.DateOnly) + ".." + o.PeriodEnd.Format(time.DateOnly)
	for _, r := range []struct {
		kind string
		id   *string
	}{{KindInnovation, o.InnovationID}, {KindPilot, o.PilotID}, {KindProgramme, o.ProgrammeID}} {
		if r.id != nil {
			k += "/" + strings.ToLower(r.kind) + ":" + GlobalID(r.kind, *r.id)
		}
	}
	return k
}

// CheckSubmission applies the collection's rules to a submission's figures
// and returns every problem: errors first, then warnings, each in the
// collection's metric order.
func CheckSubmission(c SubmissionCheck) []SubmissionProblem {
	var out []SubmissionProblem
	byMetric := map[string][]SubmissionFigure{}
	for _, f := range c.Figures {
		byMetric[f.MetricID] = append(byMetric[f.MetricID], f)
	}
	num := func(v float64) *float64 { return &v }
	add := func(sev ProblemSeverity, rule ValidationRule, m CheckedMetric, f *SubmissionFigure, msg string, vals ...*float64) *SubmissionProblem {
		p := SubmissionProblem{Severity: sev, Rule: rule, MetricID: m.MetricID, MetricCode: m.Code, Message: msg}
		p.Key = string(rule) + ":" + m.Code
		if f != nil {
			id := f.ID
			p.OutcomeID, p.Line = &id, f.Line
			p.Key = string(rule) + ":" + figureKey(m.Code, f.Outcome)
		}
		if len(vals) > 0 {
			p.Value = vals[0]
		}
		if len(vals) > 1 {
			p.Reference = vals[1]
		}
		if len(vals) > 2 {
			p.Factor = vals[2]
		}
		if sev == SeverityWarning {
			if e, ok := c.Explanations[p.Key]; ok {
				p.Explanation = &e
			}
		}
		out = append(out, p)
		return &out[len(out)-1]
	}
	metrics := map[string]CheckedMetric{}
	for _, m := range c.Metrics {
		metrics[m.MetricID] = m
	}
	label := c.Period.Label()
	for _, m := range c.Metrics {
		figs := byMetric[m.MetricID]
		reason, na := c.NotAvailable[m.MetricID]
		switch {
		case len(figs) == 0 && !na:
			add(SeverityError, RuleMissingFigure, m, nil, fmt.Sprintf(
				"%s has no figure for %s: enter it, or mark it not available with a reason", m.Code, label))
		case len(figs) > 0 && na:
			add(SeverityError, RuleNotAvailableWithFigure, m, &figs[0], fmt.Sprintf(
				"%s is marked not available (%s) but has a figure: keep one or the other", m.Code, Quote(reason)))
		}
	}
	for i := range c.Spanning {
		f := &c.Spanning[i]
		m, ok := metrics[f.MetricID]
		if !ok {
			continue
		}
		add(SeverityError, RuleSpansPeriods, m, f, fmt.Sprintf(
			"the %s figure for %s to %s overlaps %s without lying within it: a collection takes figures for its own periods; correct its period",
			m.Code, f.PeriodStart.Format(time.DateOnly), f.PeriodEnd.Format(time.DateOnly), label))
	}
	for _, m := range c.Metrics {
		for i := range byMetric[m.MetricID] {
			f := &byMetric[m.MetricID][i]
			v := figureValue(f.Value, f.Numerator, f.Denominator)
			if m.MedianFactor != nil && v != nil {
				var prior []float64
				for _, pv := range f.Prior {
					if x := figureValue(pv.Value, pv.Numerator, pv.Denominator); x != nil {
						prior = append(prior, *x)
					}
				}
				if len(prior) >= MinMedianHistory {
					med, fac := median(prior), *m.MedianFactor
					if med > 0 && (*v > fac*med || *v < med/fac) {
						p := add(SeverityWarning, RuleMedianFactor, m, f, fmt.Sprintf(
							"%s is %s, more than %g times away from its median of %s over the previous %d periods: explain it, or correct it",
							m.Code, fmtNum(*v), fac, fmtNum(med), len(prior)), v, num(med), num(fac))
						p.History = len(prior)
					}
				}
			}
			var last *PriorValue
			if len(f.Prior) > 0 && f.Prior[0].PeriodsBack == 1 {
				last = &f.Prior[0]
			}
			if m.Kind == MetricRate && m.DenominatorFactor != nil && last != nil && f.Denominator != nil && last.Denominator != nil &&
				*f.Denominator > 0 && *last.Denominator > 0 {
				ratio, fac := *f.Denominator / *last.Denominator, *m.DenominatorFactor
				if ratio > fac || ratio < 1/fac {
					p := add(SeverityWarning, RuleDenominatorFactor, m, f, fmt.Sprintf(
						"the denominator of %s moved from %s last period to %s, by more than a factor of %g: explain it, or correct it",
						m.Code, fmtNum(*last.Denominator), fmtNum(*f.Denominator), fac), f.Denominator, last.Denominator, num(fac))
					p.History = 1
				}
			}
			if m.FlagZero && last != nil {
				cur, prev := f.Value, last.Value
				if m.Kind == MetricRate {
					cur, prev = f.Numerator, last.Numerator
				}
				if cur != nil && prev != nil && *cur == 0 && *prev > 0 {
					what := m.Code
					if m.Kind == MetricRate {
						what = "the numerator of " + m.Code
					}
					p := add(SeverityWarning, RuleFellToZero, m, f, fmt.Sprintf(
						"%s fell to zero from %s last period: explain it, or correct it", what, fmtNum(*prev)), cur, prev)
					p.History = 1
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity == SeverityError && out[j].Severity != SeverityError })
	return out
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func fmtNum(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), ".")
}

// SubmissionNotes are what a region says with its figures: the metrics it
// cannot report, with a reason, and its explanations of warnings.
type SubmissionNotes struct {
	NotAvailable []NotAvailableInput `json:"notAvailable"`
	Explanations []ExplanationInput  `json:"explanations"`
}

// NotAvailableInput marks an expected metric as not available.
type NotAvailableInput struct {
	MetricCode string `json:"metricCode"`
	Reason     string `json:"reason"`
}

// ExplanationInput explains a warning, named by its key.
type ExplanationInput struct {
	Key         string `json:"key"`
	Explanation string `json:"explanation"`
}

// Validate checks the notes' texts.
func (n SubmissionNotes) Validate() Problems {
	var p Problems
	for i, na := range n.NotAvailable {
		p.text(fmt.Sprintf("notAvailable[%d].reason", i), strings.TrimSpace(na.Reason), 3, 1000)
	}
	for i, e := range n.Explanations {
		if badText(e.Key, 500) != "" || e.Key == "" {
			p.Add(fmt.Sprintf("explanations[%d].key", i), "is not a warning's key")
		}
		p.text(fmt.Sprintf("explanations[%d].explanation", i), strings.TrimSpace(e.Explanation), 3, 2000)
	}
	return p
}

// SubmissionNote is a stored note: a metric not available, or a warning
// explained.
type SubmissionNote struct {
	SubmissionID string    `db:"submission_id"`
	Kind         string    `db:"kind"` // NOT_AVAILABLE or EXPLANATION
	MetricID     string    `db:"metric_id"`
	Subject      string    `db:"subject"` // the metric's code, or the warning's key
	Text         string    `db:"text"`
	WrittenBy    string    `db:"written_by"`
	WrittenAt    time.Time `db:"written_at"`
}

// Note kinds.
const (
	NoteNotAvailable = "NOT_AVAILABLE"
	NoteExplanation  = "EXPLANATION"
)

// CollectionTracker is where every region stands on one collection
// period: the SDCS "received N of expected M", who is late and who is
// exempt.
type CollectionTracker struct {
	Period      CollectionPeriod
	Submissions []CollectionSubmission // every region, in region code order
	// ExpectedCount is the regions not exempt; ReceivedCount those whose
	// figures the nation has (see Received); ApprovedCount those approved.
	ExpectedCount, ReceivedCount, ApprovedCount, LateCount int
}

// Summary reads "received 9 of expected 14".
func (t CollectionTracker) Summary() string {
	return fmt.Sprintf("received %d of expected %d", t.ReceivedCount, t.ExpectedCount)
}

// Exemptions are the exempt regions of the period, with their reasons.
func (t CollectionTracker) Exemptions() []CollectionExemption {
	out := []CollectionExemption{}
	for _, s := range t.Submissions {
		if s.State == SubmissionExempt && s.ExemptReason != nil {
			out = append(out, CollectionExemption{CollectionID: t.Period.CollectionID, RegionID: s.RegionID, Reason: *s.ExemptReason})
		}
	}
	return out
}

// LateRegionIDs are the late regions, in the submissions' order.
func (t CollectionTracker) LateRegionIDs() []string {
	out := []string{}
	for _, s := range t.Submissions {
		if s.Late {
			out = append(out, s.RegionID)
		}
	}
	return out
}

// BuildTracker counts the submissions of a period.
func BuildTracker(p CollectionPeriod, subs []CollectionSubmission) CollectionTracker {
	t := CollectionTracker{Period: p, Submissions: subs}
	for _, s := range subs {
		if s.State == SubmissionExempt {
			continue
		}
		t.ExpectedCount++
		if s.Received() {
			t.ReceivedCount++
		}
		if s.State == SubmissionApproved {
			t.ApprovedCount++
		}
		if s.Late {
			t.LateCount++
		}
	}
	return t
}

// SubmissionSheet is what a region's proforma for a period shows: the
// collection's metrics in order, each with the region's figure entered so
// far (its draft, else its published value; region-level, not per pilot),
// last period's published value, and a not-available reason if given.
type SubmissionSheet struct {
	Collection Collection
	Period     CollectionPeriod
	Region     Region
	Rows       []SheetRow
}

// SheetRow is one metric of a proforma.
type SheetRow struct {
	Metric       Metric
	Current      *Outcome
	Previous     *Outcome
	NotAvailable *string
}

// SubmissionChange says that submissions of one collection period may have
// changed state: a submission itself, or a draft figure in it (the first
// draft moves it from NOT_STARTED to DRAFT).
type SubmissionChange struct {
	PeriodID   string
	RegionID   string
	State      SubmissionState
	ChangedAt  time.Time
	Everything bool // the listener reconnected: anything may have changed
}
