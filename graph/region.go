package graph

import (
	"context"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// regions serves the root list and records how many regions it returned,
// so their nested fields batch.
func regions(ctx context.Context, s *store.Store, f *hin.RegionFilter) ([]hin.Region, error) {
	rs, err := s.Regions(ctx, deref(f))
	if err != nil {
		return nil, err
	}
	produced(ctx, "", len(rs))
	return rs, nil
}

// lookedUp turns a root lookup's answer into the field's: null, not an
// error, when nothing matches (a lookup that finds nothing is an answer),
// and one object registered for its nested fields when something does.
func lookedUp[T any](ctx context.Context, v T, err error) (*T, error) {
	p, err := lookedUpValue(v, err)
	if p != nil {
		produced(ctx, "", 1)
	}
	return p, err
}

// lookedUpValue is a lookup's answer: nil, and no error, when nothing
// matches.
func lookedUpValue[T any](v T, err error) (*T, error) {
	if hin.ErrorCode(err) == hin.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func regionByCode(ctx context.Context, s *store.Store, code string) (*hin.Region, error) {
	r, err := s.RegionByCode(ctx, code)
	return lookedUp(ctx, r, err)
}

func programmeByCode(ctx context.Context, s *store.Store, code string) (*hin.Programme, error) {
	p, err := s.ProgrammeByCode(ctx, code)
	return lookedUp(ctx, p, err)
}

func collaboratives(ctx context.Context, s *store.Store, f *hin.CollaborativeFilter) ([]hin.Collaborative, error) {
	cs, err := s.Collaboratives(ctx, deref(f))
	if err != nil {
		return nil, err
	}
	produced(ctx, "", len(cs))
	return cs, nil
}

func metrics(ctx context.Context, s *store.Store, f *hin.MetricFilter) ([]hin.Metric, error) {
	ms, err := s.Metrics(ctx, deref(f))
	if err != nil {
		return nil, err
	}
	produced(ctx, "", len(ms))
	return ms, nil
}

func hostsPSC(regionID string, cs []hin.Collaborative) *hin.Collaborative {
	for _, c := range cs {
		if c.Kind == hin.CollabPatientSafety && c.HostRegionID == regionID {
			return &c
		}
	}
	return nil
}

// patientSafetyCollaborative picks the PSC the region hosts from the
// collaboratives it takes part in, loaded in one batch for all regions.
func patientSafetyCollaborative(ctx context.Context, r *hin.Region) (*hin.Collaborative, error) {
	s := loadersFrom(ctx).store
	b := batcherFor(ctx, "psc", s.CollaborativesByRegion, func(objs *objects, pattern string, calls []string, res map[string][]hin.Collaborative) {
		n := 0
		for _, id := range calls {
			if hostsPSC(id, res[id]) != nil {
				n++
			}
		}
		objs.add(pattern, n)
	})
	cs, _, err := b.Load(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	return hostsPSC(r.ID, cs), nil
}

// regionsOf loads the regions linked to a record (programme, collaborative).
func regionsOf(ctx context.Context, name string, links func(ctx context.Context, ids []string) (map[string][]string, error), id string) ([]hin.Region, error) {
	ids, _, err := batcherFor(ctx, "links:"+name, links, nil).Load(ctx, id)
	if err != nil {
		return nil, err
	}
	return loadMany(ctx, regionRef, ids)
}
