package graph

import (
	"context"

	"github.com/vikstrous/dataloadgen"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// regionByCode returns null, not an error, for an unknown code: a lookup
// that finds nothing is an answer.
func regionByCode(ctx context.Context, s *store.Store, code string) (*hin.Region, error) {
	r, err := s.RegionByCode(ctx, code)
	if hin.ErrorCode(err) == hin.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func programmeByCode(ctx context.Context, s *store.Store, code string) (*hin.Programme, error) {
	p, err := s.ProgrammeByCode(ctx, code)
	if hin.ErrorCode(err) == hin.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// patientSafetyCollaborative picks the PSC the region hosts from the
// collaboratives it takes part in (loaded in one batch for all regions).
func patientSafetyCollaborative(ctx context.Context, r *hin.Region) (*hin.Collaborative, error) {
	cs, err := loadersFrom(ctx).RegionCollaboratives.Load(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Kind == hin.CollabPatientSafety && c.HostRegionID == r.ID {
			return &c, nil
		}
	}
	return nil, nil
}

// regionsOf loads the regions linked to a record (programme, collaborative).
func regionsOf(ctx context.Context, links *dataloadgen.Loader[string, []string], id string) ([]hin.Region, error) {
	ids, err := links.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	return loadMany(ctx, loadersFrom(ctx).Region, ids)
}
