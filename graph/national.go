package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// National figures: resolvers hand their arguments to these, which check
// them with hin.FigureRequest.Check, ask the store (every number comes from
// one SQL statement in store/national.go) and assemble the answer with the
// rules in internal/hin/figure.go. Fields under regions batch per region
// like any nested field.

// check checks a figure request against this request's metric catalogue.
func check(ctx context.Context, r hin.FigureRequest, shape hin.FigureShape) (*hin.FigureSpec, error) {
	return loadersFrom(ctx).figures.Check(ctx, r, shape)
}

// national checks a request, runs its aggregate over every region and
// returns the rows with the regions.
func national(ctx context.Context, r hin.FigureRequest, shape hin.FigureShape) (*hin.FigureSpec, []hin.AggregateRow, []hin.Region, error) {
	return loadersFrom(ctx).figures.National(ctx, r, shape)
}

// regional checks a request and runs one aggregate for every region asking
// with the same arguments, handing each region its own rows.
func regional(ctx context.Context, s *store.Store, region *hin.Region, r hin.FigureRequest, shape hin.FigureShape) (*hin.FigureSpec, []hin.AggregateRow, error) {
	spec, err := check(ctx, r, shape)
	if err != nil {
		return nil, nil, err
	}
	rows, err := perRegion(ctx, fmt.Sprint("figure", shape), r, region.ID, func(ctx context.Context, ids []string) ([]hin.AggregateRow, error) {
		return s.Aggregate(ctx, spec.Query(ids))
	}, func(row hin.AggregateRow) *string {
		if row.Total {
			return nil
		}
		return row.RegionID
	})
	return spec, rows, err
}

// perRegion runs fetch once for every region asking with the same
// arguments, and hands each region the rows regionOf gives to it.
func perRegion[R any](ctx context.Context, name string, args any, regionID string,
	fetch func(ctx context.Context, ids []string) ([]R, error), regionOf func(R) *string) ([]R, error) {
	key, _ := json.Marshal(args)
	b := batcherFor(ctx, name+"|"+string(key), func(ctx context.Context, ids []string) (map[string][]R, error) {
		rows, err := fetch(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[string][]R, len(ids))
		for _, row := range rows {
			if id := regionOf(row); id != nil {
				out[*id] = append(out[*id], row)
			}
		}
		return out, nil
	}, nil)
	rows, _, err := b.Load(ctx, regionID)
	return rows, err
}

// nationalFigure answers Query.figure.
func nationalFigure(ctx context.Context, r hin.FigureRequest) (*hin.Figure, error) {
	spec, rows, regions, err := national(ctx, r, hin.ShapeFigure)
	if err != nil {
		return nil, err
	}
	return spec.NationalFigure(rows, regions), nil
}

// regionalFigure answers Region.figure.
func regionalFigure(ctx context.Context, s *store.Store, region *hin.Region, r hin.FigureRequest) (*hin.Figure, error) {
	spec, rows, err := regional(ctx, s, region, r, hin.ShapeFigure)
	if err != nil {
		return nil, err
	}
	return spec.RegionalFigure(*region, rows), nil
}

// nationalSeries answers Query.series.
func nationalSeries(ctx context.Context, r hin.FigureRequest) (*hin.Series, error) {
	spec, rows, _, err := national(ctx, r, hin.ShapeSeries)
	if err != nil {
		return nil, err
	}
	return spec.NationalSeries(rows), nil
}

// regionalSeries answers Region.series.
func regionalSeries(ctx context.Context, s *store.Store, region *hin.Region, r hin.FigureRequest) (*hin.Series, error) {
	spec, rows, err := regional(ctx, s, region, r, hin.ShapeSeries)
	if err != nil {
		return nil, err
	}
	return spec.RegionalSeries(rows), nil
}

// groups names the programmes and innovations of breakdown rows.
func groups(ctx context.Context, spec *hin.FigureSpec, rows []hin.AggregateRow) ([]hin.FigureGroup, error) {
	return loadersFrom(ctx).figures.Groups(ctx, spec, rows)
}

// nationalBreakdown answers Query.figureBreakdown.
func nationalBreakdown(ctx context.Context, r hin.FigureRequest) ([]hin.FigureGroup, error) {
	return loadersFrom(ctx).figures.Breakdown(ctx, r)
}

// regionalBreakdown answers Region.figureBreakdown.
func regionalBreakdown(ctx context.Context, s *store.Store, region *hin.Region, r hin.FigureRequest) ([]hin.FigureGroup, error) {
	spec, rows, err := regional(ctx, s, region, r, hin.ShapeBreakdown)
	if err != nil {
		return nil, err
	}
	return groups(ctx, spec, spec.RegionalBreakdownRows(rows))
}

// comparison answers Query.regionComparison: one statement for every metric
// and region.
func comparison(ctx context.Context, r hin.FigureRequest) (*hin.RegionComparison, error) {
	spec, rows, regions, err := national(ctx, r, hin.ShapeComparison)
	if err != nil {
		return nil, err
	}
	return spec.Comparison(rows, regions), nil
}

// pipeline answers Query.innovationPipeline.
func pipeline(ctx context.Context, s *store.Store, filter *hin.FigureFilter, movedIn *hin.WindowInput) (*hin.Pipeline, error) {
	moved, err := optionalWindow(movedIn, "movedIn")
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
	return hin.NationalPipeline(rows, ref.regions, deref(filter)), nil
}

// regionalPipeline answers Region.innovationPipeline, batched over regions.
func regionalPipeline(ctx context.Context, s *store.Store, region *hin.Region, filter *hin.FigureFilter, movedIn *hin.WindowInput) (*hin.Pipeline, error) {
	moved, err := optionalWindow(movedIn, "movedIn")
	if err != nil {
		return nil, err
	}
	rows, err := perRegion(ctx, "pipeline", []any{filter, movedIn}, region.ID, func(ctx context.Context, ids []string) ([]hin.StageCount, error) {
		return s.Pipeline(ctx, deref(filter), ids, moved)
	}, func(r hin.StageCount) *string { return r.RegionID })
	if err != nil {
		return nil, err
	}
	return hin.RegionalPipeline(*region, rows), nil
}

// adoptionSpread answers Query.adoptionSpread.
func adoptionSpread(ctx context.Context, s *store.Store, a hin.SpreadRequest) (*hin.AdoptionSpread, error) {
	rows, err := s.AdoptionSpread(ctx, a.InnovationID, a.ProgrammeID, a.Kinds, nil, a.Date(time.Now()))
	if err != nil {
		return nil, err
	}
	ref, err := loadersFrom(ctx).reference(ctx)
	if err != nil {
		return nil, err
	}
	return hin.NationalSpread(ref.regions, rows), nil
}

// regionalAdoptionSpread answers Region.adoptionSpread, batched over regions.
func regionalAdoptionSpread(ctx context.Context, s *store.Store, region *hin.Region, a hin.SpreadRequest) (*hin.AdoptionSpread, error) {
	rows, err := perRegion(ctx, "spread", a, region.ID, func(ctx context.Context, ids []string) ([]hin.AdoptionCount, error) {
		return s.AdoptionSpread(ctx, a.InnovationID, a.ProgrammeID, a.Kinds, ids, a.Date(time.Now()))
	}, func(r hin.AdoptionCount) *string { return &r.RegionID })
	if err != nil {
		return nil, err
	}
	return hin.RegionalSpread(*region, rows), nil
}
