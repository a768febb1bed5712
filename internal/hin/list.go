package hin

import (
	"io"
	"strings"
	"time"
)

// SplitList reads a comma-separated list as flags, environment variables
// and export query parameters spell one: items trimmed, empty ones dropped.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Page limits for every connection. A request above MaxPageSize is refused,
// never silently trimmed, so a client cannot mistake a short page for the end.
const (
	DefaultPageSize = 20
	MaxPageSize     = 500
	// MaxExportPageSize bounds a page of a CSV export (GET /outcomes.csv)
	// for a caller with a token, whose cost limit is the larger; a caller
	// without one gets MaxPageSize rows a page, as in GraphQL.
	MaxExportPageSize = 5000
)

// PageArgs asks for a forward page of a list: First items after the opaque
// cursor After ("" for the first page).
type PageArgs struct {
	First int
	After string
}

// Validate checks the page size.
func (p PageArgs) Validate() error {
	if p.First < 0 {
		return Invalid("first", "first must not be negative")
	}
	if p.First > MaxPageSize {
		return Invalid("first", "first must be at most %d, got %d; page through the list with after", MaxPageSize, p.First)
	}
	return nil
}

// Order sorts a list by a field (one of the list's order fields) and direction.
// Ties are always broken by ID, so pages are stable.
type Order struct {
	Field     string
	Direction SortDirection
}

// Page is one page of a list.
type Page[T any] struct {
	Items []T
	// Cursors holds each item's cursor; when it is nil, CursorAt makes
	// them on demand, since most clients never ask for one.
	Cursors     []string
	CursorAt    func(i int) string
	HasNext     bool
	HasPrevious bool
	// Total, when known, is the number of rows matching the list's filter
	// (counted with the page when a root list was asked for it).
	Total *int
}

// Cursor is the opaque cursor of item i.
func (p *Page[T]) Cursor(i int) string {
	if p.Cursors != nil || p.CursorAt == nil {
		return p.Cursors[i]
	}
	return p.CursorAt(i)
}

// DateRange selects records overlapping [From, To]; either end may be open.
type DateRange struct {
	From *time.Time `json:"from"`
	To   *time.Time `json:"to"`
}

// Validate checks the range is not reversed.
func (r *DateRange) Validate(field string) error {
	if r != nil && r.From != nil && r.To != nil && r.To.Before(*r.From) {
		return Invalid(field, "to (%s) is before from (%s)", r.To.Format(time.DateOnly), r.From.Format(time.DateOnly))
	}
	return nil
}

// RegionFilter selects regions.
type RegionFilter struct {
	Codes []string `json:"codes"`
}

// OrganisationFilter selects organisations. IDs are global IDs.
type OrganisationFilter struct {
	RegionCodes     []string           `json:"regionCodes"`
	Kinds           []OrganisationKind `json:"kinds"`
	ValidOn         *time.Time         `json:"validOn"`
	NameContains    *string            `json:"nameContains"`
	IncludeArchived *bool              `json:"includeArchived"`
}

// ProgrammeFilter selects programmes.
type ProgrammeFilter struct {
	Kinds        []ProgrammeKind   `json:"kinds"`
	Statuses     []ProgrammeStatus `json:"statuses"`
	RegionCodes  []string          `json:"regionCodes"`
	ParentIDs    []string          `json:"parentIds"`
	TopLevelOnly *bool             `json:"topLevelOnly"`
	NameContains *string           `json:"nameContains"`
	ClinicalArea *string           `json:"clinicalArea"`
}

// InnovationFilter selects innovations.
type InnovationFilter struct {
	RegionCodes     []string `json:"regionCodes"`
	Stages          []Stage  `json:"stages"`
	ProgrammeIDs    []string `json:"programmeIds"`
	InnovatorIDs    []string `json:"innovatorIds"`
	ClinicalArea    *string  `json:"clinicalArea"`
	NameContains    *string  `json:"nameContains"`
	IncludeArchived *bool    `json:"includeArchived"`
}

// PilotFilter selects pilots.
type PilotFilter struct {
	RegionCodes     []string      `json:"regionCodes"`
	InnovationIDs   []string      `json:"innovationIds"`
	SiteIDs         []string      `json:"siteIds"`
	Statuses        []PilotStatus `json:"statuses"`
	Active          *DateRange    `json:"active"`
	IncludeArchived *bool         `json:"includeArchived"`
}

// AdoptionFilter selects adoptions.
type AdoptionFilter struct {
	RegionCodes     []string   `json:"regionCodes"`
	InnovationIDs   []string   `json:"innovationIds"`
	OrganisationIDs []string   `json:"organisationIds"`
	AdoptedIn       *DateRange `json:"adoptedIn"`
	IncludeArchived *bool      `json:"includeArchived"`
}

// OutcomeFilter selects outcomes. Period keeps outcomes whose period lies
// inside the range; a partly overlapping period is not counted.
type OutcomeFilter struct {
	RegionCodes   []string        `json:"regionCodes"`
	MetricCodes   []string        `json:"metricCodes"`
	MetricIDs     []string        `json:"metricIds"`
	ProgrammeIDs  []string        `json:"programmeIds"`
	InnovationIDs []string        `json:"innovationIds"`
	PilotIDs      []string        `json:"pilotIds"`
	Statuses      []OutcomeStatus `json:"statuses"`
	Period        *DateRange      `json:"period"`
}

// MetricFilter selects catalogue entries.
type MetricFilter struct {
	Kinds []MetricKind `json:"kinds"`
	Codes []string     `json:"codes"`
}

// CollaborativeFilter selects collaboratives.
type CollaborativeFilter struct {
	Kinds       []CollaborativeKind `json:"kinds"`
	RegionCodes []string            `json:"regionCodes"`
}

// OrderField names the field a list is sorted by. The schema declares each
// list's fields as an enum; each list checks the value against its own
// fields, so a value in the wrong case is an INVALID_ARGUMENT, not a crash.
type OrderField string

// MarshalGQL writes the field name.
func (v OrderField) MarshalGQL(w io.Writer) { writeEnum(w, string(v)) }

// UnmarshalGQL reads a field name.
func (v *OrderField) UnmarshalGQL(x any) error {
	s, ok := x.(string)
	if !ok {
		return Errorf(EINVALID, "a sort field must be one of the list's order fields")
	}
	*v = OrderField(s)
	return nil
}
