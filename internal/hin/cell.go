package hin

import "strings"

// formulaLead holds the characters that make a spreadsheet read a cell as
// a formula (or, for tab and carriage return, hide one behind them).
const formulaLead = "=+-@\t\r"

// CellText is a text cell as every CSV and workbook export writes it: text
// starting with = + - @, a tab or a carriage return gets a leading
// apostrophe, so that a spreadsheet shows it as text rather than running it
// as a formula (CSV injection, as OWASP describes it). Only text goes
// through here: numbers are written as numbers and keep their sign.
func CellText(s string) string {
	if formulaAfterQuotes(s) {
		return "'" + s
	}
	return s
}

// CellTextValue undoes CellText for a cell read back from an export (a
// proforma uploaded again), so a round trip keeps the text exactly.
func CellTextValue(s string) string {
	if strings.HasPrefix(s, "'") && formulaAfterQuotes(s) {
		return s[1:]
	}
	return s
}

// formulaAfterQuotes says whether s, past any apostrophes CellText added
// (or the text had), starts like a formula. Counting the apostrophes a text
// already had keeps CellTextValue an exact inverse: a text of one
// apostrophe and =x is written with two, and read back with one.
func formulaAfterQuotes(s string) bool {
	rest := strings.TrimLeft(s, "'")
	return rest != "" && strings.IndexByte(formulaLead, rest[0]) >= 0
}
