package proforma

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// What an uploaded workbook may hold, checked before excelize reads it:
// excelize turns a row into one string per column up to its last cell and
// keeps every shared string parsed, so a few kilobytes naming the last
// column, or millions of empty strings, grow into gigabytes and minutes of
// CPU that no deadline stops (about 10 s for 4 million cells). A proforma
// uses 15 columns, a row per metric and a few shared strings per row; a
// return of the most rows an upload may hold, with 20 columns, fits.
const (
	maxColumns       = 100
	maxCells         = 20 * hin.MaxCSVReturnRows
	maxParts         = 1000
	maxSheets        = 100
	maxSharedStrings = 2 * hin.MaxCSVReturnRows
	rowsAboveData    = 1000 // title, header and blank rows a sheet may have besides its figures
)

// scan refuses a workbook whose sheets reach past maxColumns or past the
// rows an upload may have, or whose shared strings or sheets are too many.
// What it cannot parse it leaves for excelize to refuse.
func scan(file []byte, maxRows int) error {
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		return nil // not a zip: excelize says so
	}
	if len(zr.File) > maxParts {
		return hin.Invalid("file", "the workbook holds %d parts; an uploaded workbook holds at most %d", len(zr.File), maxParts)
	}
	lastRow := maxRows + rowsAboveData
	var budget int64 = maxUnzipped
	cells := 0 // in every sheet
	for _, f := range zr.File {
		name := strings.ToLower(f.Name)
		var check func(*xml.Decoder) error
		switch {
		case name == "xl/sharedstrings.xml":
			check = func(d *xml.Decoder) error { return countElements(d, "si", maxSharedStrings, "shared strings") }
		case name == "xl/workbook.xml":
			check = func(d *xml.Decoder) error { return countElements(d, "sheet", maxSheets, "sheets") }
		case strings.HasPrefix(name, "xl/worksheets/") && path.Ext(name) == ".xml":
			check = func(d *xml.Decoder) error { return checkSheet(d, lastRow, &cells) }
		default:
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil
		}
		// the same budget excelize applies, counted as read, not as declared
		body := &io.LimitedReader{R: rc, N: budget + 1}
		err = check(xml.NewDecoder(&shortText{r: body}))
		_ = rc.Close()
		budget = body.N - 1
		if budget < 0 {
			return hin.Invalid("file", "the workbook unpacks to more than %d MB", maxUnzipped>>20)
		}
		if err != nil {
			var coded *hin.Error
			if errors.As(err, &coded) {
				return err
			}
			return nil // malformed XML: excelize reports it
		}
	}
	return nil
}

// countElements refuses a part with more than max elements named local.
func countElements(d *xml.Decoder, local string, max int, what string) error {
	n := 0
	for {
		tok, err := d.RawToken()
		if err != nil {
			return ignoreEOF(err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == local {
			if n++; n > max {
				return hin.Invalid("file", "the workbook holds more than %d %s", max, what)
			}
		}
	}
}

// checkSheet refuses a worksheet with a cell past maxColumns or a row past
// lastRow, or one that brings the workbook's cells past maxCells; a row or
// cell without a reference follows the one before, as excelize reads it.
func checkSheet(d *xml.Decoder, lastRow int, cells *int) error {
	row, col := 0, 0
	for {
		tok, err := d.RawToken()
		if err != nil {
			return ignoreEOF(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "row":
			row, col = row+1, 0
			if r, err := strconv.Atoi(attr(se, "r")); err == nil {
				row = r
			}
			if row > lastRow {
				return hin.Invalid("file", "the sheet has a row %d; an upload uses at most the first %d rows", row, lastRow)
			}
		case "c":
			if *cells++; *cells > maxCells {
				return hin.Invalid("file", "the workbook has more than %d cells; send a CSV return for more figures", maxCells)
			}
			col++
			if c, _, err := excelize.CellNameToCoordinates(attr(se, "r")); err == nil {
				col = c
			}
			if col > maxColumns {
				name, _ := excelize.ColumnNumberToName(col)
				return hin.Invalid("file", "row %d has a cell in column %s; an upload uses at most the first %d columns", row, name, maxColumns)
			}
		}
	}
}

// maxTextRun is the longest run of bytes between two tags: a cell holds at
// most 32,767 characters in Excel. encoding/xml keeps a whole run in
// memory before it looks at it, so a part of 64 MB without a tag would.
const maxTextRun = 1 << 20

// shortText refuses a run of text longer than maxTextRun.
type shortText struct {
	r   io.Reader
	run int
}

func (s *shortText) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	for _, b := range p[:n] {
		if b == '<' {
			s.run = 0
		} else if s.run++; s.run > maxTextRun {
			return 0, hin.Invalid("file", "the workbook has more than %d bytes of text between two tags; a cell holds at most 32,767 characters", maxTextRun)
		}
	}
	return n, err
}

func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func ignoreEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}
