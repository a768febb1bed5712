package store

import (
	"context"
	"fmt"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const organisationCols = `o.id, o.name, o.kind, o.region_id, o.valid_from, o.valid_to, o.version, o.archived_at`

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

func (r organisationRow) item() hin.Organisation      { return r.Organisation }
func (r organisationRow) keys() (int, string, string) { return r.ParentNo, r.SortKey, r.ID }

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
	q.unlessArchived("o.archived_at", f.IncludeArchived)
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

const organisationLock = `SELECT ` + organisationCols + ` FROM organisation o WHERE o.id = $1 FOR UPDATE`

// CreateOrganisation adds an organisation to a region's footprint (or, for
// national admins, one with no region).
func (s *Store) CreateOrganisation(ctx context.Context, in hin.OrganisationInput, key *string) (hin.Organisation, error) {
	var out hin.Organisation
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.MayWrite("creating an organisation"); err != nil {
			return err
		}
		p := in.Validate()
		var region *string
		if in.RegionCode != nil {
			region = w.regionID(&p, "regionCode", *in.RegionCode)
		}
		if err := p.Err(); err != nil {
			return err
		}
		if err := w.who.CanWriteRegion(region, "creating an organisation"); err != nil {
			return err
		}
		prior, err := w.claimKey(key, "createOrganisation", in)
		if err != nil || prior != "" {
			if err == nil {
				err = w.get(&out, `SELECT `+organisationCols+` FROM organisation o WHERE o.id = $1`, prior)
			}
			return err
		}
		const q = `INSERT INTO organisation AS o (id, name, kind, region_id, valid_from, valid_to)
			VALUES (gen_random_uuid(), $1, $2, $3, $4, $5) RETURNING ` + organisationCols
		if err := w.get(&out, q, in.Name, string(in.Kind), region, in.ValidFrom, in.ValidTo); err != nil {
			return err
		}
		if err := w.audit("CREATE", hin.KindOrganisation, &out.ID, region, nil, out); err != nil {
			return err
		}
		return w.keyResult(key, out.ID)
	})
	return out, err
}

// UpdateOrganisation replaces an organisation's fields.
func (s *Store) UpdateOrganisation(ctx context.Context, id string, version int, in hin.OrganisationInput) (hin.Organisation, error) {
	var out hin.Organisation
	err := s.write(ctx, func(w *writer) error {
		uuid, before, err := lockToChange(w, organisationRegional, id, version, "updating")
		if err != nil {
			return err
		}
		p := in.Validate()
		var region *string
		if in.RegionCode != nil {
			region = w.regionID(&p, "regionCode", *in.RegionCode)
		}
		if err := p.Err(); err != nil {
			return err
		}
		if !sameID(region, before.RegionID) {
			if err := w.who.CanWriteRegion(region, "moving this organisation to another region"); err != nil {
				return err
			}
		}
		const q = `UPDATE organisation AS o SET name = $2, kind = $3, region_id = $4, valid_from = $5, valid_to = $6, version = version + 1
			WHERE o.id = $1 RETURNING ` + organisationCols
		if err := w.get(&out, q, uuid, in.Name, string(in.Kind), region, in.ValidFrom, in.ValidTo); err != nil {
			return err
		}
		return w.audit("UPDATE", hin.KindOrganisation, &uuid, region, before, out)
	})
	return out, err
}

// ArchiveOrganisation hides the organisation from lists; it stays reachable by ID.
func (s *Store) ArchiveOrganisation(ctx context.Context, id string, version int) (hin.Organisation, error) {
	return archiveRecord(s, ctx, organisationRegional, id, version)
}

var organisationRegional = regional[hin.Organisation]{
	kind: hin.KindOrganisation, noun: "organisation", lock: organisationLock,
	archive:  `UPDATE organisation AS o SET archived_at = now(), version = version + 1 WHERE o.id = $1 RETURNING ` + organisationCols,
	region:   func(v hin.Organisation) *string { return v.RegionID },
	version:  func(v hin.Organisation) int { return v.Version },
	archived: func(v hin.Organisation) *time.Time { return v.ArchivedAt },
}
