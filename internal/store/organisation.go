package store

import (
	"context"
	"fmt"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const organisationCols = `o.id, o.name, o.kind, o.region_id, o.valid_from, o.valid_to`

var organisationList = listDef{
	cols:         organisationCols,
	from:         "organisation o",
	idCol:        "o.id",
	defaultOrder: "NAME",
	orders:       map[string]orderSpec{"NAME": {"o.name", "text"}},
	parents:      map[string]parentSpec{"region": {col: "o.region_id"}},
}

type organisationRow struct {
	hin.Organisation
	rowKeys
}

func (r organisationRow) item() hin.Organisation         { return r.Organisation }
func (r organisationRow) keys() (string, string, string) { return r.ParentKey, r.SortKey, r.ID }

func organisationQuery(parent string, f hin.OrganisationFilter) (*listQuery, error) {
	q, err := organisationList.query(parent)
	if err != nil {
		return nil, err
	}
	q.inRegionCodes("o.region_id", f.RegionCodes)
	q.inStrings("o.kind", enumStrings(f.Kinds))
	if f.ValidOn != nil {
		d := q.arg(*f.ValidOn)
		q.and(fmt.Sprintf("(o.valid_from IS NULL OR o.valid_from <= %s::date) AND (o.valid_to IS NULL OR o.valid_to >= %s::date)", d, d))
	}
	q.contains("o.name", f.NameContains)
	return q, nil
}

// Organisations pages through organisations, per parent when in.Parent is
// "region".
func (s *Store) Organisations(ctx context.Context, in ListIn, f hin.OrganisationFilter) (map[string]*hin.Page[hin.Organisation], error) {
	q, err := organisationQuery(in.Parent, f)
	if err != nil {
		return nil, err
	}
	return list[organisationRow](ctx, s, q, in)
}

// CountOrganisations counts organisations per parent.
func (s *Store) CountOrganisations(ctx context.Context, parent string, ids []string, f hin.OrganisationFilter) (map[string]int, error) {
	q, err := organisationQuery(parent, f)
	if err != nil {
		return nil, err
	}
	return s.count(ctx, q, ids)
}

// OrganisationsByID loads organisations by UUID.
func (s *Store) OrganisationsByID(ctx context.Context, ids []string) (map[string]hin.Organisation, error) {
	const q = `SELECT ` + organisationCols + ` FROM organisation o WHERE o.id = ANY($1::uuid[])`
	var rows []hin.Organisation
	if err := s.byIDs(ctx, &rows, q, ids); err != nil {
		return nil, fmt.Errorf("organisations by id: %w", err)
	}
	return byID(rows, func(r hin.Organisation) string { return r.ID }), nil
}
