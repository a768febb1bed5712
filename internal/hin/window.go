package hin

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Window is a closed range of days [From, To]. An outcome is in a window when
// its whole period is: it starts on or after From and ends on or before To.
type Window struct {
	From time.Time
	To   time.Time
}

// MonthAligned reports whether the window starts on the first of a month
// and ends on the last day of one, so monthly rollups answer it exactly.
func (w Window) MonthAligned() bool {
	return w.From.Day() == 1 && w.To.AddDate(0, 0, 1).Day() == 1
}

// Label names the window: FY2023-24, FY2023-24 Q2, or from..to.
func (w Window) Label() string {
	fy := FinancialYearOf(w.From)
	switch {
	case w.From.Equal(fy) && w.To.Equal(fy.AddDate(1, 0, -1)):
		return FinancialYearLabel(fy)
	case w.From.Equal(QuarterOf(w.From)) && w.To.Equal(w.From.AddDate(0, 3, -1)):
		return QuarterLabel(w.From)
	}
	return w.From.Format(time.DateOnly) + ".." + w.To.Format(time.DateOnly)
}

// WindowInput is how clients name a window: explicit dates, a financial year
// ("FY2023-24") or an NHS quarter ("FY2023-24 Q1"); exactly one form.
type WindowInput struct {
	From          *time.Time `json:"from"`
	To            *time.Time `json:"to"`
	FinancialYear *string    `json:"financialYear"`
	Quarter       *string    `json:"quarter"`
}

var (
	fyPattern      = regexp.MustCompile(`^FY(\d{4})-(\d{2})$`)
	quarterPattern = regexp.MustCompile(`^FY(\d{4})-(\d{2}) Q([1-4])$`)
)

// Resolve turns the input into a window, or says what is wrong with it.
func (in WindowInput) Resolve(field string) (Window, error) {
	forms := 0
	if in.From != nil || in.To != nil {
		forms++
	}
	if in.FinancialYear != nil {
		forms++
	}
	if in.Quarter != nil {
		forms++
	}
	if forms != 1 {
		return Window{}, Invalid(field, "give exactly one of from and to, financialYear, or quarter")
	}
	switch {
	case in.FinancialYear != nil:
		start, err := parseFY(*in.FinancialYear, fyPattern.FindStringSubmatch(*in.FinancialYear))
		if err != nil {
			return Window{}, Invalid(field+".financialYear", "%s", err)
		}
		return Window{start, start.AddDate(1, 0, -1)}, nil
	case in.Quarter != nil:
		m := quarterPattern.FindStringSubmatch(*in.Quarter)
		start, err := parseFY(*in.Quarter, m)
		if err != nil {
			return Window{}, Invalid(field+".quarter", "%q is not an NHS quarter; write it like FY2023-24 Q1 (Q1 is April to June)", truncate(*in.Quarter, 40))
		}
		q, _ := strconv.Atoi(m[3])
		start = start.AddDate(0, 3*(q-1), 0)
		return Window{start, start.AddDate(0, 3, -1)}, nil
	}
	if in.From == nil || in.To == nil {
		return Window{}, Invalid(field, "give both from and to")
	}
	w := Window{*in.From, *in.To}
	if w.To.Before(w.From) {
		return Window{}, Invalid(field+".to", "to (%s) is before from (%s)", w.To.Format(time.DateOnly), w.From.Format(time.DateOnly))
	}
	if w.To.Sub(w.From) > 50*366*24*time.Hour {
		return Window{}, Invalid(field, "a window may span at most 50 years")
	}
	return w, nil
}

func parseFY(s string, m []string) (time.Time, error) {
	if m == nil {
		return time.Time{}, fmt.Errorf("%q is not a financial year; write it like FY2023-24 (1 April 2023 to 31 March 2024)", truncate(s, 40))
	}
	y, _ := strconv.Atoi(m[1])
	next, _ := strconv.Atoi(m[2])
	if (y+1)%100 != next || y < 1950 || y > 2150 {
		return time.Time{}, fmt.Errorf("%q is not a financial year: the second year must follow the first, as in FY2023-24", truncate(s, 40))
	}
	return time.Date(y, time.April, 1, 0, 0, 0, 0, time.UTC), nil
}

// FinancialYearOf returns 1 April of the NHS financial year containing t.
func FinancialYearOf(t time.Time) time.Time {
	y := t.Year()
	if t.Month() < time.April {
		y--
	}
	return time.Date(y, time.April, 1, 0, 0, 0, 0, time.UTC)
}

// QuarterOf returns the first day of the NHS quarter (Q1 = April to June) containing t.
func QuarterOf(t time.Time) time.Time {
	fy := FinancialYearOf(t)
	months := (t.Year()-fy.Year())*12 + int(t.Month()) - int(time.April)
	return fy.AddDate(0, months/3*3, 0)
}

// FinancialYearLabel writes FY2023-24 for the year starting on fy.
func FinancialYearLabel(fy time.Time) string {
	return fmt.Sprintf("FY%d-%02d", fy.Year(), (fy.Year()+1)%100)
}

// QuarterLabel writes FY2023-24 Q1 for the quarter starting on q.
func QuarterLabel(q time.Time) string {
	fy := FinancialYearOf(q)
	n := ((q.Year()-fy.Year())*12+int(q.Month())-int(time.April))/3 + 1
	return fmt.Sprintf("%s Q%d", FinancialYearLabel(fy), n)
}

// Periods lists the buckets of a period dimension that a window covers.
func Periods(w Window, d Dimension) []Period {
	var out []Period
	start := bucketStart(w.From, d)
	for !start.After(w.To) {
		next := bucketNext(start, d)
		out = append(out, Period{Start: start, End: next.AddDate(0, 0, -1), Label: PeriodLabel(start, d)})
		start = next
	}
	return out
}

func bucketStart(t time.Time, d Dimension) time.Time {
	switch d {
	case DimQuarter:
		return QuarterOf(t)
	case DimFinancialYear:
		return FinancialYearOf(t)
	}
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func bucketNext(t time.Time, d Dimension) time.Time {
	switch d {
	case DimQuarter:
		return t.AddDate(0, 3, 0)
	case DimFinancialYear:
		return t.AddDate(1, 0, 0)
	}
	return t.AddDate(0, 1, 0)
}

// PeriodLabel names a bucket: 2023-04, FY2023-24 Q1, FY2023-24.
func PeriodLabel(start time.Time, d Dimension) string {
	switch d {
	case DimQuarter:
		return QuarterLabel(start)
	case DimFinancialYear:
		return FinancialYearLabel(start)
	}
	return start.Format("2006-01")
}

// Period is one bucket of a time series.
type Period struct {
	Start time.Time
	End   time.Time
	Label string
}
