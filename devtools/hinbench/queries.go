package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/lib/pq"
)

// The dashboard's standard queries. Those with a baseline are also
// computed by plain SQL over the outcome table, timed, and their figures
// compared with the API's.

const (
	fyLabel = "FY2023-24"
	fyFrom  = "2023-04-01"
	fyTo    = "2024-03-31"
	// the whole demo period, for the series
	seriesFrom = "2020-04-01"
	seriesTo   = "2025-03-31"
)

// comparisonMetrics: two COUNT metrics, a RATE and a SNAPSHOT.
var comparisonMetrics = []string{"patients_benefiting", "bed_days_saved", "lipid_treated_to_target", "sites_live"}

type benchQuery struct {
	name     string
	gql      string
	baseline *baseline
}

// baseline is the plain-SQL version of a query: sql runs the statement
// once and returns its figures; api reads the same figures from the API's
// response.
type baseline struct {
	sql func(ctx context.Context, db *sql.DB, ref *reference) (figures, error)
	api func(data []byte, ref *reference) (figures, error)
}

var benchQueries = append([]*benchQuery{
	{
		name: "figure_count",
		gql: `query BenchFigureCount { figure(metrics: ["patients_benefiting"], window: {financialYear: "` + fyLabel + `"}) {
  value outcomeCount coverage { reportingCount missingRegions { code } }
  byRegion { region { code } value reported outcomeCount } } }`,
		baseline: &baseline{sql: figureSQL("patients_benefiting", false), api: figureAPI(false)},
	},
	{
		// the same figure as of a moment: read from outcome and its history
		// rather than the rollups (a moment after the seed load gives the
		// current figures, so the same plain SQL checks it)
		name: "figure_count_asof",
		gql: `query BenchFigureCountAsOf { figure(metrics: ["patients_benefiting"], window: {financialYear: "` + fyLabel + `"}, asOf: "2100-01-01T00:00:00Z") {
  value outcomeCount coverage { reportingCount missingRegions { code } }
  byRegion { region { code } value reported outcomeCount } } }`,
		baseline: &baseline{sql: figureSQL("patients_benefiting", false), api: figureAPI(false)},
	},
	{
		name: "figure_rate",
		gql: `query BenchFigureRate { figure(metrics: ["lipid_treated_to_target"], window: {financialYear: "` + fyLabel + `"}) {
  value numerator denominator outcomeCount coverage { reportingCount missingRegions { code } }
  byRegion { region { code } value numerator denominator reported outcomeCount } } }`,
		baseline: &baseline{sql: figureSQL("lipid_treated_to_target", true), api: figureAPI(true)},
	},
	{
		name: "comparison",
		gql: `query BenchComparison { regionComparison(metrics: ` + gqlStrings(comparisonMetrics) + `, window: {financialYear: "` + fyLabel + `"}) {
  metrics { code kind }
  rows { region { code } cells { value numerator denominator reported outcomeCount } }
  national { value numerator denominator outcomeCount } } }`,
		baseline: &baseline{sql: comparisonSQL, api: comparisonAPI},
	},
	{
		name: "series",
		gql: `query BenchSeries { series(metrics: ["patients_benefiting"], window: {from: "` + seriesFrom + `", to: "` + seriesTo + `"}, interval: FINANCIAL_YEAR) {
  points { period { label start end } reported value outcomeCount reportingCount } } }`,
		baseline: &baseline{sql: seriesSQL, api: seriesAPI},
	},
	{
		name: "pipeline",
		gql: `query BenchPipeline { innovationPipeline(movedIn: {financialYear: "` + fyLabel + `"}) {
  moves stages { stage innovations movedIn } byRegion { region { code } stages { stage innovations } } } }`,
	},
	{
		name: "nested_page",
		gql: `query BenchNestedPage { regions { code innovations(first: 5) { nodes { name pilots(first: 5) { nodes {
  outcomes(first: 10) { totalCount nodes { value periodStart metric { code } } } } } } } } }`,
	},
	{name: "deep_page", gql: peerNested},
}, scaleBenchQueries...)

func queryNames() []string {
	names := make([]string, len(benchQueries))
	for i, q := range benchQueries {
		names[i] = q.name
	}
	return names
}

func findQuery(name string) *benchQuery {
	for _, q := range benchQueries {
		if q.name == name {
			return q
		}
	}
	return nil
}

func gqlStrings(ss []string) string {
	b, _ := json.Marshal(ss)
	return string(b)
}

func requestBody(q *benchQuery) []byte {
	b, _ := json.Marshal(map[string]any{"query": q.gql})
	return b
}

// reference is what checking needs to know about the database: the
// region codes by ID, read once per scale (not timed).
type reference struct {
	regionCode map[string]string
	codes      []string // sorted
}

func loadReference(ctx context.Context, db *sql.DB) (*reference, error) {
	rows, err := db.QueryContext(ctx, `SELECT id::text, code FROM region`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ref := &reference{regionCode: map[string]string{}}
	for rows.Next() {
		var id, code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, err
		}
		ref.regionCode[id] = code
		ref.codes = append(ref.codes, code)
	}
	sort.Strings(ref.codes)
	return ref, rows.Err()
}

// cell is one combined figure: a region's, a nation's, or a period's.
type cell struct {
	n          int64
	value      *float64
	num, den   *float64
	isRate     bool
	reportedAs *bool // what the API said about reported, when it says
}

// figures are cells by key ("HI-EM", "national", "sites_live/HI-EM", ...);
// a key that is absent did not report. Extra checks the API's own
// consistency (coverage lists) and lists what was wrong.
type figures struct {
	cells map[string]cell
	extra []string
}

// ---------------------------------------------------------------------------
// plain SQL

// figureSQL: the national figure, aggregated straight from outcome by region.
func figureSQL(metric string, rate bool) func(context.Context, *sql.DB, *reference) (figures, error) {
	const countQ = `SELECT o.region_id::text, count(*), sum(o.value)
FROM outcome o JOIN metric m ON m.id = o.metric_id
WHERE m.code = $1 AND o.status = 'PUBLISHED' AND o.period_start >= $2::date AND o.period_end <= $3::date
GROUP BY o.region_id`
	const rateQ = `SELECT o.region_id::text, count(*), sum(o.numerator), sum(o.denominator)
FROM outcome o JOIN metric m ON m.id = o.metric_id
WHERE m.code = $1 AND o.status = 'PUBLISHED' AND o.period_start >= $2::date AND o.period_end <= $3::date
GROUP BY o.region_id`
	return func(ctx context.Context, db *sql.DB, ref *reference) (figures, error) {
		q := countQ
		if rate {
			q = rateQ
		}
		rows, err := db.QueryContext(ctx, q, metric, fyFrom, fyTo)
		if err != nil {
			return figures{}, err
		}
		defer rows.Close()
		f := figures{cells: map[string]cell{}}
		for rows.Next() {
			var region string
			var c cell
			if rate {
				c.isRate = true
				err = rows.Scan(&region, &c.n, &c.num, &c.den)
				c.value = ratio(c.num, c.den)
			} else {
				err = rows.Scan(&region, &c.n, &c.value)
			}
			if err != nil {
				return figures{}, err
			}
			f.cells[ref.regionCode[region]] = c
		}
		if err := rows.Err(); err != nil {
			return figures{}, err
		}
		if len(f.cells) > 0 { // no region reported: no national figure either
			f.cells["national"] = nationalOf(f.cells, rate)
		}
		return f, nil
	}
}

// comparisonSQL: every metric by region in one pass over outcome; for
// snapshots, each region's latest period end in the window and the sum of
// the values reported at it (the window max finds the latest).
func comparisonSQL(ctx context.Context, db *sql.DB, ref *reference) (figures, error) {
	const q = `SELECT code, kind, region_id::text, count(*), sum(value), sum(numerator), sum(denominator),
       sum(value) FILTER (WHERE period_end = last_end)
FROM (
  SELECT m.code, m.kind, o.region_id, o.period_end, o.value, o.numerator, o.denominator,
         max(o.period_end) OVER (PARTITION BY o.metric_id, o.region_id) AS last_end
  FROM outcome o JOIN metric m ON m.id = o.metric_id
  WHERE m.code = ANY($1) AND o.status = 'PUBLISHED' AND o.period_start >= $2::date AND o.period_end <= $3::date
) x
GROUP BY code, kind, region_id`
	rows, err := db.QueryContext(ctx, q, pq.Array(comparisonMetrics), fyFrom, fyTo)
	if err != nil {
		return figures{}, err
	}
	defer rows.Close()
	perMetric := map[string]map[string]cell{}
	kinds := map[string]string{}
	for rows.Next() {
		var code, kind, region string
		var c cell
		var sum, snap *float64
		if err := rows.Scan(&code, &kind, &region, &c.n, &sum, &c.num, &c.den, &snap); err != nil {
			return figures{}, err
		}
		kinds[code] = kind
		switch kind {
		case "RATE":
			c.isRate = true
			c.value = ratio(c.num, c.den)
		case "SNAPSHOT":
			c.value, c.num, c.den = snap, nil, nil
		default:
			c.value, c.num, c.den = sum, nil, nil
		}
		if perMetric[code] == nil {
			perMetric[code] = map[string]cell{}
		}
		perMetric[code][ref.regionCode[region]] = c
	}
	if err := rows.Err(); err != nil {
		return figures{}, err
	}
	f := figures{cells: map[string]cell{}}
	for code, cells := range perMetric {
		for region, c := range cells {
			f.cells[code+"/"+region] = c
		}
		f.cells[code+"/national"] = nationalOf(cells, kinds[code] == "RATE")
	}
	return f, nil
}

// seriesSQL: the metric by NHS financial year of the period start.
func seriesSQL(ctx context.Context, db *sql.DB, _ *reference) (figures, error) {
	const q = `SELECT extract(year FROM o.period_start - interval '3 months')::int, count(*), sum(o.value)
FROM outcome o JOIN metric m ON m.id = o.metric_id
WHERE m.code = $1 AND o.status = 'PUBLISHED' AND o.period_start >= $2::date AND o.period_end <= $3::date
GROUP BY 1`
	rows, err := db.QueryContext(ctx, q, "patients_benefiting", seriesFrom, seriesTo)
	if err != nil {
		return figures{}, err
	}
	defer rows.Close()
	f := figures{cells: map[string]cell{}}
	for rows.Next() {
		var year int
		var c cell
		if err := rows.Scan(&year, &c.n, &c.value); err != nil {
			return figures{}, err
		}
		f.cells[fmt.Sprintf("FY%d-%02d", year, (year+1)%100)] = c
	}
	return f, rows.Err()
}

func ratio(num, den *float64) *float64 {
	if num == nil || den == nil || *den == 0 {
		return nil
	}
	v := *num / *den
	return &v
}

// nationalOf combines region cells under the metric's rule: sums for
// counts and snapshots (of each region's latest), totals' ratio for rates.
func nationalOf(cells map[string]cell, rate bool) cell {
	var nat cell
	nat.isRate = rate
	add := func(dst **float64, v *float64) {
		if v == nil {
			return
		}
		if *dst == nil {
			*dst = new(float64)
		}
		**dst += *v
	}
	// sum in a fixed order so repeated runs give identical floats
	keys := make([]string, 0, len(cells))
	for k := range cells {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := cells[k]
		nat.n += c.n
		if rate {
			add(&nat.num, c.num)
			add(&nat.den, c.den)
		} else {
			add(&nat.value, c.value)
		}
	}
	if rate {
		nat.value = ratio(nat.num, nat.den)
	}
	return nat
}

// ---------------------------------------------------------------------------
// the API's answers, as figures

type apiRegionFigure struct {
	Region struct {
		Code string `json:"code"`
	} `json:"region"`
	Value        *float64 `json:"value"`
	Numerator    *float64 `json:"numerator"`
	Denominator  *float64 `json:"denominator"`
	Reported     bool     `json:"reported"`
	OutcomeCount int64    `json:"outcomeCount"`
}

type apiFigure struct {
	Value        *float64 `json:"value"`
	Numerator    *float64 `json:"numerator"`
	Denominator  *float64 `json:"denominator"`
	OutcomeCount int64    `json:"outcomeCount"`
	Coverage     *struct {
		ReportingCount int `json:"reportingCount"`
		MissingRegions []struct {
			Code string `json:"code"`
		} `json:"missingRegions"`
	} `json:"coverage"`
	ByRegion []apiRegionFigure `json:"byRegion"`
}

func decodeData(body []byte, into any) error {
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("GraphQL error: %s", r.Errors[0].Message)
	}
	if err := json.Unmarshal(r.Data, into); err != nil {
		return fmt.Errorf("decode data: %w", err)
	}
	return nil
}

func regionCell(r apiRegionFigure, rate bool) (cell, bool) {
	reported := r.Reported
	c := cell{n: r.OutcomeCount, value: r.Value, reportedAs: &reported, isRate: rate}
	if rate {
		c.num, c.den = r.Numerator, r.Denominator
	}
	return c, r.Reported || r.OutcomeCount > 0 || r.Value != nil
}

func figureAPI(rate bool) func([]byte, *reference) (figures, error) {
	return func(body []byte, ref *reference) (figures, error) { return figureFromAPI(body, ref, rate) }
}

func figureFromAPI(body []byte, ref *reference, rate bool) (figures, error) {
	var d struct {
		Figure apiFigure `json:"figure"`
	}
	if err := decodeData(body, &d); err != nil {
		return figures{}, err
	}
	f := figures{cells: map[string]cell{}}
	var reporting []string
	for _, r := range d.Figure.ByRegion {
		if c, ok := regionCell(r, rate); ok {
			f.cells[r.Region.Code] = c
			reporting = append(reporting, r.Region.Code)
		}
	}
	if d.Figure.OutcomeCount > 0 || d.Figure.Value != nil {
		f.cells["national"] = cell{n: d.Figure.OutcomeCount, value: d.Figure.Value, num: d.Figure.Numerator, den: d.Figure.Denominator, isRate: rate}
	}
	// the coverage must agree with byRegion, and every region be listed once
	if len(d.Figure.ByRegion) != len(ref.codes) {
		f.extra = append(f.extra, fmt.Sprintf("byRegion lists %d regions, the database has %d", len(d.Figure.ByRegion), len(ref.codes)))
	}
	if cov := d.Figure.Coverage; cov != nil {
		if cov.ReportingCount != len(reporting) {
			f.extra = append(f.extra, fmt.Sprintf("coverage.reportingCount %d, but %d regions reported", cov.ReportingCount, len(reporting)))
		}
		var missing []string
		for _, m := range cov.MissingRegions {
			missing = append(missing, m.Code)
		}
		var want []string
		for _, code := range ref.codes {
			if !slices.Contains(reporting, code) {
				want = append(want, code)
			}
		}
		slices.Sort(missing)
		if !slices.Equal(missing, want) {
			f.extra = append(f.extra, fmt.Sprintf("coverage.missingRegions %v, want %v", missing, want))
		}
	}
	return f, nil
}

func comparisonAPI(body []byte, ref *reference) (figures, error) {
	var d struct {
		RegionComparison struct {
			Metrics []struct {
				Code string `json:"code"`
				Kind string `json:"kind"`
			} `json:"metrics"`
			Rows []struct {
				Region struct {
					Code string `json:"code"`
				} `json:"region"`
				Cells []apiRegionFigure `json:"cells"`
			} `json:"rows"`
			National []apiFigure `json:"national"`
		} `json:"regionComparison"`
	}
	if err := decodeData(body, &d); err != nil {
		return figures{}, err
	}
	rc := d.RegionComparison
	f := figures{cells: map[string]cell{}}
	if len(rc.Metrics) != len(comparisonMetrics) || len(rc.National) != len(rc.Metrics) {
		return f, fmt.Errorf("comparison has %d metrics and %d national figures, want %d", len(rc.Metrics), len(rc.National), len(comparisonMetrics))
	}
	if len(rc.Rows) != len(ref.codes) {
		f.extra = append(f.extra, fmt.Sprintf("%d rows, the database has %d regions", len(rc.Rows), len(ref.codes)))
	}
	for i, m := range rc.Metrics {
		rate := m.Kind == "RATE"
		for _, row := range rc.Rows {
			if len(row.Cells) != len(rc.Metrics) {
				return f, fmt.Errorf("row %s has %d cells, want %d", row.Region.Code, len(row.Cells), len(rc.Metrics))
			}
			if c, ok := regionCell(row.Cells[i], rate); ok {
				f.cells[m.Code+"/"+row.Region.Code] = c
			}
		}
		n := rc.National[i]
		if n.OutcomeCount > 0 || n.Value != nil {
			c := cell{n: n.OutcomeCount, value: n.Value, isRate: rate}
			if rate {
				c.num, c.den = n.Numerator, n.Denominator
			}
			f.cells[m.Code+"/national"] = c
		}
	}
	return f, nil
}

func seriesAPI(body []byte, _ *reference) (figures, error) {
	var d struct {
		Series struct {
			Points []struct {
				Period struct {
					Label string `json:"label"`
				} `json:"period"`
				Reported     bool     `json:"reported"`
				Value        *float64 `json:"value"`
				OutcomeCount int64    `json:"outcomeCount"`
			} `json:"points"`
		} `json:"series"`
	}
	if err := decodeData(body, &d); err != nil {
		return figures{}, err
	}
	f := figures{cells: map[string]cell{}}
	if len(d.Series.Points) != 5 {
		f.extra = append(f.extra, fmt.Sprintf("%d points, want 5 financial years", len(d.Series.Points)))
	}
	for _, p := range d.Series.Points {
		if p.Reported || p.OutcomeCount > 0 || p.Value != nil {
			reported := p.Reported
			f.cells[p.Period.Label] = cell{n: p.OutcomeCount, value: p.Value, reportedAs: &reported}
		}
	}
	return f, nil
}

// ---------------------------------------------------------------------------
// comparing

// compareFigures lists every difference between the API's figures and the
// SQL's: values within 1e-9 relative, counts exactly.
func compareFigures(api, want figures) []string {
	var diffs []string
	diffs = append(diffs, api.extra...)
	keys := map[string]bool{}
	for k := range api.cells {
		keys[k] = true
	}
	for k := range want.cells {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		a, inAPI := api.cells[k]
		w, inSQL := want.cells[k]
		switch {
		case !inAPI:
			diffs = append(diffs, fmt.Sprintf("%s: API says not reported, SQL has %d outcomes, value %s", k, w.n, fmtFloat(w.value)))
			continue
		case !inSQL:
			diffs = append(diffs, fmt.Sprintf("%s: API has %d outcomes, value %s; SQL has none", k, a.n, fmtFloat(a.value)))
			continue
		}
		if a.reportedAs != nil && !*a.reportedAs {
			diffs = append(diffs, fmt.Sprintf("%s: API says reported: false but gives %d outcomes", k, a.n))
		}
		if a.n != w.n {
			diffs = append(diffs, fmt.Sprintf("%s: outcomeCount API %d, SQL %d", k, a.n, w.n))
		}
		if !near(a.value, w.value) {
			diffs = append(diffs, fmt.Sprintf("%s: value API %s, SQL %s", k, fmtFloat(a.value), fmtFloat(w.value)))
		}
		if w.isRate && (!near(a.num, w.num) || !near(a.den, w.den)) {
			diffs = append(diffs, fmt.Sprintf("%s: numerator/denominator API %s/%s, SQL %s/%s", k, fmtFloat(a.num), fmtFloat(a.den), fmtFloat(w.num), fmtFloat(w.den)))
		}
	}
	return diffs
}

func near(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	x, y := *a, *b
	if x == y {
		return true
	}
	return math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y))
}

func fmtFloat(v *float64) string {
	if v == nil {
		return "null"
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.12f", *v), "0"), ".")
}
