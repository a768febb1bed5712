package hin_test

// Table tests of the national figure rules: the request check and the
// assembly of figures, coverage, series, breakdowns, comparisons, the
// pipeline and the spread from the rows the store returns. No database:
// the rows are written out here as the store would send them.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

var (
	patients = hin.Metric{ID: "m-patients", Code: "patients_benefiting", Kind: hin.MetricCount, Unit: "patients"}
	saved    = hin.Metric{ID: "m-saved", Code: "cost_savings", Kind: hin.MetricCount, Unit: "GBP"}
	lipid    = hin.Metric{ID: "m-lipid", Code: "lipid_treated_to_target", Kind: hin.MetricRate, Unit: "patients"}
	sites    = hin.Metric{ID: "m-sites", Code: "sites_live", Kind: hin.MetricSnapshot, Unit: "sites"}

	catalogue = map[string]hin.Metric{patients.Code: patients, saved.Code: saved, lipid.Code: lipid, sites.Code: sites}

	regionA = hin.Region{ID: "r-a", Code: "HI-A"}
	regionB = hin.Region{ID: "r-b", Code: "HI-B"}
	regionC = hin.Region{ID: "r-c", Code: "HI-C"}
	regions = []hin.Region{regionA, regionB, regionC}
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func fy(label string) hin.WindowInput { return hin.WindowInput{FinancialYear: &label} }

func same(got *float64, want float64) bool {
	return got != nil && math.Abs(*got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

func show(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

// spec checks a request that must pass.
func spec(t *testing.T, ctx context.Context, shape hin.FigureShape, r hin.FigureRequest) *hin.FigureSpec {
	t.Helper()
	s, err := r.Check(ctx, shape, func() (map[string]hin.Metric, error) { return catalogue, nil })
	if err != nil {
		t.Fatalf("check %+v: %v", r, err)
	}
	return s
}

func TestFigureRequestCheckRefuses(t *testing.T) {
	t.Parallel()
	anon := context.Background()
	tooMany := make([]string, hin.MaxFigureMetrics+1)
	for i := range tooMany {
		tooMany[i] = patients.Code
	}
	for _, tc := range []struct {
		name       string
		shape      hin.FigureShape
		req        hin.FigureRequest
		code       string
		field      string
		says       string
		readsMetas bool // whether the catalogue may be read before refusing
	}{
		{"no metrics", hin.ShapeFigure, hin.FigureRequest{Window: fy("FY2023-24")}, hin.EINVALID, "metrics", "from 1 to 20", false},
		{"too many metrics", hin.ShapeFigure, hin.FigureRequest{Metrics: tooMany, Window: fy("FY2023-24")}, hin.EINVALID, "metrics", "from 1 to 20", false},
		{"unknown metric", hin.ShapeFigure, hin.FigureRequest{Metrics: []string{"nope"}, Window: fy("FY2023-24")}, hin.EINVALID, "metrics", `"nope"`, true},
		{"kinds differ", hin.ShapeFigure, hin.FigureRequest{Metrics: []string{patients.Code, lipid.Code}, Window: fy("FY2023-24")}, hin.EINCOMPATIBLE, "metrics", "same kind", true},
		{"units differ", hin.ShapeSeries, hin.FigureRequest{Metrics: []string{patients.Code, saved.Code}, Window: fy("FY2023-24"), Interval: hin.DimMonth}, hin.EINCOMPATIBLE, "metrics", "units are never mixed", true},
		{"bad window", hin.ShapeFigure, hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-25")}, hin.EINVALID, "window.financialYear", "FY2023-24", true},
		{"drafts for anonymous", hin.ShapeFigure, hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24"), IncludeDrafts: ptr(true)}, hin.EFORBIDDEN, "includeDrafts", "includeDrafts", true},
		{"interval not a period", hin.ShapeSeries, hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24"), Interval: hin.DimRegion}, hin.EINVALID, "interval", "not REGION", false},
		{"no interval", hin.ShapeSeries, hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24")}, hin.EINVALID, "interval", "MONTH, QUARTER or FINANCIAL_YEAR", false},
		{"groupBy before metrics", hin.ShapeBreakdown, hin.FigureRequest{Window: fy("FY2023-24")}, hin.EINVALID, "groupBy", "at least one", false},
		{"groupBy twice", hin.ShapeBreakdown, hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24"), GroupBy: []hin.Dimension{hin.DimRegion, hin.DimRegion}}, hin.EINVALID, "groupBy", "REGION is named twice", false},
		{"two period sizes", hin.ShapeBreakdown, hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24"), GroupBy: []hin.Dimension{hin.DimMonth, hin.DimQuarter}}, hin.EINVALID, "groupBy", "at most one of MONTH", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reads := 0
			_, err := tc.req.Check(anon, tc.shape, func() (map[string]hin.Metric, error) { reads++; return catalogue, nil })
			he := asHinError(t, err, tc.code)
			if he.Field != tc.field || !strings.Contains(he.Message, tc.says) {
				t.Errorf("field %q message %q; want field %q and a message with %q", he.Field, he.Message, tc.field, tc.says)
			}
			if !tc.readsMetas && reads > 0 {
				t.Errorf("the catalogue was read %d times before a refusal that needs none", reads)
			}
		})
	}

	t.Run("a catalogue that cannot be read fails the request", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("database down")
		_, err := hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24")}.Check(anon, hin.ShapeFigure,
			func() (map[string]hin.Metric, error) { return nil, boom })
		if !errors.Is(err, boom) {
			t.Errorf("got %v, want the catalogue's error", err)
		}
	})
}

func TestFigureRequestCheckResolves(t *testing.T) {
	t.Parallel()
	analyst := hin.WithPrincipal(context.Background(), hin.Principal{Role: hin.RoleAnalyst})
	editor := hin.WithPrincipal(context.Background(), hin.Principal{Role: hin.RoleRegionEditor, RegionID: regionB.ID})
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		shape   hin.FigureShape
		req     hin.FigureRequest
		metrics []hin.Metric
		kind    hin.MetricKind
		unit    string
		groupBy []hin.Dimension
		drafts  hin.DraftScope
	}{
		{"a metric named twice counts once", context.Background(), hin.ShapeFigure,
			hin.FigureRequest{Metrics: []string{patients.Code, patients.Code}, Window: fy("FY2023-24")},
			[]hin.Metric{patients}, hin.MetricCount, "patients", nil, hin.DraftScope{}},
		{"rates are fractions", context.Background(), hin.ShapeFigure,
			hin.FigureRequest{Metrics: []string{lipid.Code}, Window: fy("FY2023-24")},
			[]hin.Metric{lipid}, hin.MetricRate, "fraction", nil, hin.DraftScope{}},
		{"a comparison mixes kinds and groups by metric", context.Background(), hin.ShapeComparison,
			hin.FigureRequest{Metrics: []string{sites.Code, patients.Code, lipid.Code}, Window: fy("FY2023-24")},
			[]hin.Metric{sites, patients, lipid}, hin.MetricSnapshot, "sites", []hin.Dimension{hin.DimMetric}, hin.DraftScope{}},
		{"a series groups by its interval", context.Background(), hin.ShapeSeries,
			hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24"), Interval: hin.DimQuarter},
			[]hin.Metric{patients}, hin.MetricCount, "patients", []hin.Dimension{hin.DimQuarter}, hin.DraftScope{}},
		{"a breakdown groups by its dimensions", context.Background(), hin.ShapeBreakdown,
			hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24"), GroupBy: []hin.Dimension{hin.DimRegion, hin.DimMonth}},
			[]hin.Metric{patients}, hin.MetricCount, "patients", []hin.Dimension{hin.DimRegion, hin.DimMonth}, hin.DraftScope{}},
		{"analysts see every draft", analyst, hin.ShapeFigure,
			hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24"), IncludeDrafts: ptr(true)},
			[]hin.Metric{patients}, hin.MetricCount, "patients", nil, hin.DraftScope{All: true}},
		{"editors see their region's drafts", editor, hin.ShapeFigure,
			hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24"), IncludeDrafts: ptr(true)},
			[]hin.Metric{patients}, hin.MetricCount, "patients", nil, hin.DraftScope{RegionIDs: []string{regionB.ID}}},
		{"no drafts unless asked", analyst, hin.ShapeFigure,
			hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24"), IncludeDrafts: ptr(false)},
			[]hin.Metric{patients}, hin.MetricCount, "patients", nil, hin.DraftScope{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := spec(t, tc.ctx, tc.shape, tc.req)
			if fmt.Sprint(s.Metrics) != fmt.Sprint(tc.metrics) || s.Kind != tc.kind || s.Unit != tc.unit ||
				fmt.Sprint(s.GroupBy) != fmt.Sprint(tc.groupBy) || fmt.Sprint(s.Drafts) != fmt.Sprint(tc.drafts) {
				t.Errorf("spec = %+v", s)
			}
			if !s.Window.From.Equal(day("2023-04-01")) || !s.Window.To.Equal(day("2024-03-31")) {
				t.Errorf("window = %+v", s.Window)
			}
			q := s.Query([]string{regionA.ID})
			if fmt.Sprint(q.GroupBy) != fmt.Sprint(tc.groupBy) || len(q.RegionIDs) != 1 || len(q.Metrics) != len(tc.metrics) {
				t.Errorf("query = %+v", q)
			}
		})
	}
}

// row is an aggregate row of one region (region != "") or a total.
func row(region string, n int64, v float64) hin.AggregateRow {
	r := hin.AggregateRow{Outcomes: n, Sum: &v, Snapshot: &v, Regions: 1}
	if region == "" {
		r.Total = true
	} else {
		r.RegionID = &region
	}
	return r
}

func rateRow(region string, num, den float64) hin.AggregateRow {
	r := row(region, 1, 0)
	r.Sum, r.Numerator, r.Denominator = nil, &num, &den
	return r
}

func TestFigureAndCoverage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	codes := func(rs []hin.Region) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Code)
		}
		return strings.Join(out, ",")
	}
	type part struct {
		reported bool
		value    *float64
	}
	for _, tc := range []struct {
		name              string
		req               hin.FigureRequest
		rows              []hin.AggregateRow
		value             *float64
		num, den          *float64
		outcomes          int
		reporting, absent string
		parts             []part
	}{
		{"regions that sent nothing are missing, not zero",
			hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24")},
			[]hin.AggregateRow{row("", 5, 130), row("r-a", 3, 100), row("r-c", 2, 30)},
			ptr(130.0), nil, nil, 5, "HI-A,HI-C", "HI-B",
			[]part{{true, ptr(100.0)}, {false, nil}, {true, ptr(30.0)}}},
		{"no rows: every region missing, value null",
			hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24")},
			nil, nil, nil, nil, 0, "", "HI-A,HI-B,HI-C",
			[]part{{false, nil}, {false, nil}, {false, nil}}},
		{"a region filter narrows the regions expected",
			hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24"), Filter: &hin.FigureFilter{RegionCodes: []string{"HI-B", "HI-C"}}},
			[]hin.AggregateRow{row("", 2, 30), row("r-c", 2, 30)},
			ptr(30.0), nil, nil, 2, "HI-C", "HI-B",
			[]part{{false, nil}, {true, ptr(30.0)}}},
		{"rates divide the totals and show them",
			hin.FigureRequest{Metrics: []string{lipid.Code}, Window: fy("FY2023-24")},
			[]hin.AggregateRow{rateRow("", 100, 400), rateRow("r-a", 90, 100), rateRow("r-b", 10, 300)},
			ptr(0.25), ptr(100.0), ptr(400.0), 1, "HI-A,HI-B", "HI-C",
			[]part{{true, ptr(0.9)}, {true, ptr(10.0 / 300)}, {false, nil}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := spec(t, ctx, hin.ShapeFigure, tc.req).NationalFigure(tc.rows, regions)
			if show(f.Value) != show(tc.value) && !(tc.value != nil && same(f.Value, *tc.value)) {
				t.Errorf("value = %s, want %s", show(f.Value), show(tc.value))
			}
			if show(f.Numerator) != show(tc.num) || show(f.Denominator) != show(tc.den) || f.OutcomeCount != tc.outcomes {
				t.Errorf("numerator %s denominator %s outcomes %d", show(f.Numerator), show(f.Denominator), f.OutcomeCount)
			}
			c := f.Coverage
			if codes(c.ReportingRegions) != tc.reporting || codes(c.MissingRegions) != tc.absent ||
				c.ReportingCount != len(c.ReportingRegions) || c.ExpectedCount != len(tc.parts) {
				t.Errorf("coverage = %+v", c)
			}
			if c.ReportingRegions == nil || c.MissingRegions == nil {
				t.Error("coverage lists must be empty, not null")
			}
			if len(f.ByRegion) != len(tc.parts) {
				t.Fatalf("%d parts, want %d", len(f.ByRegion), len(tc.parts))
			}
			for i, p := range tc.parts {
				got := f.ByRegion[i]
				if got.Reported != p.reported || (p.value == nil) != (got.Value == nil) || (p.value != nil && !same(got.Value, *p.value)) {
					t.Errorf("%s: reported %v value %s, want %v %s", got.Region.Code, got.Reported, show(got.Value), p.reported, show(p.value))
				}
			}
		})
	}

	t.Run("a region's own figure expects only that region", func(t *testing.T) {
		t.Parallel()
		s := spec(t, ctx, hin.ShapeFigure, hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24")})
		f := s.RegionalFigure(regionB, []hin.AggregateRow{row("r-b", 4, 170)})
		if !same(f.Value, 170) || f.OutcomeCount != 4 || f.Coverage.ExpectedCount != 1 || f.Coverage.ReportingCount != 1 || len(f.ByRegion) != 1 {
			t.Errorf("figure = %+v, coverage %+v", f, f.Coverage)
		}
		empty := s.RegionalFigure(regionB, nil)
		if empty.Value != nil || empty.Coverage.ReportingCount != 0 || codes(empty.Coverage.MissingRegions) != "HI-B" {
			t.Errorf("a silent region: value %s, coverage %+v", show(empty.Value), empty.Coverage)
		}
	})

	t.Run("includesDrafts says whether any drafts could be in", func(t *testing.T) {
		t.Parallel()
		in := hin.WithPrincipal(ctx, hin.Principal{Role: hin.RoleNationalAdmin})
		s := spec(t, in, hin.ShapeFigure, hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24"), IncludeDrafts: ptr(true)})
		if !s.NationalFigure(nil, regions).IncludesDrafts {
			t.Error("includesDrafts false with drafts included")
		}
	})
}

func TestSeriesLeavesGaps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	at := func(r hin.AggregateRow, start string, regions int) hin.AggregateRow {
		// the driver hands dates back in another location than UTC
		d := day(start).In(time.FixedZone("driver", 3600))
		r.PeriodStart, r.Regions = &d, regions
		return r
	}
	s := spec(t, ctx, hin.ShapeSeries, hin.FigureRequest{Metrics: []string{patients.Code}, Window: fy("FY2023-24"), Interval: hin.DimQuarter})
	rows := []hin.AggregateRow{
		at(row("", 3, 130), "2023-04-01", 2), at(row("r-a", 2, 100), "2023-04-01", 1), at(row("r-b", 1, 30), "2023-04-01", 1),
		at(row("", 1, 20), "2023-10-01", 1), at(row("r-a", 1, 20), "2023-10-01", 1),
	}
	type point struct {
		label    string
		reported bool
		value    string
		regions  int
	}
	for _, tc := range []struct {
		name   string
		series *hin.Series
		want   []point
	}{
		{"national points are the totals", s.NationalSeries(rows),
			[]point{{"FY2023-24 Q1", true, "130", 2}, {"FY2023-24 Q2", false, "null", 0}, {"FY2023-24 Q3", true, "20", 1}, {"FY2023-24 Q4", false, "null", 0}}},
		{"a region's points are its own", s.RegionalSeries([]hin.AggregateRow{rows[2]}),
			[]point{{"FY2023-24 Q1", true, "30", 1}, {"FY2023-24 Q2", false, "null", 0}, {"FY2023-24 Q3", false, "null", 0}, {"FY2023-24 Q4", false, "null", 0}}},
		{"nothing reported: every period a gap", s.NationalSeries(nil),
			[]point{{"FY2023-24 Q1", false, "null", 0}, {"FY2023-24 Q2", false, "null", 0}, {"FY2023-24 Q3", false, "null", 0}, {"FY2023-24 Q4", false, "null", 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.series.Unit != "patients" || tc.series.Kind != hin.MetricCount || len(tc.series.Points) != len(tc.want) {
				t.Fatalf("series = %+v", tc.series)
			}
			for i, w := range tc.want {
				p := tc.series.Points[i]
				if p.Period.Label != w.label || p.Reported != w.reported || show(p.Value) != w.value || p.ReportingCount != w.regions {
					t.Errorf("point %d = %s %v %s %d, want %+v", i, p.Period.Label, p.Reported, show(p.Value), p.ReportingCount, w)
				}
			}
		})
	}
	if p := s.NationalSeries(nil).Points; !p[0].Period.Start.Equal(day("2023-04-01")) || !p[3].Period.End.Equal(day("2024-03-31")) {
		t.Errorf("quarters run April to March: %+v", p)
	}
}

func TestCheckGroupBy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		groupBy []hin.Dimension
		err     string // "" when allowed
	}{
		{[]hin.Dimension{hin.DimRegion}, ""},
		{[]hin.Dimension{hin.DimRegion, hin.DimProgramme, hin.DimInnovation, hin.DimClinicalArea, hin.DimInnovationStage, hin.DimFinancialYear}, ""},
		{nil, "name at least one dimension"},
		{[]hin.Dimension{}, "name at least one dimension"},
		{[]hin.Dimension{hin.DimProgramme, hin.DimMonth, hin.DimProgramme}, "PROGRAMME is named twice"},
		{[]hin.Dimension{hin.DimMonth, hin.DimFinancialYear}, "at most one of MONTH, QUARTER and FINANCIAL_YEAR"},
		{[]hin.Dimension{hin.DimQuarter, hin.DimQuarter}, "QUARTER is named twice"},
	} {
		err := hin.CheckGroupBy(tc.groupBy)
		if tc.err == "" {
			if err != nil {
				t.Errorf("%v: %v", tc.groupBy, err)
			}
			continue
		}
		if he := asHinError(t, err, hin.EINVALID); he.Field != "groupBy" || !strings.Contains(he.Message, tc.err) {
			t.Errorf("%v: %+v, want %q", tc.groupBy, he, tc.err)
		}
	}
}

func TestBreakdownGroups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prog := hin.Programme{ID: "p-1", Code: "MEDSIP"}
	inn := hin.Innovation{ID: "i-1", Name: "PINCER"}
	grouped := func(r hin.AggregateRow, programme, innovation string, start string) hin.AggregateRow {
		if programme != "" {
			r.ProgrammeID = &programme
		}
		if innovation != "" {
			r.InnovationID = &innovation
		}
		if start != "" {
			d := day(start)
			r.PeriodStart = &d
		}
		return r
	}
	rows := []hin.AggregateRow{
		grouped(row("", 2, 7), "p-1", "", "2023-08-01"), grouped(row("r-a", 1, 3), "p-1", "", "2023-08-01"), grouped(row("r-b", 1, 4), "p-1", "", "2023-08-01"),
		grouped(row("", 1, 5), "", "i-1", "2023-05-01"), grouped(row("r-a", 1, 5), "", "i-1", "2023-05-01"),
		grouped(row("", 1, 9), "p-gone", "", "2023-05-01"),
	}
	describe := func(gs []hin.FigureGroup) string {
		var out []string
		for _, g := range gs {
			s := ""
			if g.Region != nil {
				s += g.Region.Code
			}
			if g.Programme != nil {
				s += "/" + g.Programme.Code
			}
			if g.Innovation != nil {
				s += "/" + g.Innovation.Name
			}
			if g.Period != nil {
				s += "@" + g.Period.Label
			}
			out = append(out, fmt.Sprintf("%s=%s", s, show(g.Value)))
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name    string
		groupBy []hin.Dimension
		pick    func(*hin.FigureSpec) []hin.AggregateRow
		want    string
	}{
		{"without REGION each group's total", []hin.Dimension{hin.DimProgramme, hin.DimMonth},
			func(s *hin.FigureSpec) []hin.AggregateRow { return s.NationalBreakdownRows(rows) },
			"/MEDSIP@2023-08=7 /PINCER@2023-05=5 @2023-05=9"},
		{"with REGION each region's part", []hin.Dimension{hin.DimRegion, hin.DimQuarter},
			func(s *hin.FigureSpec) []hin.AggregateRow { return s.NationalBreakdownRows(rows) },
			"HI-A/MEDSIP@FY2023-24 Q2=3 HI-B/MEDSIP@FY2023-24 Q2=4 HI-A/PINCER@FY2023-24 Q1=5"},
		{"a region's rows without REGION do not name it", []hin.Dimension{hin.DimFinancialYear},
			func(s *hin.FigureSpec) []hin.AggregateRow { return s.RegionalBreakdownRows(rows[1:2]) },
			"/MEDSIP@FY2023-24=3"},
		{"a region's rows with REGION name it", []hin.Dimension{hin.DimRegion},
			func(s *hin.FigureSpec) []hin.AggregateRow { return s.RegionalBreakdownRows(rows[1:2]) },
			"HI-A/MEDSIP=3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := spec(t, ctx, hin.ShapeBreakdown, hin.FigureRequest{Metrics: []string{sites.Code}, Window: fy("FY2023-24"), GroupBy: tc.groupBy})
			picked := tc.pick(s)
			progs, innovs := hin.BreakdownRefs(picked)
			if len(progs)+len(innovs) == 0 {
				t.Fatal("no references to fetch")
			}
			got := describe(s.Groups(picked, regions, map[string]hin.Programme{prog.ID: prog}, map[string]hin.Innovation{inn.ID: inn}))
			if got != tc.want {
				t.Errorf("groups = %s\nwant     %s", got, tc.want)
			}
		})
	}
	if rows[1].RegionID == nil {
		t.Error("RegionalBreakdownRows changed the rows it was given")
	}
	if p, i := hin.BreakdownRefs(rows); fmt.Sprint(p, i) != "[p-1 p-1 p-1 p-gone] [i-1 i-1]" {
		t.Errorf("refs = %v %v", p, i)
	}
}

func TestComparison(t *testing.T) {
	t.Parallel()
	s := spec(t, context.Background(), hin.ShapeComparison, hin.FigureRequest{Metrics: []string{patients.Code, lipid.Code}, Window: fy("FY2023-24")})
	of := func(r hin.AggregateRow, m hin.Metric) hin.AggregateRow { r.MetricID = &m.ID; return r }
	rows := []hin.AggregateRow{
		of(row("", 2, 130), patients), of(row("r-a", 1, 100), patients), of(row("r-c", 1, 30), patients),
		of(rateRow("", 100, 400), lipid), of(rateRow("r-b", 100, 400), lipid),
	}
	c := s.Comparison(rows, regions)
	if len(c.National) != 2 || !same(c.National[0].Value, 130) || !same(c.National[1].Value, 0.25) {
		t.Fatalf("national = %+v", c.National)
	}
	if c.National[0].Unit != "patients" || c.National[1].Unit != "fraction" || c.National[1].Kind != hin.MetricRate || c.National[0].Coverage.ReportingCount != 2 {
		t.Errorf("each metric keeps its own rule: %+v", c.National)
	}
	want := map[string]string{"HI-A": "100 null", "HI-B": "null 0.25", "HI-C": "30 null"}
	if len(c.Rows) != 3 {
		t.Fatalf("%d rows", len(c.Rows))
	}
	for _, r := range c.Rows {
		if got := show(r.Cells[0].Value) + " " + show(r.Cells[1].Value); got != want[r.Region.Code] {
			t.Errorf("%s cells = %s, want %s", r.Region.Code, got, want[r.Region.Code])
		}
	}
}

func TestPipeline(t *testing.T) {
	t.Parallel()
	count := func(region string, st hin.Stage, n, moved, all int) hin.StageCount {
		c := hin.StageCount{Stage: st, Innovations: n, MovedIn: moved, AllMoves: all}
		if region != "" {
			c.RegionID = &region
		}
		return c
	}
	rows := []hin.StageCount{
		count("", hin.StageAdoption, 3, 2, 3), count("", hin.StageIdentifyNeed, 1, 1, 3),
		count("r-a", hin.StageAdoption, 2, 2, 2), count("r-c", hin.StageIdentifyNeed, 1, 1, 1),
	}
	stages := func(cs []hin.StageCount) string {
		var out []string
		for _, c := range cs {
			out = append(out, fmt.Sprintf("%d/%d", c.Innovations, c.MovedIn))
		}
		return strings.Join(out, " ")
	}
	p := hin.NationalPipeline(rows, regions, hin.FigureFilter{})
	if len(p.Stages) != len(hin.Stages) || p.Moves != 3 {
		t.Fatalf("national: %d stages, %d moves", len(p.Stages), p.Moves)
	}
	for i, st := range hin.Stages {
		if p.Stages[i].Stage != st {
			t.Errorf("stage %d is %s, want %s (journey order)", i, p.Stages[i].Stage, st)
		}
	}
	for _, tc := range []struct {
		got          hin.RegionPipeline
		code, stages string
		moves        int
	}{
		{p.ByRegion[0], "HI-A", "0/0 0/0 0/0 0/0 0/0 2/2 0/0", 2},
		{p.ByRegion[1], "HI-B", "0/0 0/0 0/0 0/0 0/0 0/0 0/0", 0},
		{p.ByRegion[2], "HI-C", "1/1 0/0 0/0 0/0 0/0 0/0 0/0", 1},
	} {
		if tc.got.Region.Code != tc.code || stages(tc.got.Stages) != tc.stages || tc.got.Moves != tc.moves {
			t.Errorf("%s: %s moves %d; want %s %s moves %d", tc.got.Region.Code, stages(tc.got.Stages), tc.got.Moves, tc.code, tc.stages, tc.moves)
		}
	}
	if f := hin.NationalPipeline(rows, regions, hin.FigureFilter{RegionCodes: []string{"HI-C"}}); len(f.ByRegion) != 1 || f.ByRegion[0].Region.Code != "HI-C" {
		t.Errorf("filtered to HI-C: %+v", f.ByRegion)
	}
	r := hin.RegionalPipeline(regionA, rows[2:3])
	if r.Moves != 2 || stages(r.Stages) != "0/0 0/0 0/0 0/0 0/0 2/2 0/0" || len(r.ByRegion) != 1 || r.ByRegion[0].Region.Code != "HI-A" {
		t.Errorf("HI-A's own pipeline = %+v", r)
	}
}

func TestAdoptionSpread(t *testing.T) {
	t.Parallel()
	adopted := func(region string, kind hin.OrganisationKind, adopters, orgs, inRegion, all int) hin.AdoptionCount {
		return hin.AdoptionCount{RegionID: region, Kind: kind, Adopters: adopters, Organisations: orgs, RegionAdopters: inRegion, AllAdopters: all}
	}
	// rows come in no particular order; regions come out in code order
	rows := []hin.AdoptionCount{
		adopted("r-c", "ICB", 1, 4, 1, 5),
		adopted("r-a", "ICB", 2, 5, 4, 5),
		adopted("r-a", "TRUST", 2, 0, 4, 5),
	}
	s := hin.NationalSpread(regions, rows)
	if s.Adopters != 5 || len(s.ByRegion) != 2 || s.ByRegion[0].Region.Code != "HI-A" || s.ByRegion[1].Region.Code != "HI-C" {
		t.Fatalf("spread = %+v", s)
	}
	a := s.ByRegion[0]
	if a.Adopters != 4 || len(a.ByKind) != 2 || !same(a.ByKind[0].Share, 0.4) || a.ByKind[1].Share != nil {
		t.Errorf("HI-A = %+v (a kind with no organisations has no share)", a)
	}
	if r := hin.RegionalSpread(regionA, rows[1:]); r.Adopters != 4 || len(r.ByRegion) != 1 {
		t.Errorf("HI-A's own spread = %+v, want its 4 adopters", r)
	}
	if r := hin.RegionalSpread(regionB, nil); r.Adopters != 0 || len(r.ByRegion) != 0 || r.ByRegion == nil {
		t.Errorf("a region with no adopters = %+v", r)
	}
	if e := hin.NationalSpread(regions, nil); e.Adopters != 0 || e.ByRegion == nil || len(e.ByRegion) != 0 {
		t.Errorf("no adoption = %+v", e)
	}
}

func TestSpreadRequestDate(t *testing.T) {
	t.Parallel()
	late := time.Date(2024, 3, 31, 23, 30, 0, 0, time.FixedZone("BST", -3600))
	if got := (hin.SpreadRequest{}).Date(late); !got.Equal(day("2024-04-01")) || got.Location() != time.UTC {
		t.Errorf("today = %v, want the UTC day 2024-04-01", got)
	}
	if got := (hin.SpreadRequest{On: ptr(day("2020-01-01"))}).Date(late); !got.Equal(day("2020-01-01")) {
		t.Errorf("on = %v", got)
	}
}
