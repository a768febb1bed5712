package hin

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// National figures live here: the report types a client reads (Figure,
// FigureGroup, Series, RegionComparison, Pipeline, AdoptionSpread), the
// request check, and the pure rules that assemble them from the rows
// internal/store computes in SQL (store/national.go). graph only maps
// arguments and batches per region.

// Dimension is something a combined figure can be broken down by.
type Dimension string

const (
	DimRegion          Dimension = "REGION"
	DimProgramme       Dimension = "PROGRAMME"
	DimInnovation      Dimension = "INNOVATION"
	DimClinicalArea    Dimension = "CLINICAL_AREA"
	DimInnovationStage Dimension = "INNOVATION_STAGE"
	DimMonth           Dimension = "MONTH"
	DimQuarter         Dimension = "QUARTER"
	DimFinancialYear   Dimension = "FINANCIAL_YEAR"
	// DimMetric is internal: one figure per metric in a single query.
	DimMetric Dimension = "METRIC"
)

// Dimensions lists the dimensions a client may group by.
var Dimensions = []Dimension{DimRegion, DimProgramme, DimInnovation, DimClinicalArea, DimInnovationStage, DimMonth, DimQuarter, DimFinancialYear}

func (v Dimension) IsValid() bool             { return slices.Contains(Dimensions, v) }
func (v Dimension) MarshalGQL(w io.Writer)    { writeEnum(w, string(v)) }
func (v *Dimension) UnmarshalGQL(x any) error { return readEnum(x, v, "FigureDimension") }

// IsPeriod reports whether the dimension buckets time.
func (v Dimension) IsPeriod() bool { return v == DimMonth || v == DimQuarter || v == DimFinancialYear }

// DraftScope says whose draft outcomes a figure may include: none, all, or
// those of some regions. Set from the caller's rights, never from input alone.
type DraftScope struct {
	All       bool
	RegionIDs []string
}

// FigureFilter restricts the outcomes a combined figure is made of.
type FigureFilter struct {
	RegionCodes   []string `json:"regionCodes"`
	ProgrammeIDs  []string `json:"programmeIds"`
	InnovationIDs []string `json:"innovationIds"`
	ClinicalArea  *string  `json:"clinicalArea"`
	Stages        []Stage  `json:"stages"`
}

// AggregateQuery asks the store for combined figures.
type AggregateQuery struct {
	Metrics   []Metric
	Window    Window
	Filter    FigureFilter
	RegionIDs []string // scope to these regions (a region's own dashboard)
	Drafts    DraftScope
	GroupBy   []Dimension
	// AsOf, when set, asks for the values that were current at that moment.
	AsOf *time.Time
}

// GroupKey identifies one group of a breakdown; unset parts are nil.
type GroupKey struct {
	MetricID     *string    `db:"g_metric"`
	ProgrammeID  *string    `db:"g_programme"`
	InnovationID *string    `db:"g_innovation"`
	ClinicalArea *string    `db:"g_clinical_area"`
	Stage        *Stage     `db:"g_stage"`
	PeriodStart  *time.Time `db:"g_period"`
}

// AggregateRow is one combined figure: for one region of a group, or (Total)
// for all regions of the group together.
type AggregateRow struct {
	GroupKey
	RegionID    *string    `db:"region_id"`
	Total       bool       `db:"total"`
	Outcomes    int64      `db:"n"`
	Sum         *float64   `db:"v"`
	Numerator   *float64   `db:"num"`
	Denominator *float64   `db:"den"`
	Snapshot    *float64   `db:"snap"`
	LatestEnd   *time.Time `db:"last_end"`
	Regions     int        `db:"regions"`
}

// Combined is the headline value of a row under a metric kind's rule:
// a sum for counts, sum(numerators)/sum(denominators) for rates, and the
// sum of each region's latest value for snapshots.
func (r AggregateRow) Combined(kind MetricKind) *float64 {
	switch kind {
	case MetricRate:
		if r.Numerator == nil || r.Denominator == nil || *r.Denominator == 0 {
			return nil
		}
		v := *r.Numerator / *r.Denominator
		return &v
	case MetricSnapshot:
		return r.Snapshot
	}
	return r.Sum
}

// CheckCombinable refuses to combine metrics whose values do not add up
// together: different kinds or different units.
func CheckCombinable(ms []Metric) error {
	for _, m := range ms[1:] {
		if m.Kind != ms[0].Kind {
			return &Error{Code: EINCOMPATIBLE, Field: "metrics", Message: fmt.Sprintf(
				"cannot combine %s (%s) with %s (%s): metrics combine only with metrics of the same kind", ms[0].Code, ms[0].Kind, m.Code, m.Kind)}
		}
		if m.Unit != ms[0].Unit {
			return &Error{Code: EINCOMPATIBLE, Field: "metrics", Message: fmt.Sprintf(
				"cannot combine %s (in %s) with %s (in %s): units are never mixed", ms[0].Code, ms[0].Unit, m.Code, m.Unit)}
		}
	}
	return nil
}

// StageCount is how many innovations sit at a stage (for a region, or
// nationally when RegionID is nil), and how many moved into it in a window.
type StageCount struct {
	RegionID    *string `db:"region_id"`
	Stage       Stage   `db:"stage"`
	Innovations int     `db:"innovations"`
	MovedIn     int     `db:"moved_in"`
	// AllMoves is the moves into every stage of the row's region (or
	// nationally), summed in SQL.
	AllMoves int `db:"all_moves"`
}

// AdoptionCount is how many organisations of a kind in a region adopted
// something, out of how many organisations of that kind there are.
type AdoptionCount struct {
	RegionID      string           `db:"region_id"`
	Kind          OrganisationKind `db:"kind"`
	Adopters      int              `db:"adopters"`
	Organisations int              `db:"organisations"`
	// RegionAdopters and AllAdopters are the adopters of every kind in the
	// row's region and in every region counted, summed in SQL.
	RegionAdopters int `db:"region_adopters"`
	AllAdopters    int `db:"all_adopters"`
}

// The report types. Each is filled whole by the rules below, so they are
// plain structs bound to the GraphQL types of the same name.

// Figure is a combined figure with coverage and per-region parts.
type Figure struct {
	Metrics        []Metric
	Kind           MetricKind
	Unit           string
	Window         Window
	Value          *float64
	Numerator      *float64
	Denominator    *float64
	OutcomeCount   int
	IncludesDrafts bool
	Coverage       *Coverage
	ByRegion       []RegionFigure
}

// Coverage says which regions reported.
type Coverage struct {
	ReportingRegions []Region
	MissingRegions   []Region
	ReportingCount   int
	ExpectedCount    int
}

// RegionFigure is one region's part of a figure.
type RegionFigure struct {
	Region          Region
	Reported        bool
	Value           *float64
	Numerator       *float64
	Denominator     *float64
	LatestPeriodEnd *time.Time
	OutcomeCount    int
}

// FigureGroup is one group of a breakdown.
type FigureGroup struct {
	Region          *Region
	Programme       *Programme
	Innovation      *Innovation
	ClinicalArea    *string
	InnovationStage *Stage
	Period          *Period
	Value           *float64
	Numerator       *float64
	Denominator     *float64
	OutcomeCount    int
	ReportingCount  int
}

// Series is a time series.
type Series struct {
	Metrics []Metric
	Kind    MetricKind
	Unit    string
	Window  Window
	Points  []SeriesPoint
}

// SeriesPoint is one period of a series.
type SeriesPoint struct {
	Period         Period
	Reported       bool
	Value          *float64
	Numerator      *float64
	Denominator    *float64
	OutcomeCount   int
	ReportingCount int
}

// RegionComparison is regions side by side.
type RegionComparison struct {
	Metrics  []Metric
	Window   Window
	Rows     []RegionComparisonRow
	National []Figure
}

// RegionComparisonRow is one region's row.
type RegionComparisonRow struct {
	Region Region
	Cells  []RegionFigure
}

// Pipeline is the innovation pipeline.
type Pipeline struct {
	Stages   []StageCount
	ByRegion []RegionPipeline
	Moves    int
}

// RegionPipeline is one region's pipeline.
type RegionPipeline struct {
	Region Region
	Stages []StageCount
	Moves  int
}

// AdoptionSpread is how far adoption has spread.
type AdoptionSpread struct {
	Adopters int
	ByRegion []RegionAdoption
}

// RegionAdoption is adoption in one region.
type RegionAdoption struct {
	Region   Region
	Adopters int
	ByKind   []AdoptionByKind
}

// AdoptionByKind is adoption among one kind of organisation (KindAdoption
// in the schema; KindAdoption here is the global ID kind).
type AdoptionByKind struct {
	Kind          OrganisationKind
	Adopters      int
	Organisations int
	Share         *float64
}

// MaxFigureMetrics bounds how many metrics one figure may name.
const MaxFigureMetrics = 20

// FigureShape is what a figure request asks for; each shape has its own
// arguments to check and its own grouping.
type FigureShape int

const (
	// ShapeFigure is one combined figure.
	ShapeFigure FigureShape = iota
	// ShapeBreakdown is one combined figure per group of GroupBy.
	ShapeBreakdown
	// ShapeSeries is one combined figure per period of Interval.
	ShapeSeries
	// ShapeComparison is one figure per metric; the metrics need not combine.
	ShapeComparison
)

// FigureRequest is a figure's arguments as the client gave them.
type FigureRequest struct {
	Metrics       []string      `json:"metrics"`
	Window        WindowInput   `json:"window"`
	Filter        *FigureFilter `json:"filter"`
	IncludeDrafts *bool         `json:"includeDrafts"`
	GroupBy       []Dimension   `json:"groupBy"`  // breakdowns
	Interval      Dimension     `json:"interval"` // series
	AsOf          *time.Time    `json:"asOf"`     // the values current then; now when nil
}

// FigureSpec is a checked FigureRequest: what to ask the store, and how
// its rows become the answer.
type FigureSpec struct {
	Shape   FigureShape
	Metrics []Metric   // from the catalogue, each once, in the order named
	Kind    MetricKind // the metrics' shared kind
	Unit    string     // of the values: "fraction" for rates
	Window  Window
	Filter  FigureFilter
	Drafts  DraftScope
	// GroupBy is what the store groups by: the breakdown's dimensions, the
	// series interval, or METRIC for a comparison.
	GroupBy []Dimension
	AsOf    *time.Time
}

// Check checks a request and resolves it. The checks run in a fixed order,
// so the same bad request always gets the same error: the shape's own
// arguments, the number of metrics, their codes (the catalogue is read only
// then), whether they combine, the window, and the drafts the caller may see.
func (r FigureRequest) Check(ctx context.Context, shape FigureShape, catalogue func() (map[string]Metric, error)) (*FigureSpec, error) {
	s := &FigureSpec{Shape: shape}
	if r.Filter != nil {
		s.Filter = *r.Filter
	}
	switch shape {
	case ShapeBreakdown:
		if err := CheckGroupBy(r.GroupBy); err != nil {
			return nil, err
		}
		s.GroupBy = r.GroupBy
	case ShapeSeries:
		if !r.Interval.IsPeriod() {
			return nil, Invalid("interval", "interval must be MONTH, QUARTER or FINANCIAL_YEAR, not %s", r.Interval)
		}
		s.GroupBy = []Dimension{r.Interval}
	case ShapeComparison:
		s.GroupBy = []Dimension{DimMetric}
	}
	if len(r.Metrics) == 0 || len(r.Metrics) > MaxFigureMetrics {
		return nil, Invalid("metrics", "name from 1 to %d metric codes", MaxFigureMetrics)
	}
	known, err := catalogue()
	if err != nil {
		return nil, err
	}
	for _, code := range r.Metrics {
		m, ok := known[code]
		if !ok {
			m, ok = known[strings.ToLower(code)] // codes are lower_snake_case; forgive the case
		}
		if !ok {
			return nil, Invalid("metrics", "no metric has the code %s; the metrics query lists the catalogue", Quote(code))
		}
		if !slices.ContainsFunc(s.Metrics, func(x Metric) bool { return x.ID == m.ID }) {
			s.Metrics = append(s.Metrics, m)
		}
	}
	if shape != ShapeComparison {
		if err := CheckCombinable(s.Metrics); err != nil {
			return nil, err
		}
	}
	s.Kind, s.Unit = s.Metrics[0].Kind, unitOf(s.Metrics[0])
	if s.Window, err = r.Window.Resolve("window"); err != nil {
		return nil, err
	}
	if s.Drafts, err = DraftsFor(ctx, r.IncludeDrafts != nil && *r.IncludeDrafts); err != nil {
		return nil, err
	}
	s.AsOf = r.AsOf
	return s, nil
}

// CheckGroupBy checks a breakdown's dimensions: at least one, each once,
// and at most one period size. It is the only check of groupBy.
func CheckGroupBy(groupBy []Dimension) error {
	if len(groupBy) == 0 {
		return Invalid("groupBy", "name at least one dimension to group by")
	}
	periods := 0
	for i, d := range groupBy {
		if slices.Contains(groupBy[:i], d) {
			return Invalid("groupBy", "%s is named twice", d)
		}
		if d.IsPeriod() {
			periods++
		}
	}
	if periods > 1 {
		return Invalid("groupBy", "group by at most one of MONTH, QUARTER and FINANCIAL_YEAR")
	}
	return nil
}

// unitOf is the unit of a metric's combined value: rates are fractions.
func unitOf(m Metric) string {
	if m.Kind == MetricRate {
		return "fraction"
	}
	return m.Unit
}

// Query is what to ask the store, scoped to regionIDs when not nil.
func (s *FigureSpec) Query(regionIDs []string) AggregateQuery {
	return AggregateQuery{Metrics: s.Metrics, Window: s.Window, Filter: s.Filter, RegionIDs: regionIDs, Drafts: s.Drafts, GroupBy: s.GroupBy, AsOf: s.AsOf}
}

// ExpectedRegions are the regions a national figure should hear from: all,
// or those the filter names.
func ExpectedRegions(regions []Region, f FigureFilter) []Region {
	if len(f.RegionCodes) == 0 {
		return regions
	}
	var out []Region
	for _, r := range regions {
		if slices.Contains(f.RegionCodes, r.Code) {
			out = append(out, r)
		}
	}
	return out
}

// regionFigure is one region's part; a nil row means it did not report.
func regionFigure(r Region, row *AggregateRow, kind MetricKind) RegionFigure {
	f := RegionFigure{Region: r}
	if row == nil {
		return f
	}
	f.Reported = true
	f.Value = row.Combined(kind)
	f.OutcomeCount = int(row.Outcomes)
	f.LatestPeriodEnd = row.LatestEnd
	if kind == MetricRate {
		f.Numerator, f.Denominator = row.Numerator, row.Denominator
	}
	return f
}

// figure assembles a figure of metrics from its total row and each
// expected region's row, listing every expected region: those without a
// row are missing, never zero.
func (s *FigureSpec) figure(metrics []Metric, total *AggregateRow, perRegion map[string]*AggregateRow, expected []Region) *Figure {
	kind, unit := metrics[0].Kind, unitOf(metrics[0])
	f := &Figure{
		Metrics: metrics, Kind: kind, Unit: unit, Window: s.Window,
		IncludesDrafts: s.Drafts.All || len(s.Drafts.RegionIDs) > 0,
		Coverage:       &Coverage{ReportingRegions: []Region{}, MissingRegions: []Region{}, ExpectedCount: len(expected)},
		ByRegion:       make([]RegionFigure, 0, len(expected)),
	}
	if total != nil {
		f.Value = total.Combined(kind)
		f.OutcomeCount = int(total.Outcomes)
		if kind == MetricRate {
			f.Numerator, f.Denominator = total.Numerator, total.Denominator
		}
	}
	for _, r := range expected {
		row := perRegion[r.ID]
		f.ByRegion = append(f.ByRegion, regionFigure(r, row, kind))
		if row != nil {
			f.Coverage.ReportingRegions = append(f.Coverage.ReportingRegions, r)
		} else {
			f.Coverage.MissingRegions = append(f.Coverage.MissingRegions, r)
		}
	}
	f.Coverage.ReportingCount = len(f.Coverage.ReportingRegions)
	return f
}

// splitRows separates an aggregate's total rows from its per-region rows.
func splitRows(rows []AggregateRow) (totals, perRegion []*AggregateRow) {
	for i := range rows {
		if rows[i].Total {
			totals = append(totals, &rows[i])
		} else {
			perRegion = append(perRegion, &rows[i])
		}
	}
	return totals, perRegion
}

func byRegionID(rows []*AggregateRow) map[string]*AggregateRow {
	m := map[string]*AggregateRow{}
	for _, r := range rows {
		if r.RegionID != nil {
			m[*r.RegionID] = r
		}
	}
	return m
}

func pointers(rows []AggregateRow) []*AggregateRow {
	out := make([]*AggregateRow, len(rows))
	for i := range rows {
		out[i] = &rows[i]
	}
	return out
}

// NationalFigure assembles the national figure from the store's total row
// and per-region rows; the filter's regions (or all) are expected.
func (s *FigureSpec) NationalFigure(rows []AggregateRow, regions []Region) *Figure {
	totals, perRegion := splitRows(rows)
	var total *AggregateRow
	if len(totals) > 0 {
		total = totals[0]
	}
	return s.figure(s.Metrics, total, byRegionID(perRegion), ExpectedRegions(regions, s.Filter))
}

// RegionalFigure assembles one region's figure from its own row: the
// headline is the region's, and only that region is expected.
func (s *FigureSpec) RegionalFigure(region Region, rows []AggregateRow) *Figure {
	var row *AggregateRow
	if len(rows) > 0 {
		row = &rows[0]
	}
	return s.figure(s.Metrics, row, map[string]*AggregateRow{region.ID: row}, []Region{region})
}

// series lays the period rows over every period of the window, so periods
// nobody reported in are gaps, not zeros.
func (s *FigureSpec) series(rows []*AggregateRow) *Series {
	interval := s.GroupBy[0]
	// keyed by the day: dates from the driver carry another *Location than UTC
	byPeriod := map[string]*AggregateRow{}
	for _, r := range rows {
		if r.PeriodStart != nil {
			byPeriod[r.PeriodStart.Format(time.DateOnly)] = r
		}
	}
	out := &Series{Metrics: s.Metrics, Kind: s.Kind, Unit: s.Unit, Window: s.Window, Points: []SeriesPoint{}}
	for _, per := range Periods(s.Window, interval) {
		pt := SeriesPoint{Period: per}
		if r := byPeriod[per.Start.Format(time.DateOnly)]; r != nil {
			pt.Reported = true
			pt.Value = r.Combined(s.Kind)
			pt.OutcomeCount = int(r.Outcomes)
			pt.ReportingCount = r.Regions
			if s.Kind == MetricRate {
				pt.Numerator, pt.Denominator = r.Numerator, r.Denominator
			}
		}
		out.Points = append(out.Points, pt)
	}
	return out
}

// NationalSeries assembles a series from the store's period totals.
func (s *FigureSpec) NationalSeries(rows []AggregateRow) *Series {
	totals, _ := splitRows(rows)
	return s.series(totals)
}

// RegionalSeries assembles a series from one region's period rows.
func (s *FigureSpec) RegionalSeries(rows []AggregateRow) *Series {
	return s.series(pointers(rows))
}

// NationalBreakdownRows picks the rows a national breakdown shows: each
// region's when grouped by REGION, else each group's total.
func (s *FigureSpec) NationalBreakdownRows(rows []AggregateRow) []AggregateRow {
	byRegion := slices.Contains(s.GroupBy, DimRegion)
	out := []AggregateRow{}
	for _, r := range rows {
		if r.Total != byRegion {
			out = append(out, r)
		}
	}
	return out
}

// RegionalBreakdownRows are one region's rows, naming the region only
// when grouped by REGION.
func (s *FigureSpec) RegionalBreakdownRows(rows []AggregateRow) []AggregateRow {
	out := slices.Clone(rows)
	if !slices.Contains(s.GroupBy, DimRegion) {
		for i := range out {
			out[i].RegionID = nil
		}
	}
	return out
}

// BreakdownRefs lists the programmes and innovations breakdown rows name,
// so they can be read in one statement each.
func BreakdownRefs(rows []AggregateRow) (programmeIDs, innovationIDs []string) {
	for _, r := range rows {
		if r.ProgrammeID != nil {
			programmeIDs = append(programmeIDs, *r.ProgrammeID)
		}
		if r.InnovationID != nil {
			innovationIDs = append(innovationIDs, *r.InnovationID)
		}
	}
	return programmeIDs, innovationIDs
}

// Groups turns breakdown rows into groups, naming the regions, programmes
// and innovations they are of.
func (s *FigureSpec) Groups(rows []AggregateRow, regions []Region, programmes map[string]Programme, innovations map[string]Innovation) []FigureGroup {
	regionByID := map[string]Region{}
	for _, r := range regions {
		regionByID[r.ID] = r
	}
	period := Dimension("")
	for _, d := range s.GroupBy {
		if d.IsPeriod() {
			period = d
		}
	}
	out := make([]FigureGroup, 0, len(rows))
	for _, r := range rows {
		g := FigureGroup{
			ClinicalArea: r.ClinicalArea, InnovationStage: r.Stage, Value: r.Combined(s.Kind),
			OutcomeCount: int(r.Outcomes), ReportingCount: r.Regions,
		}
		if s.Kind == MetricRate {
			g.Numerator, g.Denominator = r.Numerator, r.Denominator
		}
		if r.RegionID != nil {
			reg := regionByID[*r.RegionID]
			g.Region = &reg
		}
		if r.ProgrammeID != nil {
			if v, ok := programmes[*r.ProgrammeID]; ok {
				g.Programme = &v
			}
		}
		if r.InnovationID != nil {
			if v, ok := innovations[*r.InnovationID]; ok {
				g.Innovation = &v
			}
		}
		if r.PeriodStart != nil && period != "" {
			day := time.Date(r.PeriodStart.Year(), r.PeriodStart.Month(), r.PeriodStart.Day(), 0, 0, 0, 0, time.UTC)
			per := Periods(Window{From: day, To: day}, period)[0]
			g.Period = &per
		}
		out = append(out, g)
	}
	return out
}

// Comparison assembles regions side by side from rows grouped by metric:
// each metric combined under its own rule, every region listed.
func (s *FigureSpec) Comparison(rows []AggregateRow, regions []Region) *RegionComparison {
	perMetric, totals := map[string]map[string]*AggregateRow{}, map[string]*AggregateRow{}
	for i := range rows {
		r := &rows[i]
		switch {
		case r.MetricID == nil:
		case r.Total:
			totals[*r.MetricID] = r
		case r.RegionID != nil:
			if perMetric[*r.MetricID] == nil {
				perMetric[*r.MetricID] = map[string]*AggregateRow{}
			}
			perMetric[*r.MetricID][*r.RegionID] = r
		}
	}
	out := &RegionComparison{Metrics: s.Metrics, Window: s.Window}
	for _, m := range s.Metrics {
		out.National = append(out.National, *s.figure([]Metric{m}, totals[m.ID], perMetric[m.ID], regions))
	}
	for _, r := range regions {
		row := RegionComparisonRow{Region: r}
		for _, m := range s.Metrics {
			row.Cells = append(row.Cells, regionFigure(r, perMetric[m.ID][r.ID], m.Kind))
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// pipelineStages fills every stage, in journey order, from one region's
// (or the nation's) count rows; the moves come summed from SQL.
func pipelineStages(rows []StageCount) (stages []StageCount, moves int) {
	stages = make([]StageCount, len(Stages))
	for i, st := range Stages {
		stages[i] = StageCount{Stage: st}
		for _, r := range rows {
			if r.Stage == st {
				stages[i].Innovations, stages[i].MovedIn = r.Innovations, r.MovedIn
			}
		}
	}
	if len(rows) > 0 {
		moves = rows[0].AllMoves
	}
	return stages, moves
}

// NationalPipeline assembles the pipeline from national rows (no region)
// and per-region rows; the filter's regions (or all) are listed.
func NationalPipeline(rows []StageCount, regions []Region, f FigureFilter) *Pipeline {
	var national []StageCount
	perRegion := map[string][]StageCount{}
	for _, r := range rows {
		if r.RegionID == nil {
			national = append(national, r)
		} else {
			perRegion[*r.RegionID] = append(perRegion[*r.RegionID], r)
		}
	}
	out := &Pipeline{ByRegion: []RegionPipeline{}}
	out.Stages, out.Moves = pipelineStages(national)
	for _, reg := range ExpectedRegions(regions, f) {
		stages, moves := pipelineStages(perRegion[reg.ID])
		out.ByRegion = append(out.ByRegion, RegionPipeline{Region: reg, Stages: stages, Moves: moves})
	}
	return out
}

// RegionalPipeline assembles one region's pipeline from its rows.
func RegionalPipeline(region Region, rows []StageCount) *Pipeline {
	stages, moves := pipelineStages(rows)
	return &Pipeline{Stages: stages, Moves: moves, ByRegion: []RegionPipeline{{Region: region, Stages: stages, Moves: moves}}}
}

// SpreadRequest is adoptionSpread's arguments as the client gave them.
type SpreadRequest struct {
	InnovationID *string            `json:"innovationId"`
	ProgrammeID  *string            `json:"programmeId"`
	Kinds        []OrganisationKind `json:"kinds"`
	On           *time.Time         `json:"on"`
}

// Date is the day adoptions are counted to: On, or the UTC day of now.
func (r SpreadRequest) Date(now time.Time) time.Time {
	if r.On != nil {
		return *r.On
	}
	now = now.UTC()
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}

// NationalSpread groups adoption counts by region, in the order of
// regions, leaving out regions with no row.
func NationalSpread(regions []Region, rows []AdoptionCount) *AdoptionSpread {
	out := &AdoptionSpread{ByRegion: []RegionAdoption{}}
	for _, reg := range regions {
		ra := RegionAdoption{Region: reg, ByKind: []AdoptionByKind{}}
		for _, r := range rows {
			if r.RegionID != reg.ID {
				continue
			}
			k := AdoptionByKind{Kind: r.Kind, Adopters: r.Adopters, Organisations: r.Organisations}
			if r.Organisations > 0 {
				share := float64(r.Adopters) / float64(r.Organisations)
				k.Share = &share
			}
			ra.Adopters = r.RegionAdopters
			ra.ByKind = append(ra.ByKind, k)
		}
		if len(ra.ByKind) > 0 {
			out.ByRegion = append(out.ByRegion, ra)
		}
	}
	if len(rows) > 0 {
		out.Adopters = rows[0].AllAdopters
	}
	return out
}

// RegionalSpread is one region's spread: its adopters are the region's.
func RegionalSpread(region Region, rows []AdoptionCount) *AdoptionSpread {
	out := NationalSpread([]Region{region}, rows)
	out.Adopters = 0
	if len(out.ByRegion) > 0 {
		out.Adopters = out.ByRegion[0].Adopters
	}
	return out
}
