package hin

import (
	"io"
	"slices"
	"time"
)

// Scale what works: pilot evaluation results, duplicated pilots, the
// conversion of pilots into adoptions and where to spread proven
// innovations next. The store fills these reports with SQL; the rules that
// need no data (argument checks, windows, ranking order, rate arithmetic)
// live here.
//
// Shared rules: archived pilots, adoptions and innovations never count;
// pilots belong to the region they were run in, adoptions to the region
// recorded on them; draft outcomes count only when asked for by a caller
// allowed to see them (DraftsFor).

// EvaluationResult is the verdict of a pilot's evaluation, as data.
type EvaluationResult string

const (
	EvalPositive     EvaluationResult = "POSITIVE"
	EvalMixed        EvaluationResult = "MIXED"
	EvalNegative     EvaluationResult = "NEGATIVE"
	EvalInconclusive EvaluationResult = "INCONCLUSIVE"
	// EvalNotYet is every pilot's result until its region records one.
	EvalNotYet EvaluationResult = "NOT_YET_EVALUATED"
)

// EvaluationResults lists every EvaluationResult.
var EvaluationResults = []EvaluationResult{EvalPositive, EvalMixed, EvalNegative, EvalInconclusive, EvalNotYet}

func (v EvaluationResult) IsValid() bool          { return slices.Contains(EvaluationResults, v) }
func (v EvaluationResult) MarshalGQL(w io.Writer) { writeEnum(w, string(v)) }
func (v *EvaluationResult) UnmarshalGQL(x any) error {
	return readEnum(x, v, "PilotEvaluationResult")
}

// ScaleFilter restricts the pilots and innovations the scale reports read.
type ScaleFilter struct {
	RegionCodes   []string `json:"regionCodes"`
	ProgrammeIDs  []string `json:"programmeIds"`
	InnovationIDs []string `json:"innovationIds"`
	ClinicalArea  *string  `json:"clinicalArea"`
}

// Validate bounds the filter's lists.
func (f ScaleFilter) Validate() error {
	const maxItems = 500
	for field, n := range map[string]int{"filter.regionCodes": len(f.RegionCodes), "filter.programmeIds": len(f.ProgrammeIDs), "filter.innovationIds": len(f.InnovationIDs)} {
		if n > maxItems {
			return Invalid(field, "name at most %d", maxItems)
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Duplicated pilots

// DuplicationQuery asks for pilots run in parallel in several regions
// with no adoption following. Two pilots overlap when their dates share a
// day; a pilot with no end date is still running. A pilot is followed by an
// adoption when the innovation was adopted, anywhere, on or after the
// pilot's start date.
type DuplicationQuery struct {
	Window    *Window // pilots whose dates overlap it; all pilots when nil
	Filter    ScaleFilter
	RegionIDs []string // only duplications involving these regions; nil for all
}

// DuplicatedPilot is a pilot in a duplication, as the store finds it:
// ByInnovation when it overlaps an unadopted pilot of the same innovation
// in another region, ByClinicalArea when it overlaps one of another
// innovation for the same clinical area in another region.
type DuplicatedPilot struct {
	Pilot
	InnovationName string `db:"innovation_name"`
	ClinicalArea   string `db:"clinical_area"`
	RegionCode     string `db:"region_code"`
	ByInnovation   bool   `db:"by_innovation"`
	ByClinicalArea bool   `db:"by_clinical_area"`
}

// PilotDuplication is one innovation piloted in two or more regions at
// overlapping dates with no adoption following.
type PilotDuplication struct {
	InnovationID   string
	innovationName string
	RegionIDs      []string
	Pilots         []Pilot
	FirstStart     time.Time
	// LastEnd is nil while any of the pilots is still running.
	LastEnd *time.Time
}

// RegionCount is how many regions ran the duplicated pilots.
func (d PilotDuplication) RegionCount() int { return len(d.RegionIDs) }

// PilotCount is how many pilots the duplication holds.
func (d PilotDuplication) PilotCount() int { return len(d.Pilots) }

// ClinicalAreaDuplication is several innovations piloted for the same
// clinical area in different regions at overlapping dates, none adopted.
type ClinicalAreaDuplication struct {
	ClinicalArea  string
	InnovationIDs []string
	RegionIDs     []string
	Pilots        []Pilot
}

// RegionCount is how many regions ran the pilots.
func (d ClinicalAreaDuplication) RegionCount() int { return len(d.RegionIDs) }

// InnovationCount is how many different innovations were piloted.
func (d ClinicalAreaDuplication) InnovationCount() int { return len(d.InnovationIDs) }

// DuplicationReport is both views of duplicated pilots.
type DuplicationReport struct {
	ByInnovation   []PilotDuplication
	ByClinicalArea []ClinicalAreaDuplication
}

// Duplications groups the store's pilots (ordered by start date, region
// code and ID) into duplications: innovations with more regions first,
// then more pilots, then by innovation name and ID; clinical areas with
// more innovations first, then more regions, then by name.
func Duplications(rows []DuplicatedPilot) ([]PilotDuplication, []ClinicalAreaDuplication) {
	byInn, byArea := map[string]*PilotDuplication{}, map[string]*ClinicalAreaDuplication{}
	var inns []*PilotDuplication
	var areas []*ClinicalAreaDuplication
	for _, r := range rows {
		if r.ByInnovation {
			d := byInn[r.InnovationID]
			if d == nil {
				d = &PilotDuplication{InnovationID: r.InnovationID, innovationName: r.InnovationName, FirstStart: r.StartDate}
				byInn[r.InnovationID] = d
				inns = append(inns, d)
			}
			d.Pilots = append(d.Pilots, r.Pilot)
			d.RegionIDs = appendOnce(d.RegionIDs, r.RegionID)
			if r.StartDate.Before(d.FirstStart) {
				d.FirstStart = r.StartDate
			}
		}
		if r.ByClinicalArea {
			d := byArea[r.ClinicalArea]
			if d == nil {
				d = &ClinicalAreaDuplication{ClinicalArea: r.ClinicalArea}
				byArea[r.ClinicalArea] = d
				areas = append(areas, d)
			}
			d.Pilots = append(d.Pilots, r.Pilot)
			d.RegionIDs = appendOnce(d.RegionIDs, r.RegionID)
			d.InnovationIDs = appendOnce(d.InnovationIDs, r.InnovationID)
		}
	}
	outInn := make([]PilotDuplication, 0, len(inns))
	for _, d := range inns {
		d.LastEnd = lastEnd(d.Pilots)
		outInn = append(outInn, *d)
	}
	slices.SortStableFunc(outInn, func(a, b PilotDuplication) int {
		return firstNonZero(len(b.RegionIDs)-len(a.RegionIDs), len(b.Pilots)-len(a.Pilots),
			compareStrings(a.innovationName, b.innovationName), compareStrings(a.InnovationID, b.InnovationID))
	})
	outArea := make([]ClinicalAreaDuplication, 0, len(areas))
	for _, d := range areas {
		outArea = append(outArea, *d)
	}
	slices.SortStableFunc(outArea, func(a, b ClinicalAreaDuplication) int {
		return firstNonZero(len(b.InnovationIDs)-len(a.InnovationIDs), len(b.RegionIDs)-len(a.RegionIDs),
			compareStrings(a.ClinicalArea, b.ClinicalArea))
	})
	return outInn, outArea
}

// Involves reports whether one of the regions ran a pilot of the duplication.
func (d PilotDuplication) Involves(regionID string) bool {
	return slices.Contains(d.RegionIDs, regionID)
}

// Involves reports whether one of the regions ran a pilot of the duplication.
func (d ClinicalAreaDuplication) Involves(regionID string) bool {
	return slices.Contains(d.RegionIDs, regionID)
}

func lastEnd(ps []Pilot) *time.Time {
	var last *time.Time
	for _, p := range ps {
		if p.EndDate == nil {
			return nil
		}
		if last == nil || p.EndDate.After(*last) {
			last = p.EndDate
		}
	}
	return last
}

func appendOnce(xs []string, x string) []string {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func firstNonZero(xs ...int) int {
	for _, x := range xs {
		if x != 0 {
			return x
		}
	}
	return 0
}

// ---------------------------------------------------------------------------
// Conversion of pilots into adoptions

// Conversion limits.
const (
	DefaultConversionMonths = 12
	MaxConversionMonths     = 120
)

// ConversionDimensions are what conversion can be grouped by.
var ConversionDimensions = []Dimension{DimRegion, DimProgramme, DimClinicalArea, DimInnovation}

// ConversionQuery asks what share of the pilots that ended in a window
// (end date inside it, status among Statuses) were followed by an adoption
// of the same innovation within WithinMonths calendar months of the
// pilot's end. An adoption follows a pilot when it is on or after the
// pilot's start date, so an adoption during the pilot counts and one before
// it does not.
type ConversionQuery struct {
	Window       Window
	WithinMonths int
	Statuses     []PilotStatus
	GroupBy      []Dimension
	Filter       ScaleFilter
	RegionIDs    []string // scope to pilots of these regions, one answer each; nil for national
}

// NewConversionQuery checks the arguments: months from 0 to 120 (12 when
// nil), COMPLETED pilots when no status is given, and group-by dimensions
// among REGION, PROGRAMME, CLINICAL_AREA and INNOVATION, each once.
func NewConversionQuery(w Window, months *int, statuses []PilotStatus, groupBy []Dimension, f ScaleFilter) (ConversionQuery, error) {
	q := ConversionQuery{Window: w, WithinMonths: DefaultConversionMonths, Statuses: statuses, GroupBy: groupBy, Filter: f}
	if months != nil {
		q.WithinMonths = *months
	}
	if q.WithinMonths < 0 || q.WithinMonths > MaxConversionMonths {
		return q, Invalid("withinMonths", "withinMonths must be from 0 to %d, got %d", MaxConversionMonths, q.WithinMonths)
	}
	if len(q.Statuses) == 0 {
		q.Statuses = []PilotStatus{PilotCompleted}
	}
	for i, d := range groupBy {
		if !slices.Contains(ConversionDimensions, d) {
			return q, Invalid("groupBy", "conversion groups by REGION, PROGRAMME, CLINICAL_AREA or INNOVATION, not %s", d)
		}
		if slices.Contains(groupBy[:i], d) {
			return q, Invalid("groupBy", "%s is named twice", d)
		}
	}
	return q, f.Validate()
}

// Groups reports whether the query groups by d.
func (q ConversionQuery) Groups(d Dimension) bool { return slices.Contains(q.GroupBy, d) }

// ConversionRate is a share of pilots, kept as its numerator and
// denominator so that rates combine honestly.
type ConversionRate struct {
	Numerator   int
	Denominator int
}

// Rate is Numerator / Denominator, from 0 to 1; nil with no pilots.
func (r ConversionRate) Rate() *float64 {
	if r.Denominator == 0 {
		return nil
	}
	v := float64(r.Numerator) / float64(r.Denominator)
	return &v
}

// CombineRates adds rates of disjoint sets of pilots the only honest way:
// sum of numerators over sum of denominators, never a mean of the rates.
func CombineRates(rs ...ConversionRate) ConversionRate {
	var out ConversionRate
	for _, r := range rs {
		out.Numerator += r.Numerator
		out.Denominator += r.Denominator
	}
	return out
}

// daysPerMonth is the mean length of a Gregorian month.
const daysPerMonth = 365.2425 / 12

// DaysToMonths turns a number of days into months of mean length.
func DaysToMonths(days *float64) *float64 {
	if days == nil {
		return nil
	}
	m := *days / daysPerMonth
	return &m
}

// ConversionRow is one group of a conversion as SQL computes it: Total
// for the all-pilots row (of ScopeRegionID when the query is scoped).
type ConversionRow struct {
	Total         bool    `db:"total"`
	ScopeRegionID *string `db:"scope_region_id"`
	RegionID      *string `db:"g_region"`
	ProgrammeID   *string `db:"g_programme"`
	InnovationID  *string `db:"g_innovation"`
	ClinicalArea  *string `db:"g_clinical_area"`
	Pilots        int     `db:"pilots"`
	SameRegion    int     `db:"same_region"`
	Anywhere      int     `db:"anywhere"`
	// median days from a converted pilot's start to its first adoption
	MedianDaysAnywhere   *float64 `db:"median_anywhere"`
	MedianDaysSameRegion *float64 `db:"median_same_region"`
}

// ConversionGroup is the conversion of one group of pilots.
type ConversionGroup struct {
	RegionID     *string
	ProgrammeID  *string
	InnovationID *string
	ClinicalArea *string
	Pilots       int
	SameRegion   ConversionRate
	Anywhere     ConversionRate
	// medians over converted pilots, in days
	MedianDaysToFirstAdoption           *float64
	MedianDaysToFirstAdoptionSameRegion *float64
}

// MedianMonthsToFirstAdoption is the median in months of mean length.
func (g ConversionGroup) MedianMonthsToFirstAdoption() *float64 {
	return DaysToMonths(g.MedianDaysToFirstAdoption)
}

// MedianMonthsToFirstAdoptionSameRegion is the same-region median in months.
func (g ConversionGroup) MedianMonthsToFirstAdoptionSameRegion() *float64 {
	return DaysToMonths(g.MedianDaysToFirstAdoptionSameRegion)
}

// Group turns a row into its group.
func (r ConversionRow) Group() ConversionGroup {
	return ConversionGroup{
		RegionID: r.RegionID, ProgrammeID: r.ProgrammeID, InnovationID: r.InnovationID, ClinicalArea: r.ClinicalArea,
		Pilots:                    r.Pilots,
		SameRegion:                ConversionRate{r.SameRegion, r.Pilots},
		Anywhere:                  ConversionRate{r.Anywhere, r.Pilots},
		MedianDaysToFirstAdoption: r.MedianDaysAnywhere, MedianDaysToFirstAdoptionSameRegion: r.MedianDaysSameRegion,
	}
}

// PilotConversion is the answer to a ConversionQuery.
type PilotConversion struct {
	Window       Window
	WithinMonths int
	Statuses     []PilotStatus
	// Total counts every pilot once, even when groups overlap (an
	// innovation in two programmes puts its pilots in both groups).
	Total  ConversionGroup
	Groups []ConversionGroup
}

// NewPilotConversion assembles one answer from rows of one scope.
func NewPilotConversion(q ConversionQuery, rows []ConversionRow) *PilotConversion {
	out := &PilotConversion{Window: q.Window, WithinMonths: q.WithinMonths, Statuses: q.Statuses, Groups: []ConversionGroup{}}
	for _, r := range rows {
		if r.Total {
			out.Total = r.Group()
		} else if len(q.GroupBy) > 0 {
			out.Groups = append(out.Groups, r.Group())
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Where to spread next

// Spread target limits.
const (
	DefaultSpreadTargets = 100
	MaxSpreadTargets     = 1000
)

// SpreadEvidence says which innovations count as proven: those meeting
// any one of the criteria given.
type SpreadEvidence struct {
	// PositivePilot: at least one pilot evaluated POSITIVE.
	PositivePilot *bool `json:"positivePilot"`
	// AdoptedInRegions: adopted in at least this many regions.
	AdoptedInRegions *int `json:"adoptedInRegions"`
	// Outcome: published outcomes of a metric about the innovation,
	// combined under the metric's rule, above a threshold.
	Outcome *OutcomeEvidence `json:"outcome"`
}

// OutcomeEvidence is the outcome criterion of SpreadEvidence.
type OutcomeEvidence struct {
	Metric        string       `json:"metric"`
	Above         float64      `json:"above"`
	Window        *WindowInput `json:"window"`
	IncludeDrafts *bool        `json:"includeDrafts"`
}

// SpreadQuery asks for the regions and kinds of organisation where proven
// innovations have been neither piloted nor adopted.
type SpreadQuery struct {
	PositivePilot    bool
	AdoptedInRegions int     // 0: criterion not used
	Metric           *Metric // nil: criterion not used
	Above            float64
	OutcomeWindow    *Window
	Drafts           DraftScope
	Kinds            []OrganisationKind
	On               time.Time
	Filter           ScaleFilter
	RegionIDs        []string // targets in these regions only, ranked per region; nil for national
	First            int
}

// NewSpreadQuery checks the evidence and limits; organisations are
// counted on the day on, or the UTC day of now. The caller resolves the
// outcome metric, its window and the drafts.
func NewSpreadQuery(ev SpreadEvidence, kinds []OrganisationKind, on *time.Time, now time.Time, first *int, f ScaleFilter) (SpreadQuery, error) {
	now = now.UTC()
	q := SpreadQuery{Kinds: kinds, On: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), First: DefaultSpreadTargets, Filter: f}
	if on != nil {
		q.On = *on
	}
	if first != nil {
		q.First = *first
	}
	if q.First < 0 || q.First > MaxSpreadTargets {
		return q, Invalid("first", "first must be from 0 to %d, got %d", MaxSpreadTargets, q.First)
	}
	q.PositivePilot = ev.PositivePilot != nil && *ev.PositivePilot
	if ev.AdoptedInRegions != nil {
		if *ev.AdoptedInRegions < 1 {
			return q, Invalid("evidence.adoptedInRegions", "adoptedInRegions must be at least 1")
		}
		q.AdoptedInRegions = *ev.AdoptedInRegions
	}
	if !q.PositivePilot && q.AdoptedInRegions == 0 && ev.Outcome == nil {
		return q, Invalid("evidence", "give at least one criterion: positivePilot: true, adoptedInRegions or outcome")
	}
	return q, f.Validate()
}

// SpreadTarget is one place to spread an innovation: a region and kind
// of organisation where it has been neither piloted nor adopted.
type SpreadTarget struct {
	Rank         int              `db:"rank"`
	InnovationID string           `db:"innovation_id"`
	RegionID     string           `db:"region_id"`
	Kind         OrganisationKind `db:"kind"`
	// Organisations of the kind in the region that exist on the date.
	Organisations int `db:"organisations"`
	// NotAdopted of those have not adopted the innovation (the ranking key);
	// at least 1, since a place where all have adopted is no target.
	NotAdopted int `db:"not_adopted"`
	// the innovation's evidence
	PositivePilots  int      `db:"positive_pilots"`
	AdoptionRegions int      `db:"adoption_regions"`
	OutcomeValue    *float64 `db:"outcome_value"`
	// TotalCount is how many targets the scope has in all (not only the first).
	TotalCount int `db:"total_count"`
}

// SpreadTargets is a ranked list of targets. Ranking: most organisations
// not yet adopting first; ties broken by region code, then organisation
// kind in the order of OrganisationKinds, then innovation name and ID
// (strings compared by code point).
type SpreadTargets struct {
	On         time.Time
	TotalCount int
	Targets    []SpreadTarget
}

// KindOrder is the tie-breaking order of organisation kinds.
func KindOrder() []string {
	out := make([]string, len(OrganisationKinds))
	for i, k := range OrganisationKinds {
		out[i] = string(k)
	}
	return out
}

// NewSpreadTargets assembles one scope's ranked targets from rows in rank
// order; the store returns at least one row when there are any, so that
// the total is known even when first is 0.
func NewSpreadTargets(on time.Time, rows []SpreadTarget, first int) *SpreadTargets {
	out := &SpreadTargets{On: on, Targets: []SpreadTarget{}}
	if len(rows) > 0 {
		out.TotalCount = rows[0].TotalCount
	}
	out.Targets = append(out.Targets, rows[:min(first, len(rows))]...)
	return out
}
