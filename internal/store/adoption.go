package store

import (
	"context"
	"fmt"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const adoptionCols = `a.id, a.innovation_id, a.organisation_id, a.region_id, a.adopted_on, a.version, a.archived_at`

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

func (r adoptionRow) item() hin.Adoption          { return r.Adoption }
func (r adoptionRow) keys() (int, string, string) { return r.ParentNo, r.SortKey, r.ID }

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
	q.unlessArchived("a.archived_at", f.IncludeArchived)
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

const adoptionLock = `SELECT ` + adoptionCols + ` FROM adoption a WHERE a.id = $1 FOR UPDATE`

// adopterRegion resolves the adopting organisation and its region.
func (w *writer) adopterRegion(p *hin.Problems, orgID string) (org, region *string) {
	org = w.exists(p, hin.KindOrganisation, "organisation", "organisationId", &orgID)
	if org == nil {
		return nil, nil
	}
	var r *string
	err := w.get(&r, `SELECT region_id FROM organisation WHERE id = $1`, *org)
	if err != nil && hin.ErrorCode(err) != hin.ENOTFOUND {
		w.lookupFailed(err)
	}
	if err != nil || r == nil {
		p.Add("organisationId", "the adopting organisation must be in a region")
		return org, nil
	}
	return org, r
}

func adoptionConflict(err error) error {
	if hin.ErrorCode(err) == hin.ECONFLICT {
		return &hin.Error{Code: hin.ECONFLICT, Field: "organisationId", Message: "this organisation's adoption of this innovation is already recorded"}
	}
	return err
}

// CreateAdoption records that an organisation adopted an innovation; the
// adoption belongs to the organisation's region.
func (s *Store) CreateAdoption(ctx context.Context, in hin.AdoptionInput, key *string) (hin.Adoption, error) {
	var out hin.Adoption
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.MayWrite("recording an adoption"); err != nil {
			return err
		}
		var p hin.Problems
		innovation := w.exists(&p, hin.KindInnovation, "innovation", "innovationId", &in.InnovationID)
		org, region := w.adopterRegion(&p, in.OrganisationID)
		if err := p.Err(); err != nil {
			return err
		}
		if err := w.who.CanWriteRegion(region, "recording an adoption"); err != nil {
			return err
		}
		prior, err := w.claimKey(key, "createAdoption", in)
		if err != nil || prior != "" {
			if err == nil {
				err = w.get(&out, `SELECT `+adoptionCols+` FROM adoption a WHERE a.id = $1`, prior)
			}
			return err
		}
		const q = `INSERT INTO adoption AS a (id, innovation_id, organisation_id, region_id, adopted_on)
			VALUES (gen_random_uuid(), $1, $2, $3, $4) RETURNING ` + adoptionCols
		if err := w.get(&out, q, innovation, org, region, in.AdoptedOn); err != nil {
			return adoptionConflict(err)
		}
		if err := w.audit("CREATE", hin.KindAdoption, &out.ID, region, nil, out); err != nil {
			return err
		}
		return w.keyResult(key, out.ID)
	})
	return out, err
}

// UpdateAdoption replaces an adoption's fields.
func (s *Store) UpdateAdoption(ctx context.Context, id string, version int, in hin.AdoptionInput) (hin.Adoption, error) {
	var out hin.Adoption
	err := s.write(ctx, func(w *writer) error {
		uuid, before, err := lockToChange(w, adoptionRegional, id, version, "updating")
		if err != nil {
			return err
		}
		var p hin.Problems
		innovation := w.exists(&p, hin.KindInnovation, "innovation", "innovationId", &in.InnovationID)
		org, region := w.adopterRegion(&p, in.OrganisationID)
		if err := p.Err(); err != nil {
			return err
		}
		if !sameID(region, &before.RegionID) {
			if err := w.who.CanWriteRegion(region, "moving this adoption to another region's organisation"); err != nil {
				return err
			}
		}
		const q = `UPDATE adoption AS a SET innovation_id = $2, organisation_id = $3, region_id = $4, adopted_on = $5, version = version + 1
			WHERE a.id = $1 RETURNING ` + adoptionCols
		if err := w.get(&out, q, uuid, innovation, org, region, in.AdoptedOn); err != nil {
			return adoptionConflict(err)
		}
		return w.audit("UPDATE", hin.KindAdoption, &uuid, region, before, out)
	})
	return out, err
}

// ArchiveAdoption hides the adoption from lists; it stays reachable by ID.
func (s *Store) ArchiveAdoption(ctx context.Context, id string, version int) (hin.Adoption, error) {
	return archiveRecord(s, ctx, adoptionRegional, id, version)
}

var adoptionRegional = regional[hin.Adoption]{
	kind: hin.KindAdoption, noun: "adoption", lock: adoptionLock,
	archive:  `UPDATE adoption AS a SET archived_at = now(), version = version + 1 WHERE a.id = $1 RETURNING ` + adoptionCols,
	region:   func(v hin.Adoption) *string { return &v.RegionID },
	version:  func(v hin.Adoption) int { return v.Version },
	archived: func(v hin.Adoption) *time.Time { return v.ArchivedAt },
}
