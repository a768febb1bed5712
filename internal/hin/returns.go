package hin

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Returns: one current figure per reported thing. An outcome's key is its
// metric, region, period and the innovation, pilot and programme it is
// about; a key has at most one current PUBLISHED outcome and one current
// DRAFT. Sending a key again with the same value changes nothing; with
// another value it restates the figure (a published one only with a
// reason), and the state it replaces is kept as an OutcomeRevision.

// OutcomeRevision is an earlier state of an outcome: the value it had,
// from when until when, and who replaced it and why.
type OutcomeRevision struct {
	ID          string        `db:"id"`
	OutcomeID   string        `db:"outcome_id"`
	RegionID    string        `db:"region_id"` // the outcome's region then: whose audit trail names ChangedBy
	Value       *float64      `db:"value"`
	Numerator   *float64      `db:"numerator"`
	Denominator *float64      `db:"denominator"`
	Source      string        `db:"source"`
	Status      OutcomeStatus `db:"status"`
	ValidFrom   time.Time     `db:"valid_from"`
	ValidTo     time.Time     `db:"valid_to"`
	Change      string        `db:"change"`
	ChangedBy   string        `db:"changed_by"` // a token subject: see Principal.MaySeeWhoChanged
	Reason      *string       `db:"reason"`
}

// MaxHistory bounds Outcome.history.
const MaxHistory = 100

// MaxCSVReturnRows bounds a CSV upload, which is not bound by the GraphQL
// request size.
const MaxCSVReturnRows = 50000

// SameValue says whether an input carries the value an outcome has.
func SameValue(o Outcome, in OutcomeInput) bool {
	eq := func(a, b *float64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }
	return eq(o.Value, in.Value) && eq(o.Numerator, in.Numerator) && eq(o.Denominator, in.Denominator)
}

// ReturnCSVColumns are the columns a CSV return may have, in any order;
// metric_code and value (or numerator and denominator) are needed, and
// the period unless the upload gives one for every row.
var ReturnCSVColumns = []string{"region_code", "metric_code", "period_start", "period_end", "value", "numerator", "denominator",
	"innovation_id", "pilot_id", "programme_id", "source", "status", "reason"}

// ReadReturnCSV reads a CSV return: a header row naming columns of
// ReturnCSVColumns (case and a UTF-8 BOM ignored), then one figure per
// line. It returns the rows and the line each started on; problems carry
// the line. A region_code column must match regionCode when both are
// given, and gives the region when regionCode is empty.
func ReadReturnCSV(r io.Reader, in *ReturnInput, maxRows int) ([]int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	col, err := readReturnCSVHeader(cr)
	if err != nil {
		return nil, err
	}
	var p Problems
	var lines []int
	addAt := func(line int, field, format string, args ...any) {
		l := line
		p = append(p, Problem{Line: &l, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, err // the file could not be read (cut off, too large, too slow): the caller says why
			}
			addAt(pe.StartLine, "csv", "not valid CSV: %v", err)
			if len(p) > 100 {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(lines) == maxRows {
			return nil, Invalid("csv", "an upload holds at most %d rows", maxRows)
		}
		row := returnCSVRow(csvRecord{rec, col}, line, in, addAt)
		in.Rows = append(in.Rows, row)
		lines = append(lines, line)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, Invalid("csv", "the file has a header but no rows")
	}
	if in.RegionCode == "" {
		return nil, Invalid("region", "name the region: a region_code column or the region parameter")
	}
	return lines, nil
}

// readReturnCSVHeader reads the header row into the index of each column.
func readReturnCSVHeader(cr *csv.Reader) (map[string]int, error) {
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, Invalid("csv", "the file is empty: send a header row and one row per figure")
	}
	if pe := (*csv.ParseError)(nil); err != nil && !errors.As(err, &pe) {
		return nil, err
	}
	if err != nil {
		return nil, Invalid("csv", "the header row is not valid CSV: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		known := false
		for _, c := range ReturnCSVColumns {
			known = known || c == h
		}
		if !known {
			return nil, Invalid("csv", "unknown column %s in the header; the columns are %s", Quote(h), strings.Join(ReturnCSVColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, Invalid("csv", "the column %s is named twice", h)
		}
		col[h] = i
	}
	if _, ok := col["metric_code"]; !ok {
		return nil, Invalid("csv", "the header has no metric_code column")
	}
	return col, nil
}

// csvRecord is one line of a CSV return with the header's column index.
type csvRecord struct {
	rec []string
	col map[string]int
}

func (r csvRecord) get(name string) string {
	if i, ok := r.col[name]; ok && i < len(r.rec) {
		return strings.TrimSpace(r.rec[i])
	}
	return ""
}

func (r csvRecord) opt(name string) *string {
	if v := r.get(name); v != "" {
		return &v
	}
	return nil
}

// returnCSVRow reads one line of a CSV return into a row, reporting its
// problems at line through addAt. The first region_code gives the upload's
// region when the caller named none.
func returnCSVRow(r csvRecord, line int, in *ReturnInput, addAt func(line int, field, format string, args ...any)) ReturnRow {
	get, opt := r.get, r.opt
	row := ReturnRow{MetricCode: get("metric_code"), InnovationID: opt("innovation_id"), PilotID: opt("pilot_id"),
		ProgrammeID: opt("programme_id"), Source: opt("source"), Reason: opt("reason")}
	if rc := get("region_code"); rc != "" {
		rc = strings.ToUpper(rc)
		switch {
		case in.RegionCode == "":
			in.RegionCode = rc
		case rc != in.RegionCode:
			addAt(line, "region_code", "one upload is one region's return: this line is for %s, the upload for %s", rc, in.RegionCode)
		}
	}
	for _, d := range []struct {
		name string
		into **time.Time
	}{{"period_start", &row.PeriodStart}, {"period_end", &row.PeriodEnd}} {
		if v := get(d.name); v != "" {
			t, err := time.Parse(time.DateOnly, v)
			if err != nil {
				addAt(line, d.name, "%s is not a date: write it as YYYY-MM-DD", Quote(v))
				continue
			}
			*d.into = &t
		}
	}
	for _, n := range []struct {
		name string
		into **float64
	}{{"value", &row.Value}, {"numerator", &row.Numerator}, {"denominator", &row.Denominator}} {
		if v := get(n.name); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				addAt(line, n.name, "%s is not a number", Quote(v))
				continue
			}
			*n.into = &f
		}
	}
	if v := get("status"); v != "" {
		st := OutcomeStatus(strings.ToUpper(v))
		if st != OutcomeDraft && st != OutcomePublished {
			addAt(line, "status", "%s is not DRAFT or PUBLISHED", Quote(v))
		} else {
			row.Status = &st
		}
	}
	return row
}

// WithLines puts CSV line numbers on the problems of a return's rows.
func WithLines(err error, lines []int) error {
	return MapProblems(err, func(pr Problem) Problem {
		if pr.Row != nil && *pr.Row >= 0 && *pr.Row < len(lines) && pr.Line == nil {
			l := lines[*pr.Row]
			pr.Line = &l
		}
		return pr
	})
}
