package store

import (
	"context"
	"fmt"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const programmeCols = `pr.id, pr.code, pr.name, pr.kind, pr.clinical_area, pr.description,
	pr.start_date, pr.end_date, pr.parent_id, pr.status`

var programmeList = listDef{
	cols:         programmeCols,
	from:         "programme pr",
	idCol:        "pr.id",
	defaultOrder: "NAME",
	orders: map[string]orderSpec{
		"NAME":       {"pr.name", "text"},
		"CODE":       {"pr.code", "text"},
		"START_DATE": {"coalesce(pr.start_date, '0001-01-01'::date)", "date"},
	},
	parents: map[string]parentSpec{
		"region":     {join: "JOIN programme_region prr ON prr.programme_id = pr.id", col: "prr.region_id"},
		"innovation": {join: "JOIN innovation_programme ipr ON ipr.programme_id = pr.id", col: "ipr.innovation_id"},
		"parent":     {col: "pr.parent_id"},
	},
}

type programmeRow struct {
	hin.Programme
	rowKeys
}

func (r programmeRow) item() hin.Programme            { return r.Programme }
func (r programmeRow) keys() (string, string, string) { return r.ParentKey, r.SortKey, r.ID }

func programmeQuery(parent string, f hin.ProgrammeFilter) (*listQuery, error) {
	q, err := programmeList.query(parent)
	if err != nil {
		return nil, err
	}
	q.inStrings("pr.kind", enumStrings(f.Kinds))
	q.inStrings("pr.status", enumStrings(f.Statuses))
	if len(f.RegionCodes) > 0 {
		q.and(`pr.id IN (SELECT x.programme_id FROM programme_region x JOIN region r ON r.id = x.region_id
			WHERE r.code = ANY(` + q.arg(pqArray(f.RegionCodes)) + `))`)
	}
	if err := q.inIDs("pr.parent_id", hin.KindProgramme, "filter.parentIds", f.ParentIDs); err != nil {
		return nil, err
	}
	if f.TopLevelOnly != nil && *f.TopLevelOnly {
		q.and("pr.parent_id IS NULL")
	}
	q.contains("pr.name", f.NameContains)
	q.contains("pr.clinical_area", f.ClinicalArea)
	return q, nil
}

// Programmes pages through programmes; parents: "region" (taking part),
// "innovation" (programmes it belongs to), "parent" (workstreams).
func (s *Store) Programmes(ctx context.Context, in ListIn, f hin.ProgrammeFilter) (map[string]*hin.Page[hin.Programme], error) {
	q, err := programmeQuery(in.Parent, f)
	if err != nil {
		return nil, err
	}
	return list[programmeRow](ctx, s, q, in)
}

// CountProgrammes counts programmes per parent.
func (s *Store) CountProgrammes(ctx context.Context, parent string, ids []string, f hin.ProgrammeFilter) (map[string]int, error) {
	q, err := programmeQuery(parent, f)
	if err != nil {
		return nil, err
	}
	return s.count(ctx, q, ids)
}

// ProgrammesByID loads programmes by UUID.
func (s *Store) ProgrammesByID(ctx context.Context, ids []string) (map[string]hin.Programme, error) {
	const q = `SELECT ` + programmeCols + ` FROM programme pr WHERE pr.id = ANY($1::uuid[])`
	var rows []hin.Programme
	if err := s.byIDs(ctx, &rows, q, ids); err != nil {
		return nil, fmt.Errorf("programmes by id: %w", err)
	}
	return byID(rows, func(r hin.Programme) string { return r.ID }), nil
}

// ProgrammeByCode returns one programme.
func (s *Store) ProgrammeByCode(ctx context.Context, code string) (hin.Programme, error) {
	const q = `SELECT ` + programmeCols + ` FROM programme pr WHERE pr.code = $1`
	var p hin.Programme
	if err := s.getOne(ctx, s.db, &p, q, code); err != nil {
		if hin.ErrorCode(err) == hin.ENOTFOUND {
			return p, hin.Errorf(hin.ENOTFOUND, "no programme has the code %q", code)
		}
		return p, fmt.Errorf("programme %s: %w", code, err)
	}
	return p, nil
}

// ProgrammeRegions returns, per programme, the UUIDs of the regions taking part.
func (s *Store) ProgrammeRegions(ctx context.Context, ids []string) (map[string][]string, error) {
	const q = `SELECT x.programme_id::text AS a, x.region_id::text AS b
		FROM programme_region x JOIN region r ON r.id = x.region_id
		WHERE x.programme_id = ANY($1::uuid[]) ORDER BY r.code`
	m, err := s.pairs(ctx, q, ids)
	if err != nil {
		return nil, fmt.Errorf("programme regions: %w", err)
	}
	return m, nil
}
