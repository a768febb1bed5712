package graph_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/client"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// The figures below were worked out by hand from the outcomes inserted by
// figureData; each case names the rule it checks.

type outcomeRow struct {
	region, metric, start, end, status string
	value, num, den                    float64
	programme                          string
}

// figureData: three regions report (HI-EM, HI-WM, UCLP); twelve never do.
var figureData = []outcomeRow{
	// counts: FY2023-24 published = 100 + 50 + 20 + 30 = 200
	{region: "HI-EM", metric: "patients_benefiting", start: "2023-04-01", end: "2023-04-30", status: "PUBLISHED", value: 100},
	{region: "HI-EM", metric: "patients_benefiting", start: "2024-03-01", end: "2024-03-31", status: "PUBLISHED", value: 50},   // last day of FY2023-24
	{region: "HI-EM", metric: "patients_benefiting", start: "2024-04-01", end: "2024-04-30", status: "PUBLISHED", value: 1000}, // first day of FY2024-25
	{region: "HI-EM", metric: "patients_benefiting", start: "2023-03-01", end: "2023-03-31", status: "PUBLISHED", value: 7},    // FY2022-23
	{region: "HI-EM", metric: "patients_benefiting", start: "2023-10-01", end: "2023-12-31", status: "PUBLISHED", value: 20},   // a quarterly return
	{region: "HI-WM", metric: "patients_benefiting", start: "2023-06-01", end: "2023-06-30", status: "PUBLISHED", value: 30},
	{region: "HI-WM", metric: "patients_benefiting", start: "2023-07-01", end: "2023-07-31", status: "DRAFT", value: 999},
	// rates: combined 100/400 = 0.25, not the mean of 0.9 and 0.0333
	{region: "HI-EM", metric: "lipid_treated_to_target", start: "2023-05-01", end: "2023-05-31", status: "PUBLISHED", num: 90, den: 100},
	{region: "HI-WM", metric: "lipid_treated_to_target", start: "2023-05-01", end: "2023-05-31", status: "PUBLISHED", num: 10, den: 300},
	{region: "HI-WM", metric: "lipid_treated_to_target", start: "2023-06-01", end: "2023-06-30", status: "DRAFT", num: 1, den: 1000},
	// snapshots: latest per region in the window, summed: 15 + 8 + (3 + 4) = 30
	{region: "HI-EM", metric: "sites_live", start: "2023-06-01", end: "2023-06-30", status: "PUBLISHED", value: 10},
	{region: "HI-EM", metric: "sites_live", start: "2023-12-01", end: "2023-12-31", status: "PUBLISHED", value: 14},
	{region: "HI-EM", metric: "sites_live", start: "2024-03-01", end: "2024-03-31", status: "PUBLISHED", value: 15},
	{region: "HI-EM", metric: "sites_live", start: "2024-05-01", end: "2024-05-31", status: "PUBLISHED", value: 99},
	{region: "HI-WM", metric: "sites_live", start: "2023-04-01", end: "2023-04-30", status: "PUBLISHED", value: 5},
	{region: "HI-WM", metric: "sites_live", start: "2023-09-01", end: "2023-09-30", status: "PUBLISHED", value: 8},
	{region: "HI-WM", metric: "sites_live", start: "2024-02-01", end: "2024-02-29", status: "DRAFT", value: 100},
	{region: "UCLP", metric: "sites_live", start: "2023-08-01", end: "2023-08-31", status: "PUBLISHED", value: 3, programme: "MANDETSIP"},
	{region: "UCLP", metric: "sites_live", start: "2023-08-01", end: "2023-08-31", status: "PUBLISHED", value: 4, programme: "MEDSIP"},
}

func insertOutcomes(t *testing.T, db *sql.DB, rows []outcomeRow) {
	t.Helper()
	const q = `INSERT INTO outcome (id, metric_id, region_id, period_start, period_end, value, numerator, denominator, programme_id, source, status)
		VALUES (gen_random_uuid(), (SELECT id FROM metric WHERE code = $1), (SELECT id FROM region WHERE code = $2), $3, $4,
		        $5, $6, $7, (SELECT id FROM programme WHERE code = $8), 'test', $9)`
	for _, r := range rows {
		var v, n, d any
		if r.den > 0 {
			n, d = r.num, r.den
		} else {
			v = r.value
		}
		if _, err := db.Exec(q, r.metric, r.region, r.start, r.end, v, n, d, r.programme, r.status); err != nil {
			t.Fatalf("insert %+v: %v", r, err)
		}
	}
}

type figureServer struct {
	*server
	db *sql.DB
}

// newFigureServer serves the reference data plus figureData, calling as
// the given principal.
func newFigureServer(t *testing.T, who hin.Principal) *figureServer {
	t.Helper()
	db := testdb.NewDB(t, testdb.Reference)
	insertOutcomes(t, db, figureData)
	s := store.NewFromDB(db)
	srv := &server{}
	s.AddHook(func(ctx context.Context, _ string) (context.Context, func(error)) {
		srv.statements.Add(1)
		return ctx, func(error) {}
	})
	h := graph.NewHandler(s, graph.Options{Introspection: true})
	srv.c = client.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(hin.WithPrincipal(r.Context(), who)))
	}))
	return &figureServer{server: srv, db: db}
}

type figureResp struct {
	Kind, Unit                    string
	Value, Numerator, Denominator *float64
	OutcomeCount                  int
	IncludesDrafts                bool
	Window                        struct{ From, To, Label string }
	Coverage                      struct {
		ReportingCount, ExpectedCount int
		ReportingRegions              []struct{ Code string }
		MissingRegions                []struct{ Code string }
	}
	ByRegion []struct {
		Region                        struct{ Code string }
		Reported                      bool
		Value, Numerator, Denominator *float64
		LatestPeriodEnd               *string
	}
}

const figureFields = `kind unit value numerator denominator outcomeCount includesDrafts window { from to label }
	coverage { reportingCount expectedCount reportingRegions { code } missingRegions { code } }
	byRegion { region { code } reported value numerator denominator latestPeriodEnd }`

func (s *figureServer) figure(t *testing.T, args string) figureResp {
	t.Helper()
	var resp struct{ Figure figureResp }
	s.query(t, fmt.Sprintf(`{ figure(%s) { %s } }`, args, figureFields), &resp)
	return resp.Figure
}

func near(got *float64, want float64) bool {
	return got != nil && math.Abs(*got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

func (f figureResp) region(code string) (reported bool, value *float64) {
	for _, r := range f.ByRegion {
		if r.Region.Code == code {
			return r.Reported, r.Value
		}
	}
	return false, nil
}

func TestNationalFiguresFollowEachMetricsRule(t *testing.T) {
	t.Parallel()
	srv := newFigureServer(t, hin.Principal{})
	fy := `window: {financialYear: "FY2023-24"}`

	t.Run("counts add up over regions and periods, FY edges respected", func(t *testing.T) {
		f := srv.figure(t, `metrics: ["patients_benefiting"], `+fy)
		if !near(f.Value, 200) || f.OutcomeCount != 4 || f.Kind != "COUNT" || f.Unit != "patients" {
			t.Errorf("national count = %v from %d outcomes (%s %s), want 200 from 4", deref(f.Value), f.OutcomeCount, f.Kind, f.Unit)
		}
		if f.Window.From != "2023-04-01" || f.Window.To != "2024-03-31" || f.Window.Label != "FY2023-24" {
			t.Errorf("window = %+v", f.Window)
		}
		if ok, v := f.region("HI-EM"); !ok || !near(v, 170) {
			t.Errorf("HI-EM = %v, want 170", deref(v))
		}
		if ok, v := f.region("HI-WM"); !ok || !near(v, 30) {
			t.Errorf("HI-WM = %v, want 30 (its draft left out)", deref(v))
		}
		if ok, v := f.region("UCLP"); ok || v != nil {
			t.Errorf("UCLP sent no counts: reported %v value %v, want missing and null", ok, deref(v))
		}
		if f.Coverage.ReportingCount != 2 || f.Coverage.ExpectedCount != 15 || len(f.Coverage.MissingRegions) != 13 || len(f.ByRegion) != 15 {
			t.Errorf("coverage = %+v, %d regions listed", f.Coverage, len(f.ByRegion))
		}
		next := srv.figure(t, `metrics: ["patients_benefiting"], window: {financialYear: "FY2024-25"}`)
		if !near(next.Value, 1000) {
			t.Errorf("FY2024-25 = %v, want 1000 (1 April belongs to the new year)", deref(next.Value))
		}
	})

	t.Run("rates combine numerators and denominators", func(t *testing.T) {
		f := srv.figure(t, `metrics: ["lipid_treated_to_target"], `+fy)
		if !near(f.Value, 0.25) || !near(f.Numerator, 100) || !near(f.Denominator, 400) {
			t.Errorf("rate = %v (%v/%v), want 0.25 (100/400)", deref(f.Value), deref(f.Numerator), deref(f.Denominator))
		}
		if _, v := f.region("HI-EM"); !near(v, 0.9) {
			t.Errorf("HI-EM rate = %v, want 0.9", deref(v))
		}
	})

	t.Run("snapshots take each region's latest value, never a sum over time", func(t *testing.T) {
		f := srv.figure(t, `metrics: ["sites_live"], `+fy)
		if !near(f.Value, 30) {
			t.Errorf("snapshot = %v, want 30 (15 + 8 + 7)", deref(f.Value))
		}
		for code, want := range map[string]float64{"HI-EM": 15, "HI-WM": 8, "UCLP": 7} {
			if _, v := f.region(code); !near(v, want) {
				t.Errorf("%s latest = %v, want %v", code, deref(v), want)
			}
		}
	})

	t.Run("a window not aligned to months reads raw outcomes the same way", func(t *testing.T) {
		f := srv.figure(t, `metrics: ["patients_benefiting"], window: {from: "2023-04-15", to: "2024-03-31"}`)
		if !near(f.Value, 100) {
			t.Errorf("count from 15 April = %v, want 100 (April's return starts before the window)", deref(f.Value))
		}
		s := srv.figure(t, `metrics: ["sites_live"], window: {from: "2023-04-02", to: "2024-03-30"}`)
		if !near(s.Value, 14+8+7) {
			t.Errorf("snapshot = %v, want 29", deref(s.Value))
		}
	})

	t.Run("anonymous callers may not ask for drafts", func(t *testing.T) {
		errs := srv.queryErr(t, `{ figure(metrics: ["patients_benefiting"], `+fy+`, includeDrafts: true) { value } }`)
		if codeOf(errs) != "FORBIDDEN" || !strings.Contains(errs[0].Message, "includeDrafts") {
			t.Errorf("got %+v", errs)
		}
	})

	t.Run("incompatible metrics are refused", func(t *testing.T) {
		for _, ms := range []string{`["patients_benefiting", "lipid_treated_to_target"]`, `["patients_benefiting", "cost_savings"]`} {
			errs := srv.queryErr(t, `{ figure(metrics: `+ms+`, `+fy+`) { value } }`)
			if codeOf(errs) != "INCOMPATIBLE_METRICS" {
				t.Errorf("%s: got %+v", ms, errs)
			}
		}
	})

	t.Run("bad windows get clear errors", func(t *testing.T) {
		for _, w := range []string{`{financialYear: "2023-24"}`, `{financialYear: "FY2023-25"}`, `{quarter: "FY2023-24 Q5"}`,
			`{from: "2024-01-01", to: "2023-01-01"}`, `{from: "2024-01-01"}`, `{financialYear: "FY2023-24", from: "2023-01-01", to: "2023-02-01"}`} {
			errs := srv.queryErr(t, `{ figure(metrics: ["patients_benefiting"], window: `+w+`) { value } }`)
			if codeOf(errs) != "INVALID_ARGUMENT" {
				t.Errorf("%s: got %+v", w, errs)
			}
		}
	})
}

func TestDraftsOnlyForThoseWhoMaySeeThem(t *testing.T) {
	t.Parallel()
	wm := hin.StableUUID("region", "HI-WM")
	em := hin.StableUUID("region", "HI-EM")
	for _, tc := range []struct {
		name           string
		who            hin.Principal
		count, snap    float64
		rateNum, rateD float64
	}{
		{"analyst sees every draft", hin.Principal{Role: hin.RoleAnalyst}, 1199, 122, 101, 1400},
		{"editor of HI-WM sees its own drafts", hin.Principal{Role: hin.RoleRegionEditor, RegionID: wm}, 1199, 122, 101, 1400},
		{"editor of HI-EM sees no HI-WM draft", hin.Principal{Role: hin.RoleRegionEditor, RegionID: em}, 200, 30, 100, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newFigureServer(t, tc.who)
			fy := `window: {financialYear: "FY2023-24"}, includeDrafts: true`
			if f := srv.figure(t, `metrics: ["patients_benefiting"], `+fy); !near(f.Value, tc.count) || !f.IncludesDrafts {
				t.Errorf("count = %v (includesDrafts %v), want %v", deref(f.Value), f.IncludesDrafts, tc.count)
			}
			if f := srv.figure(t, `metrics: ["sites_live"], `+fy); !near(f.Value, tc.snap) {
				t.Errorf("snapshot = %v, want %v", deref(f.Value), tc.snap)
			}
			if f := srv.figure(t, `metrics: ["lipid_treated_to_target"], `+fy); !near(f.Numerator, tc.rateNum) || !near(f.Denominator, tc.rateD) {
				t.Errorf("rate totals = %v/%v, want %v/%v", deref(f.Numerator), deref(f.Denominator), tc.rateNum, tc.rateD)
			}
			// without asking, nobody gets drafts
			if f := srv.figure(t, `metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}`); !near(f.Value, 200) || f.IncludesDrafts {
				t.Errorf("count without asking = %v, want 200", deref(f.Value))
			}
		})
	}
}

func TestSeriesReportGapsAsGaps(t *testing.T) {
	t.Parallel()
	srv := newFigureServer(t, hin.Principal{})
	var resp struct {
		Count, Snap struct {
			Points []struct {
				Period         struct{ Label, Start, End string }
				Reported       bool
				Value          *float64
				ReportingCount int
			}
		}
	}
	srv.query(t, `{ count: series(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}, interval: QUARTER) {
		points { period { label start end } reported value reportingCount } }
		snap: series(metrics: ["sites_live"], window: {financialYear: "FY2023-24"}, interval: QUARTER) {
		points { period { label start end } reported value reportingCount } } }`, &resp)
	type point struct {
		label    string
		reported bool
		value    float64
		regions  int
	}
	for name, tc := range map[string]struct {
		got  any
		want []point
	}{
		"count": {resp.Count.Points, []point{{"FY2023-24 Q1", true, 130, 2}, {"FY2023-24 Q2", false, 0, 0}, {"FY2023-24 Q3", true, 20, 1}, {"FY2023-24 Q4", true, 50, 1}}},
		"snap":  {resp.Snap.Points, []point{{"FY2023-24 Q1", true, 15, 2}, {"FY2023-24 Q2", true, 15, 2}, {"FY2023-24 Q3", true, 14, 1}, {"FY2023-24 Q4", true, 15, 1}}},
	} {
		pts := resp.Count.Points
		if name == "snap" {
			pts = resp.Snap.Points
		}
		if len(pts) != len(tc.want) {
			t.Fatalf("%s: %d points, want %d", name, len(pts), len(tc.want))
		}
		for i, w := range tc.want {
			p := pts[i]
			if p.Period.Label != w.label || p.Reported != w.reported || p.ReportingCount != w.regions ||
				(w.reported && !near(p.Value, w.value)) || (!w.reported && p.Value != nil) {
				t.Errorf("%s point %d = %+v (value %v), want %+v", name, i, p, deref(p.Value), w)
			}
		}
	}
	if resp.Count.Points[0].Period.Start != "2023-04-01" || resp.Count.Points[3].Period.End != "2024-03-31" {
		t.Errorf("quarters should run April to June ... January to March: %+v", resp.Count.Points)
	}
}

func TestBreakdownsComparisonAndRegionalScope(t *testing.T) {
	t.Parallel()
	srv := newFigureServer(t, hin.Principal{})
	var resp struct {
		Breakdown []struct {
			Region    *struct{ Code string }
			Programme *struct{ Code string }
			Period    *struct{ Label string }
			Value     *float64
		}
		RegionComparison struct {
			Rows []struct {
				Region struct{ Code string }
				Cells  []struct {
					Reported bool
					Value    *float64
				}
			}
			National []struct{ Value *float64 }
		}
		Region struct {
			Figure struct {
				Value    *float64
				Coverage struct{ ExpectedCount int }
			}
		}
	}
	srv.query(t, `{
		breakdown: figureBreakdown(metrics: ["sites_live"], window: {financialYear: "FY2023-24"}, groupBy: [REGION, PROGRAMME]) {
			region { code } programme { code } period { label } value }
		regionComparison(metrics: ["patients_benefiting", "lipid_treated_to_target", "sites_live"], window: {financialYear: "FY2023-24"}) {
			rows { region { code } cells { reported value } } national { value } }
		region(code: "HI-EM") { figure(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}) { value coverage { expectedCount } } }
	}`, &resp)
	got := map[string]float64{}
	for _, g := range resp.Breakdown {
		key := g.Region.Code
		if g.Programme != nil {
			key += "/" + g.Programme.Code
		}
		got[key] = *g.Value
	}
	want := map[string]float64{"HI-EM": 15, "HI-WM": 8, "UCLP/MANDETSIP": 3, "UCLP/MEDSIP": 4}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("snapshot by region and programme = %v, want %v", got, want)
	}
	nat := resp.RegionComparison.National
	if len(nat) != 3 || !near(nat[0].Value, 200) || !near(nat[1].Value, 0.25) || !near(nat[2].Value, 30) {
		t.Errorf("national row = %+v", nat)
	}
	if len(resp.RegionComparison.Rows) != 15 {
		t.Fatalf("%d rows, want all 15 regions", len(resp.RegionComparison.Rows))
	}
	for _, row := range resp.RegionComparison.Rows {
		if row.Region.Code == "UCLP" && (row.Cells[0].Reported || !row.Cells[2].Reported || !near(row.Cells[2].Value, 7)) {
			t.Errorf("UCLP cells = %+v", row.Cells)
		}
	}
	if !near(resp.Region.Figure.Value, 170) || resp.Region.Figure.Coverage.ExpectedCount != 1 {
		t.Errorf("HI-EM's own figure = %v (expects %d regions)", deref(resp.Region.Figure.Value), resp.Region.Figure.Coverage.ExpectedCount)
	}

	// every region's own figure comes from one statement, not fifteen
	var all struct {
		Regions []struct {
			Code   string
			Figure struct{ Value *float64 }
		}
	}
	before := srv.statements.Load()
	srv.query(t, `{ regions { code figure(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}) { value } } }`, &all)
	if n := srv.statements.Load() - before; n > 4 {
		t.Errorf("regions { figure } took %d statements", n)
	}
	for _, r := range all.Regions {
		if r.Code == "HI-WM" && !near(r.Figure.Value, 30) {
			t.Errorf("HI-WM = %v", deref(r.Figure.Value))
		}
	}
}

// The rollups behind month-aligned windows must follow every write.
func TestFiguresFollowUpdatesAndDeletes(t *testing.T) {
	t.Parallel()
	srv := newFigureServer(t, hin.Principal{})
	fy := `metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}`
	for _, step := range []struct {
		sql  string
		want float64
	}{
		{`UPDATE outcome SET value = 60 WHERE value = 50 AND period_start = '2024-03-01'`, 210},
		{`UPDATE outcome SET period_start = '2024-06-01', period_end = '2024-06-30' WHERE value = 60`, 150},
		{`UPDATE outcome SET status = 'PUBLISHED' WHERE value = 999`, 1149},
		{`DELETE FROM outcome WHERE value = 100 AND period_start = '2023-04-01'`, 1049},
	} {
		if _, err := srv.db.Exec(step.sql); err != nil {
			t.Fatal(err)
		}
		if f := srv.figure(t, fy); !near(f.Value, step.want) {
			t.Errorf("after %q: %v, want %v", step.sql, deref(f.Value), step.want)
		}
	}
	// and the monthly rollups equal a recomputation from raw outcomes
	var diff int
	err := srv.db.QueryRow(`SELECT count(*) FROM (
		(SELECT metric_id, region_id, status, start_month, n, sum_value FROM outcome_region_month
		 EXCEPT SELECT metric_id, region_id, status, date_trunc('month', period_start)::date, count(*), sum(value)
		 FROM outcome GROUP BY metric_id, region_id, status, date_trunc('month', period_start), date_trunc('month', period_end))
		UNION ALL
		(SELECT metric_id, region_id, status, date_trunc('month', period_start)::date, count(*), sum(value)
		 FROM outcome GROUP BY metric_id, region_id, status, date_trunc('month', period_start), date_trunc('month', period_end)
		 EXCEPT SELECT metric_id, region_id, status, start_month, n, sum_value FROM outcome_region_month)) d`).Scan(&diff)
	if err != nil || diff != 0 {
		t.Errorf("rollup differs from the raw outcomes in %d rows (%v)", diff, err)
	}
}

func TestPipelineAndAdoptionSpread(t *testing.T) {
	t.Parallel()
	srv := newFigureServer(t, hin.Principal{})
	// expected from the reference data itself
	wantStage := map[string]int{}
	moves := 0
	for _, in := range seed.Innovations {
		wantStage[in.Stage]++
		for i, h := range in.StageHistory {
			if i > 0 && h.On >= "2018-04-01" && h.On <= "2019-03-31" {
				moves++
			}
		}
	}
	var resp struct {
		InnovationPipeline struct {
			Moves  int
			Stages []struct {
				Stage       string
				Innovations int
			}
			ByRegion []struct {
				Region struct{ Code string }
				Stages []struct{ Innovations int }
			}
		}
	}
	srv.query(t, `{ innovationPipeline(movedIn: {financialYear: "FY2018-19"}) { moves stages { stage innovations }
		byRegion { region { code } stages { innovations } } } }`, &resp)
	p := resp.InnovationPipeline
	if len(p.Stages) != 7 || p.Moves != moves {
		t.Errorf("%d stages, %d moves; want 7 stages and %d moves", len(p.Stages), p.Moves, moves)
	}
	for _, s := range p.Stages {
		if s.Innovations != wantStage[s.Stage] {
			t.Errorf("%s: %d innovations, want %d", s.Stage, s.Innovations, wantStage[s.Stage])
		}
	}
	if len(p.ByRegion) != 15 {
		t.Errorf("%d regions in the pipeline, want 15", len(p.ByRegion))
	}

	// two of HI-EM's five ICBs adopt one innovation
	_, err := srv.db.Exec(`INSERT INTO adoption (id, innovation_id, organisation_id, region_id, adopted_on)
		SELECT gen_random_uuid(), (SELECT id FROM innovation WHERE name = 'PINCER'), o.id, o.region_id, '2024-01-01'
		FROM organisation o JOIN region r ON r.id = o.region_id WHERE r.code = 'HI-EM' AND o.kind = 'ICB'
		ORDER BY o.name LIMIT 2`)
	if err != nil {
		t.Fatal(err)
	}
	var inn struct {
		Innovations struct{ Nodes []struct{ ID string } }
	}
	srv.query(t, `{ innovations(filter: {nameContains: "PINCER"}) { nodes { id } } }`, &inn)
	var spread struct {
		AdoptionSpread struct {
			Adopters int
			ByRegion []struct {
				Region struct{ Code string }
				ByKind []struct {
					Kind                    string
					Adopters, Organisations int
					Share                   *float64
				}
			}
		}
	}
	srv.query(t, `query($id: ID) { adoptionSpread(innovationId: $id, on: "2025-01-01") { adopters byRegion { region { code }
		byKind { kind adopters organisations share } } } }`, &spread, client.Var("id", inn.Innovations.Nodes[0].ID))
	s := spread.AdoptionSpread
	if s.Adopters != 2 || len(s.ByRegion) != 1 || s.ByRegion[0].Region.Code != "HI-EM" {
		t.Fatalf("spread = %+v", s)
	}
	k := s.ByRegion[0].ByKind[0]
	if k.Kind != "ICB" || k.Adopters != 2 || k.Organisations != 5 || !near(k.Share, 0.4) {
		t.Errorf("HI-EM ICBs = %+v (share %v), want 2 of 5", k, deref(k.Share))
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// A region whose only outcomes in the window are drafts (or withdrawn
// figures) has not reported: every figure shows it as missing, not as a
// zero, to anyone who did not ask for drafts, so nobody learns from the
// figures that it has drafts.
func TestRegionWithOnlyDraftsHasNotReported(t *testing.T) {
	t.Parallel()
	for name, who := range map[string]hin.Principal{"anonymous": anonymous, "editor of HI-EM": editorEM, "analyst": analyst} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newFigureServer(t, who)
			var rows []outcomeRow
			for _, st := range []struct{ region, status string }{{"HI-NENC", "DRAFT"}, {"HI-SW", "PUBLISHED"}} {
				rows = append(rows,
					outcomeRow{region: st.region, metric: "patients_benefiting", start: "2023-04-01", end: "2023-04-30", status: st.status, value: 40},
					outcomeRow{region: st.region, metric: "lipid_treated_to_target", start: "2023-05-01", end: "2023-05-31", status: st.status, num: 1, den: 2},
					outcomeRow{region: st.region, metric: "sites_live", start: "2023-06-01", end: "2023-06-30", status: st.status, value: 6})
			}
			insertOutcomes(t, srv.db, rows)
			if _, err := srv.db.Exec(`UPDATE outcome SET status = 'WITHDRAWN', withdrawn_reason = 'entered twice', withdrawn_at = now()
				WHERE region_id = (SELECT id FROM region WHERE code = 'HI-SW')`); err != nil {
				t.Fatal(err)
			}
			silent := []string{"HI-NENC", "HI-SW"}
			for _, metric := range []string{"patients_benefiting", "lipid_treated_to_target", "sites_live"} {
				// a financial year is read from the monthly rollups, an
				// unaligned window from the outcomes themselves
				for _, window := range []string{`{financialYear: "FY2023-24"}`, `{from: "2023-04-02", to: "2024-03-30"}`} {
					f := srv.figure(t, fmt.Sprintf(`metrics: [%q], window: %s`, metric, window))
					for _, code := range silent {
						if ok, v := f.region(code); ok || v != nil {
							t.Errorf("%s %s: %s reported %v with value %v, want not reported", metric, window, code, ok, deref(v))
						}
						for _, r := range f.Coverage.ReportingRegions {
							if r.Code == code {
								t.Errorf("%s %s: %s is among the reporting regions", metric, window, code)
							}
						}
						missing := false
						for _, r := range f.Coverage.MissingRegions {
							missing = missing || r.Code == code
						}
						if !missing {
							t.Errorf("%s %s: %s is not among the missing regions", metric, window, code)
						}
					}
					if f.Coverage.ReportingCount != len(f.Coverage.ReportingRegions) || f.IncludesDrafts {
						t.Errorf("%s %s: reportingCount %d for %d regions, includesDrafts %v", metric, window,
							f.Coverage.ReportingCount, len(f.Coverage.ReportingRegions), f.IncludesDrafts)
					}
				}
			}
			// the same through the other figure fields
			type dashboard struct {
				Figure struct {
					Value    *float64
					Coverage struct{ ReportingCount int }
					ByRegion []struct{ Reported bool }
				}
				Series struct {
					Points []struct{ ReportingCount int }
				}
			}
			var resp struct {
				Nenc, Sw         dashboard
				RegionComparison struct {
					Rows []struct {
						Region struct{ Code string }
						Cells  []struct {
							Reported bool
							Value    *float64
						}
					}
				}
				FigureBreakdown []struct{ Region *struct{ Code string } }
			}
			regional := `figure(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}) { value coverage { reportingCount } byRegion { reported } }
				series(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}, interval: QUARTER) { points { reportingCount } }`
			srv.query(t, `{ nenc: region(code: "HI-NENC") { `+regional+` } sw: region(code: "HI-SW") { `+regional+` }
				regionComparison(metrics: ["patients_benefiting", "lipid_treated_to_target", "sites_live"], window: {financialYear: "FY2023-24"}) {
					rows { region { code } cells { reported value } } }
				figureBreakdown(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}, groupBy: [REGION]) { region { code } } }`, &resp)
			for code, r := range map[string]dashboard{"HI-NENC": resp.Nenc, "HI-SW": resp.Sw} {
				if r.Figure.Value != nil || r.Figure.Coverage.ReportingCount != 0 || len(r.Figure.ByRegion) != 1 || r.Figure.ByRegion[0].Reported {
					t.Errorf("%s's own figure: %+v (value %v)", code, r.Figure, deref(r.Figure.Value))
				}
				for i, p := range r.Series.Points {
					if p.ReportingCount != 0 {
						t.Errorf("%s's series point %d: %d regions reporting", code, i, p.ReportingCount)
					}
				}
			}
			for _, row := range resp.RegionComparison.Rows {
				if slices.Contains(silent, row.Region.Code) {
					for i, c := range row.Cells {
						if c.Reported || c.Value != nil {
							t.Errorf("comparison: %s cell %d = %+v", row.Region.Code, i, c)
						}
					}
				}
			}
			for _, g := range resp.FigureBreakdown {
				if g.Region != nil && slices.Contains(silent, g.Region.Code) {
					t.Errorf("breakdown by region has a group for %s", g.Region.Code)
				}
			}
		})
	}
}
