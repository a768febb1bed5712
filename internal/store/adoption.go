package store

import (
	"context"
	"fmt"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const adoptionCols = `a.id, a.innovation_id, a.organisation_id, a.region_id, a.adopted_on`

var adoptionList = listDef{
	cols:         adoptionCols,
	from:         "adoption a",
	idCol:        "a.id",
	defaultOrder: "ADOPTED_ON",
	orders:       map[string]orderSpec{"ADOPTED_ON": {"a.adopted_on", "date"}},
	parents: map[string]parentSpec{
		"region":       {col: "a.region_id"},
		"innovation":   {col: "a.innovation_id"},
		"organisation": {col: "a.organisation_id"},
	},
}

type adoptionRow struct {
	hin.Adoption
	rowKeys
}

func (r adoptionRow) item() hin.Adoption             { return r.Adoption }
func (r adoptionRow) keys() (string, string, string) { return r.ParentKey, r.SortKey, r.ID }

func adoptionQuery(parent string, f hin.AdoptionFilter) (*listQuery, error) {
	if err := f.AdoptedIn.Validate("filter.adoptedIn"); err != nil {
		return nil, err
	}
	q, err := adoptionList.query(parent)
	if err != nil {
		return nil, err
	}
	q.inRegionCodes("a.region_id", f.RegionCodes)
	if err := q.inIDs("a.innovation_id", hin.KindInnovation, "filter.innovationIds", f.InnovationIDs); err != nil {
		return nil, err
	}
	if err := q.inIDs("a.organisation_id", hin.KindOrganisation, "filter.organisationIds", f.OrganisationIDs); err != nil {
		return nil, err
	}
	if f.AdoptedIn != nil && f.AdoptedIn.From != nil {
		q.and("a.adopted_on >= " + q.arg(*f.AdoptedIn.From) + "::date")
	}
	if f.AdoptedIn != nil && f.AdoptedIn.To != nil {
		q.and("a.adopted_on <= " + q.arg(*f.AdoptedIn.To) + "::date")
	}
	return q, nil
}

// Adoptions pages through adoptions; parents: "region", "innovation", "organisation".
func (s *Store) Adoptions(ctx context.Context, in ListIn, f hin.AdoptionFilter) (map[string]*hin.Page[hin.Adoption], error) {
	q, err := adoptionQuery(in.Parent, f)
	if err != nil {
		return nil, err
	}
	return list[adoptionRow](ctx, s, q, in)
}

// CountAdoptions counts adoptions per parent.
func (s *Store) CountAdoptions(ctx context.Context, parent string, ids []string, f hin.AdoptionFilter) (map[string]int, error) {
	q, err := adoptionQuery(parent, f)
	if err != nil {
		return nil, err
	}
	return s.count(ctx, q, ids)
}

// AdoptionsByID loads adoptions by UUID.
func (s *Store) AdoptionsByID(ctx context.Context, ids []string) (map[string]hin.Adoption, error) {
	const q = `SELECT ` + adoptionCols + ` FROM adoption a WHERE a.id = ANY($1::uuid[])`
	var rows []hin.Adoption
	if err := s.byIDs(ctx, &rows, q, ids); err != nil {
		return nil, fmt.Errorf("adoptions by id: %w", err)
	}
	return byID(rows, func(r hin.Adoption) string { return r.ID }), nil
}
