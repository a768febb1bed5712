package store

import (
	"context"
	"sync"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Figures answers the figure reports for one caller: it checks a request
// against the metric catalogue, runs its aggregate and names what the rows
// refer to, with the rules in internal/hin/figure.go. The catalogue and the
// regions are read once, on first use, so one GraphQL request (which keeps
// one Figures with its loaders) or one CSV export reads each at most once.
type Figures struct {
	s *Store

	once    sync.Once
	metrics map[string]hin.Metric
	regions []hin.Region
	err     error
}

// Figures makes the figure service for one caller.
func (s *Store) Figures() *Figures { return &Figures{s: s} }

// Reference returns the metric catalogue by code and every region, read
// once for this caller.
func (f *Figures) Reference(ctx context.Context) (map[string]hin.Metric, []hin.Region, error) {
	f.once.Do(func() {
		ms, err := f.s.Metrics(ctx, hin.MetricFilter{})
		if err != nil {
			f.err = err
			return
		}
		f.metrics = map[string]hin.Metric{}
		for _, m := range ms {
			f.metrics[m.Code] = m
		}
		f.regions, f.err = f.s.Regions(ctx, hin.RegionFilter{})
	})
	return f.metrics, f.regions, f.err
}

// Check checks a figure request against the metric catalogue.
func (f *Figures) Check(ctx context.Context, r hin.FigureRequest, shape hin.FigureShape) (*hin.FigureSpec, error) {
	return r.Check(ctx, shape, func() (map[string]hin.Metric, error) {
		metrics, _, err := f.Reference(ctx)
		return metrics, err
	})
}

// National checks a request and runs its aggregate over every region,
// returning the rows with the regions.
func (f *Figures) National(ctx context.Context, r hin.FigureRequest, shape hin.FigureShape) (*hin.FigureSpec, []hin.AggregateRow, []hin.Region, error) {
	spec, err := f.Check(ctx, r, shape)
	if err != nil {
		return nil, nil, nil, err
	}
	rows, err := f.s.Aggregate(ctx, spec.Query(nil))
	if err != nil {
		return nil, nil, nil, err
	}
	_, regions, err := f.Reference(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	return spec, rows, regions, nil
}

// Groups names the programmes and innovations of breakdown rows, reading
// them in one statement each.
func (f *Figures) Groups(ctx context.Context, spec *hin.FigureSpec, rows []hin.AggregateRow) ([]hin.FigureGroup, error) {
	_, regions, err := f.Reference(ctx)
	if err != nil {
		return nil, err
	}
	progIDs, innIDs := hin.BreakdownRefs(rows)
	progs, innovs := map[string]hin.Programme{}, map[string]hin.Innovation{}
	if len(progIDs) > 0 {
		if progs, err = f.s.ProgrammesByID(ctx, progIDs); err != nil {
			return nil, err
		}
	}
	if len(innIDs) > 0 {
		if innovs, err = f.s.InnovationsByID(ctx, innIDs); err != nil {
			return nil, err
		}
	}
	return spec.Groups(rows, regions, progs, innovs), nil
}

// Breakdown answers a national breakdown: Query.figureBreakdown and the
// breakdown CSV export.
func (f *Figures) Breakdown(ctx context.Context, r hin.FigureRequest) ([]hin.FigureGroup, error) {
	spec, rows, _, err := f.National(ctx, r, hin.ShapeBreakdown)
	if err != nil {
		return nil, err
	}
	return f.Groups(ctx, spec, spec.NationalBreakdownRows(rows))
}
