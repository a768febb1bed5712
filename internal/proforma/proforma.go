// Package proforma writes and reads the Excel proformas of the national
// collections: a region's sheet for one period, prefilled with the metrics
// the collection expects, the figures entered so far and last period's
// values for reference, and the same file filled in and uploaded back.
//
// Reading shares the rules of CSV returns: the sheet's figure columns are
// handed to hin.ReadReturnCSV as CSV, so a figure in a spreadsheet means
// exactly what it means in a CSV upload or in submitReturn, and problems
// name the sheet's own row numbers.
package proforma

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Sheet names, and the format the hidden sheet declares.
const (
	ReturnSheet = "Return"
	metaSheet   = "hin"
	format      = "hin-graph collection proforma 1"
	headerRow   = 5
)

// Columns of the Return sheet. The ones a CSV return has are read back;
// not_available_reason marks a metric not available; the rest are there to
// read and are ignored on upload.
var Columns = []string{"metric_code", "metric", "unit", "kind", "period_start", "period_end", "value", "numerator", "denominator",
	"not_available_reason", "previous_period", "previous_value", "previous_numerator", "previous_denominator", "status"}

// readColumns are the columns passed on to hin.ReadReturnCSV.
var readColumns = []string{"metric_code", "period_start", "period_end", "value", "numerator", "denominator"}

// Write writes a region's proforma for a period as an .xlsx workbook.
func Write(w io.Writer, p hin.SubmissionSheet) error {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	if err := f.SetSheetName("Sheet1", ReturnSheet); err != nil {
		return err
	}
	bold, title, input, err := styles(f)
	if err != nil {
		return err
	}
	s := ReturnSheet
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	cells := []struct {
		at string
		v  any
	}{
		{"A1", hin.CellText(fmt.Sprintf("%s: %s (%s), %s", p.Collection.Name, p.Region.Name, p.Region.Code, p.Period.Label()))},
		{"A2", fmt.Sprintf("Figures for %s to %s; due by %s, accepted until %s.", date(p.Period.PeriodStart), date(p.Period.PeriodEnd),
			date(p.Period.Deadline), date(p.Period.CloseDate))},
		{"A3", "Fill in the yellow cells: value for counts and snapshots, numerator and denominator for rates. " +
			"A figure that cannot be reported: leave it blank and give the reason under not_available_reason. " +
			"Upload this file to the returns page, or POST it to /collections/submission; the other columns are for reference."},
	}
	for _, c := range cells {
		if err := f.SetCellValue(s, c.at, c.v); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(s, "A1", "A1", title); err != nil {
		return err
	}
	header := make([]any, len(Columns))
	for i, c := range Columns {
		header[i] = c
	}
	if err := f.SetSheetRow(s, cell(1, headerRow), &header); err != nil {
		return err
	}
	if err := f.SetCellStyle(s, cell(1, headerRow), cell(len(Columns), headerRow), bold); err != nil {
		return err
	}
	num := func(v *float64) any {
		if v == nil {
			return nil
		}
		return *v
	}
	for i, r := range p.Rows {
		row := headerRow + 1 + i
		// text through hin.CellText, as in every export: a string cell is not a
		// formula, but one edited and confirmed in Excel becomes one
		vals := []any{hin.CellText(r.Metric.Code), hin.CellText(r.Metric.Name), hin.CellText(r.Metric.Unit), string(r.Metric.Kind), date(p.Period.PeriodStart), date(p.Period.PeriodEnd), nil, nil, nil, nil, nil, nil, nil, nil, ""}
		if r.Current != nil {
			vals[6], vals[7], vals[8], vals[14] = num(r.Current.Value), num(r.Current.Numerator), num(r.Current.Denominator), string(r.Current.Status)
		}
		if r.NotAvailable != nil {
			vals[9] = hin.CellText(*r.NotAvailable)
		}
		if r.Previous != nil {
			vals[10], vals[11], vals[12], vals[13] = date(r.Previous.PeriodStart)[:7], num(r.Previous.Value), num(r.Previous.Numerator), num(r.Previous.Denominator)
		}
		if err := f.SetSheetRow(s, cell(1, row), &vals); err != nil {
			return err
		}
		// the cells to fill in: value for counts and snapshots, the pair for rates
		first, last := 7, 7
		if r.Metric.Kind == hin.MetricRate {
			first, last = 8, 9
		}
		if err := f.SetCellStyle(s, cell(first, row), cell(last, row), input); err != nil {
			return err
		}
		if err := f.SetCellStyle(s, cell(10, row), cell(10, row), input); err != nil {
			return err
		}
	}
	if n := len(p.Rows); n > 0 {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = cell(7, headerRow+1) + ":" + cell(9, headerRow+n)
		if err := dv.SetRange(0, 1e15, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "A figure", "Enter a number from 0 up; leave it blank if the figure is not available.")
		if err := f.AddDataValidation(s, dv); err != nil {
			return err
		}
	}
	for col, width := range map[string]float64{"A": 30, "B": 40, "C": 12, "D": 10, "E": 12, "F": 12, "G": 12, "H": 12, "I": 12, "J": 36, "K": 14, "L": 14, "M": 14, "N": 14, "O": 12} {
		if err := f.SetColWidth(s, col, col, width); err != nil {
			return err
		}
	}
	if err := f.SetPanes(s, &excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: cell(1, headerRow+1), ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := writeMeta(f, p); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// styles are the header's, the title's and the cells to fill in.
func styles(f *excelize.File) (bold, title, input int, err error) {
	if bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return
	}
	if title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}); err != nil {
		return
	}
	input, err = f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF9C4"}},
		Border: []excelize.Border{{Type: "left", Color: "BBBBBB", Style: 1}, {Type: "right", Color: "BBBBBB", Style: 1},
			{Type: "top", Color: "BBBBBB", Style: 1}, {Type: "bottom", Color: "BBBBBB", Style: 1}}})
	return
}

// writeMeta writes the hidden sheet saying what the file is for, so an
// upload to the wrong period or region is caught.
func writeMeta(f *excelize.File, p hin.SubmissionSheet) error {
	if _, err := f.NewSheet(metaSheet); err != nil {
		return err
	}
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	meta := [][]any{{"format", format}, {"collection", hin.CellText(p.Collection.Code)}, {"period_id", p.Period.GlobalID()},
		{"period_start", date(p.Period.PeriodStart)}, {"period_end", date(p.Period.PeriodEnd)}, {"region_code", p.Region.Code}}
	for i, m := range meta {
		if err := f.SetSheetRow(metaSheet, cell(1, i+1), &m); err != nil {
			return err
		}
	}
	return f.SetSheetVisible(metaSheet, false)
}

func cell(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	return c
}

// Upload is a proforma read back.
type Upload struct {
	// Return holds the figures, as a CSV upload would (RegionCode as given
	// to Read, no period on the return itself).
	Return hin.ReturnInput
	// Lines are the sheet rows of the return's rows, as hin.ReadReturnCSV's
	// lines are a CSV file's.
	Lines []int
	// NotAvailable are the metrics left blank with a reason.
	NotAvailable []hin.NotAvailableInput
	// PeriodID and RegionCode are what the file says it is for ("" when it
	// does not say: a sheet made by hand).
	PeriodID, RegionCode string
}

// Limits on what an uploaded workbook may unpack to, so a small file
// cannot expand into gigabytes.
const (
	maxUnzipped    = 64 << 20
	maxUnzippedXML = 16 << 20
)

// IsWorkbook says whether an upload starts like an .xlsx file (a zip).
func IsWorkbook(head []byte) bool { return bytes.HasPrefix(head, []byte("PK\x03\x04")) }

// Read reads an uploaded workbook: the Return sheet (or the first), its
// header row (the first row starting with metric_code, among the first
// 20), then one metric per row. Problems name the sheet's row numbers.
func Read(r io.Reader, regionCode string, maxRows int) (Upload, error) {
	out := Upload{Return: hin.ReturnInput{RegionCode: regionCode}}
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzippedXML})
	if err != nil {
		return out, hin.Invalid("file", "the file is not an .xlsx workbook Excel can open: %v", hin.Quote(err.Error()))
	}
	defer func() { _ = f.Close() }()
	sheets := f.GetSheetList()
	sheet := ReturnSheet
	if !slices.Contains(sheets, sheet) {
		if len(sheets) == 0 {
			return out, hin.Invalid("file", "the workbook has no sheet")
		}
		sheet = sheets[0]
	}
	if slices.Contains(sheets, metaSheet) {
		out.readMeta(f)
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return out, hin.Invalid("file", "the sheet %s cannot be read: %s", hin.Quote(sheet), hin.Quote(err.Error()))
	}
	defer func() { _ = rows.Close() }()
	col := map[string]int{}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	var sheetRows []int // the sheet row of each CSV line after the header
	n := 0
	for rows.Next() {
		n++
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return out, hin.Invalid("file", "row %d cannot be read: %s", n, hin.Quote(err.Error()))
		}
		if len(col) == 0 {
			if n > 20 {
				return out, hin.Invalid("file", "no header row: the first 20 rows of %s have no row starting with metric_code", hin.Quote(sheet))
			}
			if len(rec) > 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "metric_code") {
				for i, h := range rec {
					col[strings.ToLower(strings.TrimSpace(h))] = i
				}
				var header []string
				for _, c := range readColumns {
					if _, ok := col[c]; ok {
						header = append(header, c)
					}
				}
				_ = cw.Write(header)
			}
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		code := get("metric_code")
		figure := get("value") != "" || get("numerator") != "" || get("denominator") != ""
		if why := hin.CellTextValue(get("not_available_reason")); why != "" && code != "" {
			out.NotAvailable = append(out.NotAvailable, hin.NotAvailableInput{MetricCode: code, Reason: why})
		}
		if !figure {
			continue // a blank line, or a metric not filled in
		}
		if len(sheetRows) == maxRows {
			return out, hin.Invalid("file", "an upload holds at most %d rows", maxRows)
		}
		var line []string
		for _, c := range readColumns {
			if _, ok := col[c]; ok {
				line = append(line, get(c))
			}
		}
		_ = cw.Write(line)
		sheetRows = append(sheetRows, n)
	}
	if err := rows.Error(); err != nil {
		return out, hin.Invalid("file", "the sheet %s cannot be read: %s", hin.Quote(sheet), hin.Quote(err.Error()))
	}
	if len(col) == 0 {
		return out, hin.Invalid("file", "no header row: %s has no row starting with metric_code", hin.Quote(sheet))
	}
	if len(sheetRows) == 0 {
		return out, nil // nothing but not-available marks
	}
	cw.Flush()
	err = out.readFigures(&buf, sheetRows, maxRows)
	return out, err
}

// readMeta reads what the hidden sheet says the file is for.
func (out *Upload) readMeta(f *excelize.File) {
	meta, err := f.GetRows(metaSheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return
	}
	for _, m := range meta {
		if len(m) < 2 {
			continue
		}
		switch m[0] {
		case "period_id":
			out.PeriodID = strings.TrimSpace(m[1])
		case "region_code":
			out.RegionCode = strings.ToUpper(strings.TrimSpace(m[1]))
		}
	}
}

// readFigures reads the figure columns, written out as CSV, with the rules
// of a CSV return, and gives every row and problem its sheet row.
func (out *Upload) readFigures(csvText io.Reader, sheetRows []int, maxRows int) error {
	lines, err := hin.ReadReturnCSV(csvText, &out.Return, maxRows)
	// CSV line k+1 (after the header) is sheet row sheetRows[k]
	toSheet := func(l int) int {
		if l >= 2 && l-2 < len(sheetRows) {
			return sheetRows[l-2]
		}
		return l
	}
	if err != nil {
		return hin.MapProblems(err, func(pr hin.Problem) hin.Problem {
			if pr.Line != nil {
				l := toSheet(*pr.Line)
				pr.Line = &l
			}
			return pr
		})
	}
	out.Lines = make([]int, len(lines))
	for i, l := range lines {
		out.Lines[i] = toSheet(l)
	}
	return nil
}
