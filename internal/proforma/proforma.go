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
	"strconv"
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
	meta := [][]any{{"format", format}, {"collection", hin.CellText(p.Collection.Code)}, {"period_id", p.Period.GlobalID()},
		{"period_start", date(p.Period.PeriodStart)}, {"period_end", date(p.Period.PeriodEnd)}, {"region_code", p.Region.Code}}
	for i, m := range meta {
		if err := f.SetSheetRow(metaSheet, cell(1, i+1), &m); err != nil {
			return err
		}
	}
	return f.SetSheetVisible(metaSheet, false)
}

// metaRows reads the hidden sheet's first rows, which hold all Write puts
// there: the rest of a doctored sheet is not read.
func metaRows(f *excelize.File) ([][]string, error) {
	rows, err := f.Rows(metaSheet)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out [][]string
	for len(out) < 50 && rows.Next() {
		r, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, rows.Error()
}

func cell(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	return c
}

// Upload is a workbook read back: a proforma, or a return kept in a
// spreadsheet.
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
	// Sheet is the sheet read; column gives each header's column (1 = A).
	Sheet  string
	column map[string]int
}

// Limits on what an uploaded workbook may unpack to, so a small file
// cannot expand into gigabytes.
const (
	maxUnzipped    = 64 << 20
	maxUnzippedXML = 16 << 20
)

// IsWorkbook says whether an upload starts like an .xlsx file (a zip).
func IsWorkbook(head []byte) bool { return bytes.HasPrefix(head, []byte("PK\x03\x04")) }

// Read reads an uploaded proforma: its figure columns only (the others,
// status included, are there to read), and its not-available marks.
func Read(r io.Reader, regionCode string, maxRows int) (Upload, error) {
	return ReadSheet(r, hin.ReturnInput{RegionCode: regionCode}, readColumns, maxRows)
}

// ReadReturn reads a return kept in a spreadsheet: the columns of a CSV
// return (hin.ReturnCSVColumns), with the same rules and limits.
func ReadReturn(r io.Reader, in hin.ReturnInput, maxRows int) (Upload, error) {
	return ReadSheet(r, in, hin.ReturnCSVColumns, maxRows)
}

// ReadSheet reads an uploaded workbook: the Return sheet (or the first),
// its header row (the first of the first 20 rows with a metric_code cell),
// then one figure per row, through hin.ReadReturnCSV with the columns
// named in columns; a not_available_reason column marks metrics not
// available. Every problem names the sheet, the row and the cell.
func ReadSheet(r io.Reader, in hin.ReturnInput, columns []string, maxRows int) (Upload, error) {
	out := Upload{Return: in}
	file, err := io.ReadAll(r) // excelize reads it whole too
	if err != nil {
		return out, err
	}
	if err := scan(file, maxRows); err != nil {
		return out, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(file), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzippedXML})
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
	out.Sheet = sheet
	if slices.Contains(sheets, metaSheet) {
		out.readMeta(f)
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return out, hin.Invalid("file", "the sheet %s cannot be read: %s", hin.Quote(sheet), hin.Quote(err.Error()))
	}
	defer func() { _ = rows.Close() }()
	col := map[string]int{} // header -> index in a row
	var header []string     // the CSV columns passed on
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
				return out, hin.Invalid("file", "no header row: the first 20 rows of %s have no metric_code cell", hin.Quote(sheet))
			}
			if slices.ContainsFunc(rec, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), "metric_code") }) {
				for i, h := range rec {
					if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
						col[h] = i
					}
				}
				for _, c := range columns {
					if _, ok := col[c]; ok {
						header = append(header, c)
					}
				}
				_ = cw.Write(header)
				out.column = map[string]int{}
				for _, c := range header {
					out.column[c] = col[c] + 1
				}
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
		line := make([]string, len(header))
		for i, c := range header {
			line[i] = get(c)
			if (c == "period_start" || c == "period_end") && line[i] != "" {
				line[i] = sheetDate(line[i])
			}
		}
		_ = cw.Write(line)
		sheetRows = append(sheetRows, n)
	}
	if err := rows.Error(); err != nil {
		return out, hin.Invalid("file", "the sheet %s cannot be read: %s", hin.Quote(sheet), hin.Quote(err.Error()))
	}
	if len(col) == 0 {
		return out, hin.Invalid("file", "no header row: %s has no row with a metric_code cell", hin.Quote(sheet))
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
	meta, err := metaRows(f)
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
	out.Lines = make([]int, len(lines))
	for i, l := range lines {
		out.Lines[i] = toSheet(l)
	}
	if err != nil {
		return out.locate(hin.MapProblems(err, func(pr hin.Problem) hin.Problem {
			if pr.Line != nil {
				l := toSheet(*pr.Line)
				pr.Line = &l
			}
			return pr
		}))
	}
	return nil
}

// Locate names where each problem of err is in the sheet: its row (from
// the problem's row of the return) and the cell of its field's column.
func (u Upload) Locate(err error) error {
	return u.locate(hin.WithLines(err, u.Lines))
}

func (u Upload) locate(err error) error {
	return hin.MapProblems(err, func(pr hin.Problem) hin.Problem {
		if pr.Line == nil {
			return pr
		}
		pr.Sheet = u.Sheet
		c, ok := u.column[snake(pr.Field)]
		if !ok {
			c = u.column["metric_code"] // the row as a whole: its first figure cell
		}
		if c > 0 {
			pr.Cell = cell(c, *pr.Line)
		}
		return pr
	})
}

// snake turns a GraphQL input field (periodStart) into its column
// (period_start); a column name stays as it is.
func snake(field string) string {
	var b strings.Builder
	for _, r := range field {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sheetDate reads a date cell: Excel keeps a date typed into a cell as a
// serial number of days, which becomes YYYY-MM-DD; text is left to the
// CSV rules.
func sheetDate(v string) string {
	serial, err := strconv.ParseFloat(v, 64)
	if err != nil || serial < 1 || serial > 2958465 { // up to 9999-12-31
		return v
	}
	t, err := excelize.ExcelDateToTime(serial, false)
	if err != nil {
		return v
	}
	return t.Format(time.DateOnly)
}

func date(t time.Time) string { return t.Format(time.DateOnly) }
