package graph

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/hin-graph/hin-graph/graph/model"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// National figures: resolvers call these with their arguments; the numbers
// all come from single SQL statements in store/national.go, and fields
// under regions batch per region like any nested field.

// maxAggregateMetrics bounds how many metrics one aggregate may name.
const maxAggregateMetrics = 20

// figureArgs are the arguments every outcome aggregate takes.
type figureArgs struct {
	Metrics       []string
	Window        hin.WindowInput
	Filter        *hin.FigureFilter
	IncludeDrafts *bool
	GroupBy       []hin.Dimension
}

// prepared is figureArgs checked and resolved.
type prepared struct {
	metrics []hin.Metric
	kind    hin.MetricKind
	unit    string
	window  hin.Window
	drafts  hin.DraftScope
	filter  hin.FigureFilter
}

// requestCache holds what every aggregate of one request needs: the metric
// catalogue and the regions, each read once.
type requestCache struct {
	once    sync.Once
	metrics map[string]hin.Metric
	regions []hin.Region
	err     error
}

func (l *Loaders) reference(ctx context.Context) (*requestCache, error) {
	c := &l.cache
	c.once.Do(func() {
		ms, err := l.store.Metrics(ctx, hin.MetricFilter{})
		if err != nil {
			c.err = err
			return
		}
		c.metrics = map[string]hin.Metric{}
		for _, m := range ms {
			c.metrics[m.Code] = m
		}
		c.regions, c.err = l.store.Regions(ctx, hin.RegionFilter{})
	})
	return c, c.err
}

func prepare(ctx context.Context, a figureArgs, combine bool) (*prepared, error) {
	if len(a.Metrics) == 0 || len(a.Metrics) > maxAggregateMetrics {
		return nil, hin.Invalid("metrics", "name from 1 to %d metric codes", maxAggregateMetrics)
	}
	ref, err := loadersFrom(ctx).reference(ctx)
	if err != nil {
		return nil, err
	}
	p := &prepared{filter: deref(a.Filter)}
	for _, code := range a.Metrics {
		m, ok := ref.metrics[code]
		if !ok {
			return nil, hin.Invalid("metrics", "no metric has the code %s; the metrics query lists the catalogue", hin.Quote(code))
		}
		if !slices.ContainsFunc(p.metrics, func(x hin.Metric) bool { return x.ID == m.ID }) {
			p.metrics = append(p.metrics, m)
		}
	}
	if combine {
		if err := hin.CheckCombinable(p.metrics); err != nil {
			return nil, err
		}
	}
	p.kind, p.unit = p.metrics[0].Kind, p.metrics[0].Unit
	if p.kind == hin.MetricRate {
		p.unit = "fraction"
	}
	if p.window, err = a.Window.Resolve("window"); err != nil {
		return nil, err
	}
	if p.drafts, err = hin.DraftsFor(ctx, a.IncludeDrafts != nil && *a.IncludeDrafts); err != nil {
		return nil, err
	}
	return p, nil
}

// expectedRegions are the regions a national figure should hear from.
func expectedRegions(regions []hin.Region, f hin.FigureFilter) []hin.Region {
	if len(f.RegionCodes) == 0 {
		return regions
	}
	var out []hin.Region
	for _, r := range regions {
		if slices.Contains(f.RegionCodes, r.Code) {
			out = append(out, r)
		}
	}
	return out
}

func (p *prepared) query(groupBy []hin.Dimension, regionIDs []string) hin.AggregateQuery {
	return hin.AggregateQuery{Metrics: p.metrics, Window: p.window, Filter: p.filter, RegionIDs: regionIDs, Drafts: p.drafts, GroupBy: groupBy}
}

func intOf(n int64) int { return int(n) }

// regionFigure is one region's cell; a nil row means it did not report.
func regionFigure(r hin.Region, row *hin.AggregateRow, kind hin.MetricKind) model.RegionFigure {
	f := model.RegionFigure{Region: r}
	if row == nil {
		return f
	}
	f.Reported = true
	f.Value = row.Combined(kind)
	f.OutcomeCount = intOf(row.Outcomes)
	f.LatestPeriodEnd = row.LatestEnd
	if kind == hin.MetricRate {
		f.Numerator, f.Denominator = row.Numerator, row.Denominator
	}
	return f
}

// buildFigure assembles a figure from its total and per-region rows.
func buildFigure(p *prepared, metrics []hin.Metric, kind hin.MetricKind, unit string, total *hin.AggregateRow,
	perRegion map[string]*hin.AggregateRow, expected []hin.Region) *model.Figure {
	f := &model.Figure{
		Metrics: metrics, Kind: kind, Unit: unit, Window: p.window,
		IncludesDrafts: p.drafts.All || len(p.drafts.RegionIDs) > 0,
		Coverage:       &model.Coverage{ReportingRegions: []hin.Region{}, MissingRegions: []hin.Region{}, ExpectedCount: len(expected)},
		ByRegion:       make([]model.RegionFigure, 0, len(expected)),
	}
	if total != nil {
		f.Value = total.Combined(kind)
		f.OutcomeCount = intOf(total.Outcomes)
		if kind == hin.MetricRate {
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
func splitRows(rows []hin.AggregateRow) (totals, perRegion []*hin.AggregateRow) {
	for i := range rows {
		if rows[i].Total {
			totals = append(totals, &rows[i])
		} else {
			perRegion = append(perRegion, &rows[i])
		}
	}
	return
}

func byRegionID(rows []*hin.AggregateRow) map[string]*hin.AggregateRow {
	m := map[string]*hin.AggregateRow{}
	for _, r := range rows {
		if r.RegionID != nil {
			m[*r.RegionID] = r
		}
	}
	return m
}

// nationalFigure answers Query.figure.
func nationalFigure(ctx context.Context, s *store.Store, a figureArgs) (*model.Figure, error) {
	p, err := prepare(ctx, a, true)
	if err != nil {
		return nil, err
	}
	rows, err := s.Aggregate(ctx, p.query(nil, nil))
	if err != nil {
		return nil, err
	}
	ref, _ := loadersFrom(ctx).reference(ctx)
	totals, perRegion := splitRows(rows)
	var total *hin.AggregateRow
	if len(totals) > 0 {
		total = totals[0]
	}
	return buildFigure(p, p.metrics, p.kind, p.unit, total, byRegionID(perRegion), expectedRegions(ref.regions, p.filter)), nil
}

// regionRows runs one aggregate for every region asking with the same
// arguments and hands each region its own rows.
func regionRows(ctx context.Context, s *store.Store, name string, a figureArgs, p *prepared, groupBy []hin.Dimension, regionID string) ([]hin.AggregateRow, error) {
	key, _ := json.Marshal(a)
	b := batcherFor(ctx, name+"|"+string(key), func(ctx context.Context, ids []string) (map[string][]hin.AggregateRow, error) {
		rows, err := s.Aggregate(ctx, p.query(groupBy, ids))
		if err != nil {
			return nil, err
		}
		out := make(map[string][]hin.AggregateRow, len(ids))
		for _, r := range rows {
			if !r.Total && r.RegionID != nil {
				out[*r.RegionID] = append(out[*r.RegionID], r)
			}
		}
		return out, nil
	}, nil)
	rows, _, err := b.Load(ctx, regionID)
	return rows, err
}

// regionalFigure answers Region.figure.
func regionalFigure(ctx context.Context, s *store.Store, region *hin.Region, a figureArgs) (*model.Figure, error) {
	p, err := prepare(ctx, a, true)
	if err != nil {
		return nil, err
	}
	rows, err := regionRows(ctx, s, "figure", a, p, nil, region.ID)
	if err != nil {
		return nil, err
	}
	var row *hin.AggregateRow
	if len(rows) > 0 {
		row = &rows[0]
	}
	return buildFigure(p, p.metrics, p.kind, p.unit, row, map[string]*hin.AggregateRow{region.ID: row}, []hin.Region{*region}), nil
}

func checkInterval(d hin.Dimension) error {
	if !d.IsPeriod() {
		return hin.Invalid("interval", "interval must be MONTH, QUARTER or FINANCIAL_YEAR, not %s", d)
	}
	return nil
}

// buildSeries lays the period rows over every period of the window, so
// periods nobody reported in are gaps, not zeros.
func buildSeries(p *prepared, interval hin.Dimension, rows []*hin.AggregateRow) *model.Series {
	// keyed by the day: dates from the driver carry another *Location than UTC
	byPeriod := map[string]*hin.AggregateRow{}
	for _, r := range rows {
		if r.PeriodStart != nil {
			byPeriod[r.PeriodStart.Format(time.DateOnly)] = r
		}
	}
	s := &model.Series{Metrics: p.metrics, Kind: p.kind, Unit: p.unit, Window: p.window, Points: []model.SeriesPoint{}}
	for _, per := range hin.Periods(p.window, interval) {
		pt := model.SeriesPoint{Period: per}
		if r := byPeriod[per.Start.Format(time.DateOnly)]; r != nil {
			pt.Reported = true
			pt.Value = r.Combined(p.kind)
			pt.OutcomeCount = intOf(r.Outcomes)
			pt.ReportingCount = r.Regions
			if p.kind == hin.MetricRate {
				pt.Numerator, pt.Denominator = r.Numerator, r.Denominator
			}
		}
		s.Points = append(s.Points, pt)
	}
	return s
}

// nationalSeries answers Query.series.
func nationalSeries(ctx context.Context, s *store.Store, a figureArgs, interval hin.Dimension) (*model.Series, error) {
	if err := checkInterval(interval); err != nil {
		return nil, err
	}
	p, err := prepare(ctx, a, true)
	if err != nil {
		return nil, err
	}
	rows, err := s.Aggregate(ctx, p.query([]hin.Dimension{interval}, nil))
	if err != nil {
		return nil, err
	}
	totals, _ := splitRows(rows)
	return buildSeries(p, interval, totals), nil
}

// regionalSeries answers Region.series.
func regionalSeries(ctx context.Context, s *store.Store, region *hin.Region, a figureArgs, interval hin.Dimension) (*model.Series, error) {
	if err := checkInterval(interval); err != nil {
		return nil, err
	}
	p, err := prepare(ctx, a, true)
	if err != nil {
		return nil, err
	}
	a.GroupBy = []hin.Dimension{interval}
	rows, err := regionRows(ctx, s, "series", a, p, a.GroupBy, region.ID)
	if err != nil {
		return nil, err
	}
	ptrs := make([]*hin.AggregateRow, len(rows))
	for i := range rows {
		ptrs[i] = &rows[i]
	}
	return buildSeries(p, interval, ptrs), nil
}

func checkGroupBy(groupBy []hin.Dimension) error {
	if len(groupBy) == 0 {
		return hin.Invalid("groupBy", "name at least one dimension to group by")
	}
	periods := 0
	for i, d := range groupBy {
		if slices.Contains(groupBy[:i], d) {
			return hin.Invalid("groupBy", "%s is named twice", d)
		}
		if d.IsPeriod() {
			periods++
		}
	}
	if periods > 1 {
		return hin.Invalid("groupBy", "group by at most one of MONTH, QUARTER and FINANCIAL_YEAR")
	}
	return nil
}

// buildGroups turns breakdown rows into groups, fetching the programmes and
// innovations they name in one statement each.
func buildGroups(ctx context.Context, s *store.Store, p *prepared, groupBy []hin.Dimension, rows []*hin.AggregateRow) ([]model.FigureGroup, error) {
	ref, err := loadersFrom(ctx).reference(ctx)
	if err != nil {
		return nil, err
	}
	regions := map[string]hin.Region{}
	for _, r := range ref.regions {
		regions[r.ID] = r
	}
	var progIDs, innIDs []string
	for _, r := range rows {
		if r.ProgrammeID != nil {
			progIDs = append(progIDs, *r.ProgrammeID)
		}
		if r.InnovationID != nil {
			innIDs = append(innIDs, *r.InnovationID)
		}
	}
	progs, innovs := map[string]hin.Programme{}, map[string]hin.Innovation{}
	if len(progIDs) > 0 {
		if progs, err = s.ProgrammesByID(ctx, progIDs); err != nil {
			return nil, err
		}
	}
	if len(innIDs) > 0 {
		if innovs, err = s.InnovationsByID(ctx, innIDs); err != nil {
			return nil, err
		}
	}
	period := hin.Dimension("")
	for _, d := range groupBy {
		if d.IsPeriod() {
			period = d
		}
	}
	out := make([]model.FigureGroup, 0, len(rows))
	for _, r := range rows {
		g := model.FigureGroup{
			ClinicalArea: r.ClinicalArea, InnovationStage: r.Stage, Value: r.Combined(p.kind),
			OutcomeCount: intOf(r.Outcomes), ReportingCount: r.Regions,
		}
		if p.kind == hin.MetricRate {
			g.Numerator, g.Denominator = r.Numerator, r.Denominator
		}
		if r.RegionID != nil {
			reg := regions[*r.RegionID]
			g.Region = &reg
		}
		if r.ProgrammeID != nil {
			if v, ok := progs[*r.ProgrammeID]; ok {
				g.Programme = &v
			}
		}
		if r.InnovationID != nil {
			if v, ok := innovs[*r.InnovationID]; ok {
				g.Innovation = &v
			}
		}
		if r.PeriodStart != nil && period != "" {
			day := time.Date(r.PeriodStart.Year(), r.PeriodStart.Month(), r.PeriodStart.Day(), 0, 0, 0, 0, time.UTC)
			per := hin.Periods(hin.Window{From: day, To: day}, period)[0]
			g.Period = &per
		}
		out = append(out, g)
	}
	return out, nil
}

// nationalBreakdown answers Query.figureBreakdown.
func nationalBreakdown(ctx context.Context, s *store.Store, a figureArgs) ([]model.FigureGroup, error) {
	if err := checkGroupBy(a.GroupBy); err != nil {
		return nil, err
	}
	p, err := prepare(ctx, a, true)
	if err != nil {
		return nil, err
	}
	rows, err := s.Aggregate(ctx, p.query(a.GroupBy, nil))
	if err != nil {
		return nil, err
	}
	totals, perRegion := splitRows(rows)
	if slices.Contains(a.GroupBy, hin.DimRegion) {
		totals = perRegion
	}
	return buildGroups(ctx, s, p, a.GroupBy, totals)
}

// regionalBreakdown answers Region.figureBreakdown.
func regionalBreakdown(ctx context.Context, s *store.Store, region *hin.Region, a figureArgs) ([]model.FigureGroup, error) {
	if err := checkGroupBy(a.GroupBy); err != nil {
		return nil, err
	}
	p, err := prepare(ctx, a, true)
	if err != nil {
		return nil, err
	}
	rows, err := regionRows(ctx, s, "breakdown", a, p, a.GroupBy, region.ID)
	if err != nil {
		return nil, err
	}
	ptrs := make([]*hin.AggregateRow, len(rows))
	for i := range rows {
		ptrs[i] = &rows[i]
		if !slices.Contains(a.GroupBy, hin.DimRegion) {
			rows[i].RegionID = nil
		}
	}
	return buildGroups(ctx, s, p, a.GroupBy, ptrs)
}

// comparison answers Query.regionComparison: one statement for every metric
// and region, each metric combined under its own rule.
func comparison(ctx context.Context, s *store.Store, a figureArgs) (*model.RegionComparison, error) {
	p, err := prepare(ctx, a, false)
	if err != nil {
		return nil, err
	}
	rows, err := s.Aggregate(ctx, p.query([]hin.Dimension{hin.DimMetric}, nil))
	if err != nil {
		return nil, err
	}
	ref, _ := loadersFrom(ctx).reference(ctx)
	type cell = map[string]*hin.AggregateRow
	perMetric, totals := map[string]cell{}, map[string]*hin.AggregateRow{}
	for i := range rows {
		r := &rows[i]
		if r.MetricID == nil {
			continue
		}
		if r.Total {
			totals[*r.MetricID] = r
			continue
		}
		if perMetric[*r.MetricID] == nil {
			perMetric[*r.MetricID] = cell{}
		}
		perMetric[*r.MetricID][*r.RegionID] = r
	}
	out := &model.RegionComparison{Metrics: p.metrics, Window: p.window}
	for _, m := range p.metrics {
		unit := m.Unit
		if m.Kind == hin.MetricRate {
			unit = "fraction"
		}
		out.National = append(out.National, *buildFigure(p, []hin.Metric{m}, m.Kind, unit, totals[m.ID], perMetric[m.ID], ref.regions))
	}
	for _, r := range ref.regions {
		row := model.RegionComparisonRow{Region: r}
		for _, m := range p.metrics {
			row.Cells = append(row.Cells, regionFigure(r, perMetric[m.ID][r.ID], m.Kind))
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// pipelineStages fills every stage, in journey order, from count rows.
func pipelineStages(rows []hin.StageCount) ([]hin.StageCount, int) {
	out := make([]hin.StageCount, len(hin.Stages))
	moves := 0
	for i, st := range hin.Stages {
		out[i] = hin.StageCount{Stage: st}
		for _, r := range rows {
			if r.Stage == st {
				out[i].Innovations, out[i].MovedIn = r.Innovations, r.MovedIn
			}
		}
		moves += out[i].MovedIn
	}
	return out, moves
}

func movedWindow(in *hin.WindowInput) (*hin.Window, error) {
	if in == nil {
		return nil, nil
	}
	w, err := in.Resolve("movedIn")
	return &w, err
}

// pipeline answers Query.innovationPipeline.
func pipeline(ctx context.Context, s *store.Store, filter *hin.FigureFilter, movedIn *hin.WindowInput) (*model.Pipeline, error) {
	moved, err := movedWindow(movedIn)
	if err != nil {
		return nil, err
	}
	rows, err := s.Pipeline(ctx, deref(filter), nil, moved)
	if err != nil {
		return nil, err
	}
	ref, err := loadersFrom(ctx).reference(ctx)
	if err != nil {
		return nil, err
	}
	var national []hin.StageCount
	perRegion := map[string][]hin.StageCount{}
	for _, r := range rows {
		if r.RegionID == nil {
			national = append(national, r)
		} else {
			perRegion[*r.RegionID] = append(perRegion[*r.RegionID], r)
		}
	}
	out := &model.Pipeline{ByRegion: []model.RegionPipeline{}}
	out.Stages, out.Moves = pipelineStages(national)
	for _, reg := range expectedRegions(ref.regions, deref(filter)) {
		stages, moves := pipelineStages(perRegion[reg.ID])
		out.ByRegion = append(out.ByRegion, model.RegionPipeline{Region: reg, Stages: stages, Moves: moves})
	}
	return out, nil
}

// regionalPipeline answers Region.innovationPipeline, batched over regions.
func regionalPipeline(ctx context.Context, s *store.Store, region *hin.Region, filter *hin.FigureFilter, movedIn *hin.WindowInput) (*model.Pipeline, error) {
	moved, err := movedWindow(movedIn)
	if err != nil {
		return nil, err
	}
	key, _ := json.Marshal([]any{filter, movedIn})
	b := batcherFor(ctx, "pipeline|"+string(key), func(ctx context.Context, ids []string) (map[string][]hin.StageCount, error) {
		rows, err := s.Pipeline(ctx, deref(filter), ids, moved)
		if err != nil {
			return nil, err
		}
		out := map[string][]hin.StageCount{}
		for _, r := range rows {
			if r.RegionID != nil {
				out[*r.RegionID] = append(out[*r.RegionID], r)
			}
		}
		return out, nil
	}, nil)
	rows, _, err := b.Load(ctx, region.ID)
	if err != nil {
		return nil, err
	}
	stages, moves := pipelineStages(rows)
	return &model.Pipeline{Stages: stages, Moves: moves, ByRegion: []model.RegionPipeline{{Region: *region, Stages: stages, Moves: moves}}}, nil
}

type spreadArgs struct {
	InnovationID, ProgrammeID *string
	Kinds                     []hin.OrganisationKind
	On                        *time.Time
}

func (a spreadArgs) date() time.Time {
	if a.On != nil {
		return *a.On
	}
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}

// buildSpread groups adoption counts by region, in region code order.
func buildSpread(regions []hin.Region, rows []hin.AdoptionCount) *model.AdoptionSpread {
	out := &model.AdoptionSpread{ByRegion: []model.RegionAdoption{}}
	for _, reg := range regions {
		ra := model.RegionAdoption{Region: reg, ByKind: []model.KindAdoption{}}
		for _, r := range rows {
			if r.RegionID != reg.ID {
				continue
			}
			k := model.KindAdoption{Kind: r.Kind, Adopters: r.Adopters, Organisations: r.Organisations}
			if r.Organisations > 0 {
				share := float64(r.Adopters) / float64(r.Organisations)
				k.Share = &share
			}
			ra.Adopters += r.Adopters
			ra.ByKind = append(ra.ByKind, k)
		}
		if len(ra.ByKind) > 0 {
			out.Adopters += ra.Adopters
			out.ByRegion = append(out.ByRegion, ra)
		}
	}
	return out
}

// adoptionSpread answers Query.adoptionSpread.
func adoptionSpread(ctx context.Context, s *store.Store, a spreadArgs) (*model.AdoptionSpread, error) {
	rows, err := s.AdoptionSpread(ctx, a.InnovationID, a.ProgrammeID, a.Kinds, nil, a.date())
	if err != nil {
		return nil, err
	}
	ref, err := loadersFrom(ctx).reference(ctx)
	if err != nil {
		return nil, err
	}
	return buildSpread(ref.regions, rows), nil
}

// regionalAdoptionSpread answers Region.adoptionSpread, batched over regions.
func regionalAdoptionSpread(ctx context.Context, s *store.Store, region *hin.Region, a spreadArgs) (*model.AdoptionSpread, error) {
	key, _ := json.Marshal(a)
	b := batcherFor(ctx, "spread|"+string(key), func(ctx context.Context, ids []string) (map[string][]hin.AdoptionCount, error) {
		rows, err := s.AdoptionSpread(ctx, a.InnovationID, a.ProgrammeID, a.Kinds, ids, a.date())
		if err != nil {
			return nil, err
		}
		out := map[string][]hin.AdoptionCount{}
		for _, r := range rows {
			out[r.RegionID] = append(out[r.RegionID], r)
		}
		return out, nil
	}, nil)
	rows, _, err := b.Load(ctx, region.ID)
	if err != nil {
		return nil, err
	}
	return buildSpread([]hin.Region{*region}, rows), nil
}
