package store

import (
	"context"
	"fmt"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const innovationCols = `i.id, i.name, i.description, i.innovator_id, i.clinical_area, i.lead_region_id,
	i.stage, i.stage_changed_on, i.created_at, i.updated_at`

var innovationList = listDef{
	cols:         innovationCols,
	from:         "innovation i",
	idCol:        "i.id",
	defaultOrder: "NAME",
	orders: map[string]orderSpec{
		"NAME":       {"i.name", "text"},
		"STAGE":      {"i.stage_rank", "smallint"},
		"UPDATED_AT": {"i.updated_at", "timestamptz"},
	},
	parents: map[string]parentSpec{
		"region":    {col: "i.lead_region_id"},
		"programme": {join: "JOIN innovation_programme ipx ON ipx.innovation_id = i.id", col: "ipx.programme_id"},
		"innovator": {col: "i.innovator_id"},
	},
}

type innovationRow struct {
	hin.Innovation
	rowKeys
}

func (r innovationRow) item() hin.Innovation           { return r.Innovation }
func (r innovationRow) keys() (string, string, string) { return r.ParentKey, r.SortKey, r.ID }

func innovationQuery(parent string, f hin.InnovationFilter) (*listQuery, error) {
	q, err := innovationList.query(parent)
	if err != nil {
		return nil, err
	}
	q.inRegionCodes("i.lead_region_id", f.RegionCodes)
	q.inStrings("i.stage", enumStrings(f.Stages))
	if len(f.ProgrammeIDs) > 0 {
		ids, err := hin.ParseIDsOf(hin.KindProgramme, "filter.programmeIds", f.ProgrammeIDs)
		if err != nil {
			return nil, err
		}
		q.and(`i.id IN (SELECT x.innovation_id FROM innovation_programme x WHERE x.programme_id = ANY(` + q.arg(pqArray(ids)) + `::uuid[]))`)
	}
	if err := q.inIDs("i.innovator_id", hin.KindOrganisation, "filter.innovatorIds", f.InnovatorIDs); err != nil {
		return nil, err
	}
	q.contains("i.clinical_area", f.ClinicalArea)
	q.contains("i.name", f.NameContains)
	return q, nil
}

// Innovations pages through innovations; parents: "region" (lead region),
// "programme", "innovator" (organisation).
func (s *Store) Innovations(ctx context.Context, in ListIn, f hin.InnovationFilter) (map[string]*hin.Page[hin.Innovation], error) {
	q, err := innovationQuery(in.Parent, f)
	if err != nil {
		return nil, err
	}
	return list[innovationRow](ctx, s, q, in)
}

// CountInnovations counts innovations per parent.
func (s *Store) CountInnovations(ctx context.Context, parent string, ids []string, f hin.InnovationFilter) (map[string]int, error) {
	q, err := innovationQuery(parent, f)
	if err != nil {
		return nil, err
	}
	return s.count(ctx, q, ids)
}

// InnovationsByID loads innovations by UUID.
func (s *Store) InnovationsByID(ctx context.Context, ids []string) (map[string]hin.Innovation, error) {
	const q = `SELECT ` + innovationCols + ` FROM innovation i WHERE i.id = ANY($1::uuid[])`
	var rows []hin.Innovation
	if err := s.byIDs(ctx, &rows, q, ids); err != nil {
		return nil, fmt.Errorf("innovations by id: %w", err)
	}
	return byID(rows, func(r hin.Innovation) string { return r.ID }), nil
}

// StageHistories returns, per innovation, its stage changes oldest first.
func (s *Store) StageHistories(ctx context.Context, ids []string) (map[string][]hin.StageChange, error) {
	const q = `SELECT id, innovation_id, from_stage, to_stage, changed_on FROM innovation_stage_change
		WHERE innovation_id = ANY($1::uuid[]) ORDER BY innovation_id, changed_on, id`
	var rows []hin.StageChange
	if err := s.byIDs(ctx, &rows, q, ids); err != nil {
		return nil, fmt.Errorf("stage histories: %w", err)
	}
	out := make(map[string][]hin.StageChange, len(ids))
	for _, id := range ids {
		out[id] = []hin.StageChange{}
	}
	for _, r := range rows {
		out[r.InnovationID] = append(out[r.InnovationID], r)
	}
	return out, nil
}
