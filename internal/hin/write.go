package hin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Problem is one invalid input value. Row is set for rows of a bulk return.
type Problem struct {
	Row     *int   `json:"row,omitempty"`
	Field   string `json:"field"`
	Message string `json:"message"`
	// Line is the line of a CSV upload the row came from.
	Line *int `json:"line,omitempty"`
	// Code, when set, is a more precise code than INVALID_ARGUMENT, such as
	// OVERLAPPING_PERIOD.
	Code string `json:"code,omitempty"`
	// OutcomeID names the existing outcome a row clashes with.
	OutcomeID string `json:"outcomeId,omitempty"`
	// Sheet and Cell name where in an uploaded workbook the value is (the
	// cell of its column, e.g. "E7"; the row's first cell when the problem
	// is with the row as a whole); Line is then the sheet's row.
	Sheet string `json:"sheet,omitempty"`
	Cell  string `json:"cell,omitempty"`
}

// Problems collects validation problems so a client hears about all of
// them at once, not one per attempt.
type Problems []Problem

// Add records a problem with a field.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// AddRow records a problem with a field of a row.
func (p *Problems) AddRow(row int, field, format string, args ...any) {
	r := row
	*p = append(*p, Problem{Row: &r, Field: field, Message: fmt.Sprintf(format, args...)})
}

// MaxProblems bounds the problems an error lists: a file of 50,000 bad
// rows is answered with the first ones and the count of the rest, not
// megabytes of them.
const MaxProblems = 100

// Err is nil when there is no problem, else an INVALID_ARGUMENT error
// listing the first MaxProblems problems; Details then say how many there
// are (problemCount) and how many are not listed (problemsNotListed).
func (p Problems) Err() error { return p.errOf(len(p)) }

// errOf is Err for a list that is the start of total problems.
func (p Problems) errOf(total int) error {
	if len(p) == 0 {
		return nil
	}
	total = max(total, len(p))
	first := p[0]
	where := first.Field
	if first.Row != nil {
		where = fmt.Sprintf("rows[%d].%s", *first.Row, first.Field)
	}
	msg := fmt.Sprintf("%s: %s", where, first.Message)
	if first.Line != nil {
		msg = fmt.Sprintf("line %d: %s: %s", *first.Line, first.Field, first.Message)
	}
	if first.Sheet != "" {
		msg = fmt.Sprintf("sheet %s, cell %s: %s", Quote(first.Sheet), first.Cell, first.Message)
	}
	if total > 1 {
		msg = fmt.Sprintf("%d invalid values; the first is %s", total, msg)
	}
	// every problem a clash with an existing outcome: say so in the code
	code := first.Code
	for _, q := range p {
		if q.Code != code {
			code = ""
		}
	}
	if len(p) > MaxProblems {
		p = p[:MaxProblems:MaxProblems]
	}
	e := &Error{Code: EINVALID, Message: msg, Field: first.Field, Problems: p}
	if total > len(p) {
		e.Message += fmt.Sprintf(" (the first %d are listed)", len(p))
		e.Details = map[string]any{"problemCount": total, "problemsNotListed": total - len(p)}
	}
	if code != "" {
		e.Code = code
		if first.OutcomeID != "" {
			if e.Details == nil {
				e.Details = map[string]any{}
			}
			e.Details["outcomeId"] = first.OutcomeID
		}
	}
	return e
}

// MapProblems is err with f applied to each problem it lists (a reader
// putting its own line numbers on them), the count of those not listed
// kept; any other error is returned as it is.
func MapProblems(err error, f func(Problem) Problem) error {
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) == 0 {
		return err
	}
	total := len(e.Problems)
	if n, ok := e.Details["problemCount"].(int); ok {
		total = n
	}
	p := make(Problems, len(e.Problems))
	for i, pr := range e.Problems {
		p[i] = f(pr)
	}
	return p.errOf(total)
}

// text checks a string's length in characters and that it is valid UTF-8
// without control characters other than newlines and tabs.
func (p *Problems) text(field, s string, min, max int) {
	switch n := utf8.RuneCountInString(s); {
	case min > 0 && utf8.ValidString(s) && strings.TrimSpace(s) == "":
		p.Add(field, "is required")
	case n < min:
		p.Add(field, "must be at least %d characters", min)
	default:
		if reason := badText(s, max); reason != "" {
			p.Add(field, "%s", reason)
		}
	}
}

// badText says what is wrong with free text, or "" when nothing is.
func badText(s string, max int) string {
	switch n := utf8.RuneCountInString(s); {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case n > max:
		return fmt.Sprintf("must be at most %d characters, got %d", max, n)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r < 0xa0 }):
		return "must not contain control characters"
	}
	return ""
}

// CheckKey validates an idempotency key: 8 to 200 visible characters.
func CheckKey(key string) error {
	if n := utf8.RuneCountInString(key); n < 8 || n > 200 || badText(key, 200) != "" || strings.ContainsAny(key, " \n\t") {
		return Invalid("idempotencyKey", "must be 8 to 200 visible characters without spaces (a UUID is a good key)")
	}
	return nil
}

func (p *Problems) optText(field string, s *string, max int) {
	if s != nil {
		p.text(field, *s, 0, max)
	}
}

func (p *Problems) dateRange(startField string, start *time.Time, endField string, end *time.Time) {
	if start != nil && end != nil && end.Before(*start) {
		p.Add(endField, "must not be before %s (%s)", startField, start.Format(time.DateOnly))
	}
}

var (
	regionCodePattern = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,19}$`)
	metricCodePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{1,62}$`)
	progCodePattern   = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,39}$`)
)

// MaxReturnRows bounds a bulk return.
const MaxReturnRows = 5000

// maxValue bounds measured values: larger numbers are typing errors, and
// they keep sums exact in float64.
const maxValue = 1e15

// InnovationInput is what a client sends to create or replace an innovation.
type InnovationInput struct {
	Name           string   `json:"name"`
	Description    *string  `json:"description"`
	InnovatorID    *string  `json:"innovatorId"`
	ClinicalArea   *string  `json:"clinicalArea"`
	LeadRegionCode *string  `json:"leadRegionCode"`
	ProgrammeIDs   []string `json:"programmeIds"`
}

// Validate checks what can be checked without the database.
func (in InnovationInput) Validate() Problems {
	var p Problems
	p.text("name", in.Name, 1, 300)
	p.optText("description", in.Description, 5000)
	p.optText("clinicalArea", in.ClinicalArea, 200)
	if len(in.ProgrammeIDs) > 50 {
		p.Add("programmeIds", "at most 50 programmes")
	}
	return p
}

// PilotInput creates or replaces a pilot. Its region is its site's region.
type PilotInput struct {
	InnovationID      string      `json:"innovationId"`
	SiteID            string      `json:"siteId"`
	Status            PilotStatus `json:"status"`
	StartDate         time.Time   `json:"startDate"`
	EndDate           *time.Time  `json:"endDate"`
	EvaluationSummary *string     `json:"evaluationSummary"`
	// EvaluationResult, when nil, is NOT_YET_EVALUATED on create and left
	// as it was on update.
	EvaluationResult *EvaluationResult `json:"evaluationResult"`
}

// Validate checks what can be checked without the database.
func (in PilotInput) Validate() Problems {
	var p Problems
	p.dateRange("startDate", &in.StartDate, "endDate", in.EndDate)
	p.optText("evaluationSummary", in.EvaluationSummary, 5000)
	if (in.Status == PilotCompleted || in.Status == PilotStopped) && in.EndDate == nil {
		p.Add("endDate", "is required for a %s pilot", in.Status)
	}
	return p
}

// AdoptionInput records that an organisation adopted an innovation; its
// region is the organisation's region.
type AdoptionInput struct {
	InnovationID   string    `json:"innovationId"`
	OrganisationID string    `json:"organisationId"`
	AdoptedOn      time.Time `json:"adoptedOn"`
}

// OrganisationInput creates or replaces an organisation.
type OrganisationInput struct {
	Name       string           `json:"name"`
	Kind       OrganisationKind `json:"kind"`
	RegionCode *string          `json:"regionCode"`
	ValidFrom  *time.Time       `json:"validFrom"`
	ValidTo    *time.Time       `json:"validTo"`
}

// Validate checks what can be checked without the database.
func (in OrganisationInput) Validate() Problems {
	var p Problems
	p.text("name", in.Name, 1, 300)
	p.dateRange("validFrom", in.ValidFrom, "validTo", in.ValidTo)
	return p
}

// MetricInput creates or replaces a catalogue entry.
type MetricInput struct {
	Code        string     `json:"code"`
	Name        string     `json:"name"`
	Description *string    `json:"description"`
	Unit        string     `json:"unit"`
	Kind        MetricKind `json:"kind"`
}

// Validate checks what can be checked without the database.
func (in MetricInput) Validate() Problems {
	var p Problems
	if !metricCodePattern.MatchString(in.Code) {
		p.Add("code", "must be lower_snake_case, 2 to 63 characters, e.g. patients_benefiting")
	}
	p.text("name", in.Name, 1, 200)
	p.optText("description", in.Description, 2000)
	p.text("unit", in.Unit, 1, 50)
	return p
}

// ProgrammeInput creates or replaces a programme.
type ProgrammeInput struct {
	Code         string          `json:"code"`
	Name         string          `json:"name"`
	Kind         ProgrammeKind   `json:"kind"`
	ClinicalArea *string         `json:"clinicalArea"`
	Description  *string         `json:"description"`
	StartDate    *time.Time      `json:"startDate"`
	EndDate      *time.Time      `json:"endDate"`
	ParentID     *string         `json:"parentId"`
	Status       ProgrammeStatus `json:"status"`
	RegionCodes  []string        `json:"regionCodes"`
}

// Validate checks what can be checked without the database.
func (in ProgrammeInput) Validate() Problems {
	var p Problems
	if !progCodePattern.MatchString(in.Code) {
		p.Add("code", "must be upper case letters, digits and dashes, 2 to 40 characters, e.g. MANDETSIP")
	}
	p.text("name", in.Name, 1, 300)
	p.optText("clinicalArea", in.ClinicalArea, 200)
	p.optText("description", in.Description, 5000)
	p.dateRange("startDate", in.StartDate, "endDate", in.EndDate)
	if in.Status == ProgCompleted && in.EndDate == nil {
		p.Add("endDate", "is required for a COMPLETED programme")
	}
	for i, c := range in.RegionCodes {
		if !regionCodePattern.MatchString(c) {
			p.Add(fmt.Sprintf("regionCodes[%d]", i), "%q is not a region code", truncate(c, 30))
		}
	}
	return p
}

// RegionInput changes a region's descriptive fields; codes never change.
type RegionInput struct {
	Name       string  `json:"name"`
	FormerName *string `json:"formerName"`
	Summary    *string `json:"summary"`
}

// Validate checks the fields.
func (in RegionInput) Validate() Problems {
	var p Problems
	p.text("name", in.Name, 1, 200)
	p.optText("formerName", in.FormerName, 300)
	p.optText("summary", in.Summary, 2000)
	return p
}

// OutcomeInput records one measured value as a draft.
type OutcomeInput struct {
	MetricCode   string    `json:"metricCode"`
	RegionCode   string    `json:"regionCode"`
	PeriodStart  time.Time `json:"periodStart"`
	PeriodEnd    time.Time `json:"periodEnd"`
	Value        *float64  `json:"value"`
	Numerator    *float64  `json:"numerator"`
	Denominator  *float64  `json:"denominator"`
	InnovationID *string   `json:"innovationId"`
	PilotID      *string   `json:"pilotId"`
	ProgrammeID  *string   `json:"programmeId"`
	Source       *string   `json:"source"`
	// Status is DRAFT unless PUBLISHED is asked for; WITHDRAWN is reached
	// only by withdrawing.
	Status *OutcomeStatus `json:"status"`
	// Reason explains a restatement; required to restate a published figure.
	Reason *string `json:"reason,omitempty"`
}

// ReturnInput is a region's figures for one period, recorded all or nothing.
// The period, source, status and reason given on the return apply to every
// row that does not give its own, so one return may span many periods.
type ReturnInput struct {
	RegionCode  string         `json:"regionCode"`
	PeriodStart *time.Time     `json:"periodStart"`
	PeriodEnd   *time.Time     `json:"periodEnd"`
	Source      *string        `json:"source"`
	Status      *OutcomeStatus `json:"status"`
	Reason      *string        `json:"reason,omitempty"`
	Rows        []ReturnRow    `json:"rows"`
}

// ReturnRow is one figure of a bulk return.
type ReturnRow struct {
	MetricCode   string         `json:"metricCode"`
	PeriodStart  *time.Time     `json:"periodStart,omitempty"`
	PeriodEnd    *time.Time     `json:"periodEnd,omitempty"`
	Value        *float64       `json:"value"`
	Numerator    *float64       `json:"numerator"`
	Denominator  *float64       `json:"denominator"`
	InnovationID *string        `json:"innovationId"`
	PilotID      *string        `json:"pilotId"`
	ProgrammeID  *string        `json:"programmeId"`
	Source       *string        `json:"source,omitempty"`
	Status       *OutcomeStatus `json:"status,omitempty"`
	Reason       *string        `json:"reason,omitempty"`
}

// Outcome turns a row of a return into the outcome it records, reporting
// a row without a period through add.
func (in ReturnInput) Outcome(r ReturnRow, add func(field, format string, args ...any)) OutcomeInput {
	o := OutcomeInput{MetricCode: r.MetricCode, RegionCode: in.RegionCode,
		Value: r.Value, Numerator: r.Numerator, Denominator: r.Denominator, InnovationID: r.InnovationID, PilotID: r.PilotID,
		ProgrammeID: r.ProgrammeID, Source: in.Source, Status: in.Status, Reason: in.Reason}
	for _, f := range []struct {
		name     string
		row, ret *time.Time
		into     *time.Time
	}{{"periodStart", r.PeriodStart, in.PeriodStart, &o.PeriodStart}, {"periodEnd", r.PeriodEnd, in.PeriodEnd, &o.PeriodEnd}} {
		switch {
		case f.row != nil:
			*f.into = *f.row
		case f.ret != nil:
			*f.into = *f.ret
		default:
			add(f.name, "give %s on the row or on the return", f.name)
		}
	}
	if r.Source != nil {
		o.Source = r.Source
	}
	if r.Status != nil {
		o.Status = r.Status
	}
	if r.Reason != nil {
		o.Reason = r.Reason
	}
	return o
}

// ValidateOutcome checks an outcome against its metric: the values the
// metric's kind needs and nothing else, numbers in range, and its period.
// add reports each problem (so a bulk return can tag them with a row).
func ValidateOutcome(in OutcomeInput, m Metric, add func(field, format string, args ...any)) {
	if in.PeriodEnd.Before(in.PeriodStart) {
		add("periodEnd", "must not be before periodStart (%s)", in.PeriodStart.Format(time.DateOnly))
	}
	if in.PeriodEnd.Sub(in.PeriodStart) > 5*366*24*time.Hour {
		add("periodEnd", "a period may span at most five years")
	}
	finite := func(field string, v *float64) bool {
		if v == nil {
			return false
		}
		if math.IsNaN(*v) || math.IsInf(*v, 0) || math.Abs(*v) > maxValue {
			add(field, "must be a finite number no larger than %g", maxValue)
			return false
		}
		return true
	}
	switch m.Kind {
	case MetricRate:
		if in.Value != nil {
			add("value", "%s is a RATE metric: send numerator and denominator, not value", m.Code)
		}
		if in.Numerator == nil {
			add("numerator", "is required for the RATE metric %s", m.Code)
		}
		if in.Denominator == nil {
			add("denominator", "is required for the RATE metric %s", m.Code)
		}
		okN, okD := finite("numerator", in.Numerator), finite("denominator", in.Denominator)
		if okN && *in.Numerator < 0 {
			add("numerator", "must not be negative")
		}
		if okD && *in.Denominator <= 0 {
			add("denominator", "must be greater than zero")
		}
		if okN && okD && *in.Numerator > *in.Denominator {
			add("numerator", "must not be above the denominator (%g > %g)", *in.Numerator, *in.Denominator)
		}
	default:
		if in.Numerator != nil || in.Denominator != nil {
			add("numerator", "%s is a %s metric: send value, not numerator and denominator", m.Code, m.Kind)
		}
		if in.Value == nil {
			add("value", "is required for the %s metric %s", m.Kind, m.Code)
		} else if finite("value", in.Value) && *in.Value < 0 {
			add("value", "must not be negative for the %s metric %s", m.Kind, m.Code)
		}
	}
	if in.Source != nil {
		if reason := badText(*in.Source, 500); reason != "" {
			add("source", "%s", reason)
		}
	}
	if in.Status != nil && *in.Status == OutcomeWithdrawn {
		add("status", "an outcome is recorded as DRAFT or PUBLISHED; withdraw a published one with withdrawOutcome")
	}
	if in.Reason != nil {
		if reason := badText(*in.Reason, 1000); reason != "" {
			add("reason", "%s", reason)
		}
	}
}

// CanWriteRegion says whether the caller may change data of a region (nil
// for national records with no region). what names the action refused.
func (p Principal) CanWriteRegion(regionID *string, what string) error {
	switch p.Role {
	case RoleNationalAdmin:
		return nil
	case RoleRegionEditor, RoleRegionApprover:
		if regionID != nil && *regionID == p.RegionID {
			return nil
		}
		if regionID == nil {
			return Errorf(EFORBIDDEN, "%s was refused: a national record may be changed only by a national admin", what)
		}
		return Errorf(EFORBIDDEN, "%s was refused: a region editor may change only their own region's data", what)
	case RoleAnalyst:
		return Errorf(EFORBIDDEN, "%s was refused: analysts may read but not change data", what)
	}
	return Errorf(EUNAUTHORIZED, "%s needs a signed-in caller: send a bearer token", what)
}

// MayWrite refuses callers whose role cannot change any data, before any
// input is looked at.
func (p Principal) MayWrite(what string) error {
	switch p.Role {
	case RoleNationalAdmin, RoleRegionEditor, RoleRegionApprover:
		return nil
	case RoleAnalyst:
		return Errorf(EFORBIDDEN, "%s was refused: analysts may read but not change data", what)
	}
	return Errorf(EUNAUTHORIZED, "%s needs a signed-in caller: send a bearer token", what)
}

// CanAdmin says whether the caller may change the catalogue, programmes
// and regions.
func (p Principal) CanAdmin(what string) error {
	switch p.Role {
	case RoleNationalAdmin:
		return nil
	case RoleAnonymous:
		return Errorf(EUNAUTHORIZED, "%s needs a signed-in caller: send a bearer token", what)
	}
	return Errorf(EFORBIDDEN, "%s was refused: only national admins may change it", what)
}

// AuditScope is whose audit events the caller may read: all, one region's,
// or none.
func (p Principal) AuditScope() (all bool, regionID string, err error) {
	switch p.Role {
	case RoleNationalAdmin:
		return true, "", nil
	case RoleRegionEditor, RoleRegionApprover:
		return false, p.RegionID, nil
	case RoleAnonymous:
		return false, "", Errorf(EUNAUTHORIZED, "reading the audit trail needs a signed-in caller: send a bearer token")
	}
	return false, "", Errorf(EFORBIDDEN, "reading the audit trail was refused: only national admins and region editors may read it")
}

// MaySeeWhoChanged says whether the caller may see who changed a record of
// a region (an outcome's history): the names are the audit trail's, so the
// audit trail's rule applies, with its codes. National admins see all;
// region editors and approvers their own region's; others are refused.
func (p Principal) MaySeeWhoChanged(regionID string) error {
	all, own, err := p.AuditScope()
	var coded *Error
	switch {
	case err == nil && (all || own == regionID):
		return nil
	case errors.As(err, &coded) && coded.Code == EUNAUTHORIZED:
		return Errorf(EUNAUTHORIZED, "who changed a figure is in the audit trail, which needs a signed-in caller: send a bearer token, or leave changedBy out")
	case err == nil:
		return Errorf(EFORBIDDEN, "who changed this figure is in its region's audit trail, which only national admins and that region's editors may read: leave changedBy out")
	}
	return Errorf(EFORBIDDEN, "who changed a figure is in the audit trail, which only national admins and region editors may read: leave changedBy out")
}

// Conflict is the error for a stale version: the record changed since the
// client read it.
func Conflict(kind string, current int) error {
	return &Error{Code: ECONFLICT, Field: "version", Message: fmt.Sprintf(
		"this %s was changed by someone else (now at version %d); reload it and apply your change again", kind, current),
		Details: map[string]any{"currentVersion": current}}
}

// AuditEvent records one change: who, when, what, before and after.
type AuditEvent struct {
	ID         string    `db:"id"`
	At         time.Time `db:"at"`
	Actor      string    `db:"actor"`
	ActorRole  string    `db:"actor_role"`
	Action     string    `db:"action"`
	EntityKind string    `db:"entity_kind"`
	EntityID   *string   `db:"entity_id"`
	RegionID   *string   `db:"region_id"`
	Before     JSONText  `db:"before"`
	After      JSONText  `db:"after"`
	RequestID  string    `db:"request_id"`
}

// GlobalID is the audit event's ID.
func (v AuditEvent) GlobalID() string { return GlobalID("AuditEvent", v.ID) }

// JSONText is a stored JSON document; empty means none (SQL NULL).
type JSONText []byte

// Scan reads a jsonb column, NULL included.
func (j *JSONText) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append(JSONText(nil), v...)
	case string:
		*j = JSONText(v)
	default:
		return fmt.Errorf("cannot read %T as JSON", src)
	}
	return nil
}

// MarshalJSON writes the document as it is, or null.
func (j JSONText) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// AuditFilter selects audit events.
type AuditFilter struct {
	RegionCodes []string   `json:"regionCodes"`
	EntityIDs   []string   `json:"entityIds"`
	Actions     []string   `json:"actions"`
	Since       *time.Time `json:"since"`
}

type requestIDKey struct{}

// WithRequestID puts the request's id on the context, for the audit trail.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request's id, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
