package store

import (
	"context"
	"fmt"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const pilotCols = `pl.id, pl.innovation_id, pl.site_id, pl.region_id, pl.status, pl.start_date, pl.end_date, pl.evaluation_summary`

var pilotList = listDef{
	cols:         pilotCols,
	from:         "pilot pl",
	idCol:        "pl.id",
	defaultOrder: "START_DATE",
	orders:       map[string]orderSpec{"START_DATE": {"pl.start_date", "date"}},
	parents: map[string]parentSpec{
		"region":     {col: "pl.region_id"},
		"innovation": {col: "pl.innovation_id"},
		"site":       {col: "pl.site_id"},
	},
}

type pilotRow struct {
	hin.Pilot
	rowKeys
}

func (r pilotRow) item() hin.Pilot                { return r.Pilot }
func (r pilotRow) keys() (string, string, string) { return r.ParentKey, r.SortKey, r.ID }

func pilotQuery(parent string, f hin.PilotFilter) (*listQuery, error) {
	if err := f.Active.Validate("filter.active"); err != nil {
		return nil, err
	}
	q, err := pilotList.query(parent)
	if err != nil {
		return nil, err
	}
	q.inRegionCodes("pl.region_id", f.RegionCodes)
	if err := q.inIDs("pl.innovation_id", hin.KindInnovation, "filter.innovationIds", f.InnovationIDs); err != nil {
		return nil, err
	}
	if err := q.inIDs("pl.site_id", hin.KindOrganisation, "filter.siteIds", f.SiteIDs); err != nil {
		return nil, err
	}
	q.inStrings("pl.status", enumStrings(f.Statuses))
	if f.Active != nil {
		// a pilot is active in the range when its dates overlap it
		if f.Active.To != nil {
			q.and("pl.start_date <= " + q.arg(*f.Active.To) + "::date")
		}
		if f.Active.From != nil {
			q.and("(pl.end_date IS NULL OR pl.end_date >= " + q.arg(*f.Active.From) + "::date)")
		}
	}
	return q, nil
}

// Pilots pages through pilots; parents: "region", "innovation", "site".
func (s *Store) Pilots(ctx context.Context, in ListIn, f hin.PilotFilter) (map[string]*hin.Page[hin.Pilot], error) {
	q, err := pilotQuery(in.Parent, f)
	if err != nil {
		return nil, err
	}
	return list[pilotRow](ctx, s, q, in)
}

// CountPilots counts pilots per parent.
func (s *Store) CountPilots(ctx context.Context, parent string, ids []string, f hin.PilotFilter) (map[string]int, error) {
	q, err := pilotQuery(parent, f)
	if err != nil {
		return nil, err
	}
	return s.count(ctx, q, ids)
}

// PilotsByID loads pilots by UUID.
func (s *Store) PilotsByID(ctx context.Context, ids []string) (map[string]hin.Pilot, error) {
	const q = `SELECT ` + pilotCols + ` FROM pilot pl WHERE pl.id = ANY($1::uuid[])`
	var rows []hin.Pilot
	if err := s.byIDs(ctx, &rows, q, ids); err != nil {
		return nil, fmt.Errorf("pilots by id: %w", err)
	}
	return byID(rows, func(r hin.Pilot) string { return r.ID }), nil
}
