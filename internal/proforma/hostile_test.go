package proforma_test

import (
	"archive/zip"
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/proforma"
)

// A proforma written by Write, with its parts replaced by the caller's.
func doctored(t *testing.T, parts map[string]string) []byte {
	t.Helper()
	start := time.Date(2025, time.April, 1, 0, 0, 0, 0, time.UTC)
	sheet := hin.SubmissionSheet{
		Collection: hin.Collection{Code: "PSR", Name: "Patient safety return"},
		Period: hin.CollectionPeriod{ID: hin.StableUUID("test", "period"), PeriodStart: start, PeriodEnd: start.AddDate(0, 1, -1),
			Deadline: start.AddDate(0, 1, 14), CloseDate: start.AddDate(0, 2, 0), Cadence: hin.CadenceMonthly},
		Region: hin.Region{Code: "HI-EM", Name: "East Midlands"},
		Rows:   []hin.SheetRow{{Metric: hin.Metric{Code: "staff_trained", Name: "Staff trained", Unit: "people", Kind: hin.MetricCount}}},
	}
	var src bytes.Buffer
	if err := proforma.Write(&src, sheet); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(src.Bytes()), int64(src.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	put := func(name string, r io.Reader) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range zr.File {
		if p, ok := parts[f.Name]; ok {
			put(f.Name, strings.NewReader(p))
			delete(parts, f.Name)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		put(f.Name, rc)
		_ = rc.Close()
	}
	for name, p := range parts {
		put(name, strings.NewReader(p))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
const sheetTail = `</sheetData></worksheet>`

// Issue 18 probes: a workbook of a few kilobytes whose cells sit in the
// last column, or whose shared strings number millions, made excelize
// build gigabytes (a 9 KB upload grew the server by 250 MB per 400 rows)
// and spend minutes of CPU past the upload's deadline. Each is refused
// as INVALID_ARGUMENT before excelize reads it, with little memory.
func TestReadRefusesWorkbooksThatExpand(t *testing.T) {
	t.Parallel()
	wide := strings.Repeat(`<row><c r="XFD1"><v>1</v></c></row>`, 1000)
	header := `<row><c t="inlineStr"><is><t>metric_code</t></is></c><c t="inlineStr"><is><t>value</t></is></c></row>`
	cases := map[string]map[string]string{
		"last column in the hidden sheet": {"xl/worksheets/sheet2.xml": sheetHead + wide + sheetTail},
		"last column in the return":       {"xl/worksheets/sheet1.xml": sheetHead + header + wide + sheetTail},
		"cells without references":        {"xl/worksheets/sheet1.xml": sheetHead + header + `<row>` + strings.Repeat(`<c><v>1</v></c>`, 5000) + `</row>` + sheetTail},
		"a million cells": {"xl/worksheets/sheet1.xml": sheetHead + header +
			strings.Repeat(`<row>`+strings.Repeat(`<c><v>1</v></c>`, 100)+`</row>`, 10001) + sheetTail},
		"60 MB without a tag": {"xl/worksheets/sheet1.xml": sheetHead + header + `<row><c><v>` + strings.Repeat("1", 60<<20) + `</v></c></row>` + sheetTail},
		"a row past the last": {"xl/worksheets/sheet2.xml": sheetHead + `<row r="1048576"><c r="A1048576"><v>1</v></c></row>` + sheetTail},
		"millions of shared strings": {"xl/sharedStrings.xml": `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
			strings.Repeat(`<si><t/></si>`, 1_000_000) + `</sst>`},
	}
	for name, parts := range cases {
		t.Run(name, func(t *testing.T) {
			file := doctored(t, parts)
			var err error
			grew := peakHeap(func() { _, err = proforma.Read(bytes.NewReader(file), "HI-EM", hin.MaxCSVReturnRows) })
			if hin.ErrorCode(err) != hin.EINVALID {
				t.Fatalf("Read = %v, want INVALID_ARGUMENT", err)
			}
			t.Log(hin.ErrorMessage(err))
			if grew > 150<<20 {
				t.Errorf("reading a %d-byte upload grew the heap by %d MB", len(file), grew>>20)
			}
		})
	}
}

// peakHeap runs f and answers the most the heap grew meanwhile, sampled.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(stop)
	if p := <-done; p > base.HeapAlloc {
		return p - base.HeapAlloc
	}
	return 0
}
