package graph

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// Scale what works: the resolvers map arguments onto the domain's queries
// (internal/hin/scale.go) and the store answers each in one statement
// (internal/store/scale.go). Under Region the same statement serves every
// region asking, through one batcher per field and argument set.

// scaleKey identifies a report's arguments for its batcher.
func scaleKey(name string, args ...any) string {
	b, _ := json.Marshal(args)
	return name + "|" + string(b)
}

// registerReports records, for a batch of region fields, one report per
// call and the objects each report holds at the given sub-paths.
func registerReports[V any](counts func(V) map[string]int) func(*objects, string, []string, map[string]V) {
	return func(objs *objects, pattern string, calls []string, res map[string]V) {
		objs.add(pattern, len(calls))
		for _, k := range calls {
			v, ok := res[k]
			if !ok {
				continue
			}
			for sub, n := range counts(v) {
				objs.add(pattern+"."+sub, n)
			}
		}
	}
}

// produceAll records a root report's objects for their nested fields.
func produceAll(ctx context.Context, counts map[string]int) {
	for sub, n := range counts {
		produced(ctx, sub, n)
	}
}

func duplicationCounts(r *hin.DuplicationReport) map[string]int {
	pilots, areaPilots := 0, 0
	for _, d := range r.ByInnovation {
		pilots += len(d.Pilots)
	}
	for _, d := range r.ByClinicalArea {
		areaPilots += len(d.Pilots)
	}
	return map[string]int{
		"byInnovation": len(r.ByInnovation), "byInnovation.pilots": pilots,
		"byClinicalArea": len(r.ByClinicalArea), "byClinicalArea.pilots": areaPilots,
	}
}

// optionalWindow resolves a window argument that may be left out; field
// names it in errors.
func optionalWindow(in *hin.WindowInput, field string) (*hin.Window, error) {
	if in == nil {
		return nil, nil
	}
	w, err := in.Resolve(field)
	return &w, err
}

// pilotDuplication answers Query.pilotDuplication.
func pilotDuplication(ctx context.Context, s *store.Store, window *hin.WindowInput, filter *hin.ScaleFilter) (*hin.DuplicationReport, error) {
	q, err := duplicationQuery(window, filter)
	if err != nil {
		return nil, err
	}
	rows, err := s.DuplicatedPilots(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &hin.DuplicationReport{}
	out.ByInnovation, out.ByClinicalArea = hin.Duplications(rows)
	produceAll(ctx, duplicationCounts(out))
	return out, nil
}

func duplicationQuery(window *hin.WindowInput, filter *hin.ScaleFilter) (hin.DuplicationQuery, error) {
	q := hin.DuplicationQuery{Filter: deref(filter)}
	var err error
	if q.Window, err = optionalWindow(window, "window"); err != nil {
		return q, err
	}
	return q, q.Filter.Validate()
}

// regionalPilotDuplication answers Region.pilotDuplication: the duplications
// each region took part in, from one statement for every region asking.
func regionalPilotDuplication(ctx context.Context, s *store.Store, region *hin.Region, window *hin.WindowInput, filter *hin.ScaleFilter) (*hin.DuplicationReport, error) {
	q, err := duplicationQuery(window, filter)
	if err != nil {
		return nil, err
	}
	b := batcherFor(ctx, scaleKey("duplication", window, filter), func(ctx context.Context, ids []string) (map[string]*hin.DuplicationReport, error) {
		q := q
		q.RegionIDs = ids
		rows, err := s.DuplicatedPilots(ctx, q)
		if err != nil {
			return nil, err
		}
		byInn, byArea := hin.Duplications(rows)
		out := make(map[string]*hin.DuplicationReport, len(ids))
		for _, id := range ids {
			r := &hin.DuplicationReport{ByInnovation: []hin.PilotDuplication{}, ByClinicalArea: []hin.ClinicalAreaDuplication{}}
			for _, d := range byInn {
				if d.Involves(id) {
					r.ByInnovation = append(r.ByInnovation, d)
				}
			}
			for _, d := range byArea {
				if d.Involves(id) {
					r.ByClinicalArea = append(r.ByClinicalArea, d)
				}
			}
			out[id] = r
		}
		return out, nil
	}, registerReports(duplicationCounts))
	r, _, err := b.Load(ctx, region.ID)
	return r, err
}

// regionsSortedByCode loads regions by id, ordered by code.
func regionsSortedByCode(ctx context.Context, ids []string) ([]hin.Region, error) {
	rs, err := loadMany(ctx, regionRef, ids)
	slices.SortFunc(rs, func(a, b hin.Region) int { return strings.Compare(a.Code, b.Code) })
	return rs, err
}

func conversionQuery(window hin.WindowInput, withinMonths *int, statuses []hin.PilotStatus, groupBy []hin.Dimension, filter *hin.ScaleFilter) (hin.ConversionQuery, error) {
	w, err := window.Resolve("window")
	if err != nil {
		return hin.ConversionQuery{}, err
	}
	return hin.NewConversionQuery(w, withinMonths, statuses, groupBy, deref(filter))
}

func conversionCounts(c *hin.PilotConversion) map[string]int {
	return map[string]int{"total": 1, "groups": len(c.Groups)}
}

// pilotConversion answers Query.pilotConversion.
func pilotConversion(ctx context.Context, s *store.Store, window hin.WindowInput, withinMonths *int, statuses []hin.PilotStatus, groupBy []hin.Dimension, filter *hin.ScaleFilter) (*hin.PilotConversion, error) {
	q, err := conversionQuery(window, withinMonths, statuses, groupBy, filter)
	if err != nil {
		return nil, err
	}
	rows, err := s.PilotConversion(ctx, q)
	if err != nil {
		return nil, err
	}
	out := hin.NewPilotConversion(q, rows)
	produceAll(ctx, conversionCounts(out))
	return out, nil
}

// regionalPilotConversion answers Region.pilotConversion, batched over regions.
func regionalPilotConversion(ctx context.Context, s *store.Store, region *hin.Region, window hin.WindowInput, withinMonths *int, statuses []hin.PilotStatus, groupBy []hin.Dimension, filter *hin.ScaleFilter) (*hin.PilotConversion, error) {
	q, err := conversionQuery(window, withinMonths, statuses, groupBy, filter)
	if err != nil {
		return nil, err
	}
	b := batcherFor(ctx, scaleKey("conversion", window, withinMonths, statuses, groupBy, filter), func(ctx context.Context, ids []string) (map[string]*hin.PilotConversion, error) {
		q := q
		q.RegionIDs = ids
		rows, err := s.PilotConversion(ctx, q)
		if err != nil {
			return nil, err
		}
		perRegion := map[string][]hin.ConversionRow{}
		for _, r := range rows {
			if r.ScopeRegionID != nil {
				perRegion[*r.ScopeRegionID] = append(perRegion[*r.ScopeRegionID], r)
			}
		}
		out := make(map[string]*hin.PilotConversion, len(ids))
		for _, id := range ids {
			out[id] = hin.NewPilotConversion(q, perRegion[id])
		}
		return out, nil
	}, registerReports(conversionCounts))
	c, _, err := b.Load(ctx, region.ID)
	return c, err
}

// spreadQuery resolves the evidence: the outcome metric from the catalogue,
// its window, and the drafts the caller may include.
func spreadQuery(ctx context.Context, evidence hin.SpreadEvidence, kinds []hin.OrganisationKind, on *time.Time, first *int, filter *hin.ScaleFilter) (hin.SpreadQuery, error) {
	q, err := hin.NewSpreadQuery(evidence, kinds, on, time.Now(), first, deref(filter))
	if err != nil {
		return q, err
	}
	if o := evidence.Outcome; o != nil {
		ref, err := loadersFrom(ctx).reference(ctx)
		if err != nil {
			return q, err
		}
		m, ok := ref.metrics[o.Metric]
		if !ok {
			return q, hin.Invalid("evidence.outcome.metric", "no metric has the code %s; the metrics query lists the catalogue", hin.Quote(o.Metric))
		}
		q.Metric, q.Above = &m, o.Above
		if q.OutcomeWindow, err = optionalWindow(o.Window, "evidence.outcome.window"); err != nil {
			return q, err
		}
		if q.Drafts, err = hin.DraftsFor(ctx, o.IncludeDrafts != nil && *o.IncludeDrafts); err != nil {
			return q, err
		}
	}
	return q, nil
}

func spreadCounts(t *hin.SpreadTargets) map[string]int {
	return map[string]int{"targets": len(t.Targets)}
}

// spreadTargets answers Query.spreadTargets.
func spreadTargets(ctx context.Context, s *store.Store, evidence hin.SpreadEvidence, kinds []hin.OrganisationKind, on *time.Time, first *int, filter *hin.ScaleFilter) (*hin.SpreadTargets, error) {
	q, err := spreadQuery(ctx, evidence, kinds, on, first, filter)
	if err != nil {
		return nil, err
	}
	rows, err := s.SpreadTargets(ctx, q)
	if err != nil {
		return nil, err
	}
	out := hin.NewSpreadTargets(q.On, rows, q.First)
	produceAll(ctx, spreadCounts(out))
	return out, nil
}

// regionalSpreadTargets answers Region.spreadTargets, batched over regions.
func regionalSpreadTargets(ctx context.Context, s *store.Store, region *hin.Region, evidence hin.SpreadEvidence, kinds []hin.OrganisationKind, on *time.Time, first *int, filter *hin.ScaleFilter) (*hin.SpreadTargets, error) {
	q, err := spreadQuery(ctx, evidence, kinds, on, first, filter)
	if err != nil {
		return nil, err
	}
	b := batcherFor(ctx, scaleKey("spread", evidence, kinds, on, first, filter), func(ctx context.Context, ids []string) (map[string]*hin.SpreadTargets, error) {
		q := q
		q.RegionIDs = ids
		rows, err := s.SpreadTargets(ctx, q)
		if err != nil {
			return nil, err
		}
		perRegion := map[string][]hin.SpreadTarget{}
		for _, r := range rows {
			perRegion[r.RegionID] = append(perRegion[r.RegionID], r)
		}
		out := make(map[string]*hin.SpreadTargets, len(ids))
		for _, id := range ids {
			out[id] = hin.NewSpreadTargets(q.On, perRegion[id], q.First)
		}
		return out, nil
	}, registerReports(spreadCounts))
	t, _, err := b.Load(ctx, region.ID)
	return t, err
}
