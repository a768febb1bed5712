package hin_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hin-graph/hin-graph/internal/hin"
)

func TestReadReturnCSV(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, csv, region string
		rows              int
		lines             []int
		problem           string // a problem's field and line, "" when none
	}{
		{"bom, any case", "\ufeffMETRIC_CODE,Period_Start,period_end,value\nx_y,2024-04-01,2024-04-30,3\n", "HI-EM", 1, []int{2}, ""},
		{"quoted newline keeps lines", "metric_code,source,period_start,period_end,value\na_b,\"two\nlines\",2024-04-01,2024-04-30,1\nc_d,,2024-04-01,2024-04-30,2\n", "HI-EM", 2, []int{2, 4}, ""},
		{"blank lines skipped", "metric_code,value\n\na_b,1\n", "HI-EM", 1, []int{3}, ""},
		{"bad date", "metric_code,period_start,value\na_b,01/04/2024,1\na_b,2024-04-01,1\n", "HI-EM", 0, nil, "period_start@2"},
		{"bad number", "metric_code,value\na_b,1\na_b,lots\n", "HI-EM", 0, nil, "value@3"},
		{"another region", "region_code,metric_code,value\nHI-EM,a_b,1\nhi-wm,a_b,1\n", "HI-EM", 0, nil, "region_code@3"},
		{"region from the file", "region_code,metric_code,value\nhi-em,a_b,1\n", "", 1, []int{2}, ""},
		{"unknown column", "metric_code,colour\na_b,red\n", "HI-EM", 0, nil, "csv@0"},
		{"no rows", "metric_code,value\n", "HI-EM", 0, nil, "csv@0"},
		{"status", "metric_code,value,status\na_b,1,maybe\n", "HI-EM", 0, nil, "status@2"},
		// a malformed line between good ones is a problem of its line, never skipped
		{"bare quote on a middle line", "metric_code,value\na_b,1\na_\"b,2\na_b,3\n", "HI-EM", 0, nil, "csv@3"},
		{"text after a quoted field on a middle line", "metric_code,value\na_b,1\n\"a_b\"x,2\na_b,3\n", "HI-EM", 0, nil, "csv@3"},
		{"unclosed quote on a middle line", "metric_code,value\na_b,1\na_b,\"2\na_b,3\n", "HI-EM", 0, nil, "csv@3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := hin.ReturnInput{RegionCode: tc.region}
			lines, err := hin.ReadReturnCSV(strings.NewReader(tc.csv), &in, 100)
			if tc.problem == "" {
				if err != nil || len(in.Rows) != tc.rows || len(lines) != len(tc.lines) {
					t.Fatalf("rows %d lines %v err %v", len(in.Rows), lines, err)
				}
				for i := range lines {
					if lines[i] != tc.lines[i] {
						t.Errorf("lines %v, want %v", lines, tc.lines)
					}
				}
				if in.RegionCode != "HI-EM" {
					t.Errorf("region %q", in.RegionCode)
				}
				return
			}
			e, ok := err.(*hin.Error)
			if !ok || e.Code != hin.EINVALID {
				t.Fatalf("want INVALID_ARGUMENT, got %v", err)
			}
			field, line, _ := strings.Cut(tc.problem, "@")
			if line == "0" {
				if e.Field != field {
					t.Errorf("field %q, want %q (%v)", e.Field, field, err)
				}
				return
			}
			found := false
			for _, p := range e.Problems {
				found = found || (p.Field == field && p.Line != nil && line == strconv.Itoa(*p.Line))
			}
			if !found {
				t.Errorf("no problem %s in %+v", tc.problem, e.Problems)
			}
		})
	}
}
