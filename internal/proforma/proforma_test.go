package proforma_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/proforma"
)

// Issue 18, hole 3: the workbook's text cells go through hin.CellText like
// every CSV export's, and a not-available reason read back from the sheet
// is the text that was written.
func TestProformaNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, time.April, 1, 0, 0, 0, 0, time.UTC)
	reason := "=HYPERLINK(\"http://evil.example/\",\"why\")"
	sheet := hin.SubmissionSheet{
		Collection: hin.Collection{Code: "PSR", Name: "+Patient safety return"},
		Period: hin.CollectionPeriod{ID: hin.StableUUID("test", "period"), PeriodStart: start, PeriodEnd: start.AddDate(0, 1, -1),
			Deadline: start.AddDate(0, 1, 14), CloseDate: start.AddDate(0, 2, 0), Cadence: hin.CadenceMonthly},
		Region: hin.Region{Code: "HI-EM", Name: "East Midlands"},
		Rows: []hin.SheetRow{{Metric: hin.Metric{Code: "staff_trained", Name: "@Staff trained", Unit: "-people", Kind: hin.MetricCount},
			NotAvailable: &reason}},
	}
	var buf bytes.Buffer
	if err := proforma.Write(&buf, sheet); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	for at, want := range map[string]string{"A1": "'+Patient safety return", "B6": "'@Staff trained", "C6": "'-people", "J6": "'" + reason} {
		got, err := f.GetCellValue(proforma.ReturnSheet, at, excelize.Options{RawCellValue: true})
		if err != nil || !strings.HasPrefix(got, want) {
			t.Errorf("cell %s: %q (%v), want it to start %q", at, got, err, want)
		}
		if formula, _ := f.GetCellFormula(proforma.ReturnSheet, at); formula != "" {
			t.Errorf("cell %s holds the formula %q", at, formula)
		}
	}
	up, err := proforma.Read(bytes.NewReader(buf.Bytes()), "HI-EM", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(up.NotAvailable) != 1 || up.NotAvailable[0].Reason != reason {
		t.Errorf("the reason read back: %+v, want %q", up.NotAvailable, reason)
	}
}
