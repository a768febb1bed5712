package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const innovationCols = `i.id, i.name, i.description, i.innovator_id, i.clinical_area, i.lead_region_id,
	i.stage, i.stage_changed_on, i.created_at, i.updated_at, i.version, i.archived_at`

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
	fieldCols: fieldColumns[hin.Innovation](innovationCols, "i", nil),
}

type innovationRow struct {
	hin.Innovation
	rowKeys
}

func (r innovationRow) item() hin.Innovation        { return r.Innovation }
func (r innovationRow) keys() (int, string, string) { return r.ParentNo, r.SortKey, r.ID }

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
	q.unlessArchived("i.archived_at", f.IncludeArchived)
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

const innovationLock = `SELECT ` + innovationCols + ` FROM innovation i WHERE i.id = $1 FOR UPDATE`

// innovationRefs resolves and checks an innovation input's references.
func (w *writer) innovationRefs(in hin.InnovationInput, p *hin.Problems) (region, innovator *string, programmes []string) {
	if in.LeadRegionCode != nil {
		region = w.regionID(p, "leadRegionCode", *in.LeadRegionCode)
	}
	innovator = w.exists(p, hin.KindOrganisation, "organisation", "innovatorId", in.InnovatorID)
	for i, id := range in.ProgrammeIDs {
		if uuid := w.exists(p, hin.KindProgramme, "programme", fmt.Sprintf("programmeIds[%d]", i), &id); uuid != nil && !slices.Contains(programmes, *uuid) {
			programmes = append(programmes, *uuid)
		}
	}
	return
}

func (w *writer) setInnovationProgrammes(id string, programmes []string) error {
	if err := w.exec(`DELETE FROM innovation_programme WHERE innovation_id = $1`, id); err != nil {
		return err
	}
	if len(programmes) == 0 {
		return nil
	}
	return w.exec(`INSERT INTO innovation_programme (innovation_id, programme_id) SELECT $1, unnest($2::uuid[])`, id, pqArray(programmes))
}

// CreateInnovation adds an innovation at a first stage, recorded in its history.
func (s *Store) CreateInnovation(ctx context.Context, in hin.InnovationInput, stage hin.Stage, stageOn *time.Time, key *string) (hin.Innovation, error) {
	var out hin.Innovation
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.MayWrite("creating an innovation"); err != nil {
			return err
		}
		p := in.Validate()
		region, innovator, programmes := w.innovationRefs(in, &p)
		if err := p.Err(); err != nil {
			return err
		}
		if err := w.who.CanWriteRegion(region, "creating an innovation"); err != nil {
			return err
		}
		prior, err := w.claimKey(key, "createInnovation", []any{in, stage, stageOn})
		if err != nil || prior != "" {
			if err == nil {
				err = w.get(&out, `SELECT `+innovationCols+` FROM innovation i WHERE i.id = $1`, prior)
			}
			return err
		}
		on := today()
		if stageOn != nil {
			on = *stageOn
		}
		const q = `INSERT INTO innovation AS i (id, name, description, innovator_id, clinical_area, lead_region_id, stage, stage_changed_on)
			VALUES (gen_random_uuid(), $1, coalesce($2, ''), $3, coalesce($4, ''), $5, $6, $7) RETURNING ` + innovationCols
		if err := w.get(&out, q, in.Name, in.Description, innovator, in.ClinicalArea, region, string(stage), on); err != nil {
			return err
		}
		if err := w.setInnovationProgrammes(out.ID, programmes); err != nil {
			return err
		}
		if err := w.exec(`INSERT INTO innovation_stage_change (id, innovation_id, from_stage, to_stage, changed_on)
			VALUES (gen_random_uuid(), $1, NULL, $2, $3)`, out.ID, string(stage), on); err != nil {
			return err
		}
		if err := w.audit("CREATE", hin.KindInnovation, &out.ID, region, nil, out); err != nil {
			return err
		}
		return w.keyResult(key, out.ID)
	})
	return out, err
}

// UpdateInnovation replaces an innovation's fields (not its stage).
func (s *Store) UpdateInnovation(ctx context.Context, id string, version int, in hin.InnovationInput) (hin.Innovation, error) {
	var out hin.Innovation
	err := s.write(ctx, func(w *writer) error {
		uuid, before, err := lockToChange(w, innovationRegional, id, version, "updating")
		if err != nil {
			return err
		}
		p := in.Validate()
		region, innovator, programmes := w.innovationRefs(in, &p)
		if err := p.Err(); err != nil {
			return err
		}
		if !sameID(region, before.LeadRegionID) {
			if err := w.who.CanWriteRegion(region, "moving this innovation to another lead region"); err != nil {
				return err
			}
		}
		const q = `UPDATE innovation AS i SET name = $2, description = coalesce($3, ''), innovator_id = $4, clinical_area = coalesce($5, ''),
			lead_region_id = $6, version = version + 1, updated_at = now() WHERE i.id = $1 RETURNING ` + innovationCols
		if err := w.get(&out, q, uuid, in.Name, in.Description, innovator, in.ClinicalArea, region); err != nil {
			return err
		}
		if err := w.setInnovationProgrammes(uuid, programmes); err != nil {
			return err
		}
		return w.audit("UPDATE", hin.KindInnovation, &uuid, region, before, out)
	})
	return out, err
}

// MoveInnovationStage moves an innovation along (or back along) the
// journey, recording the change with its date.
func (s *Store) MoveInnovationStage(ctx context.Context, id string, version int, stage hin.Stage, on *time.Time) (hin.Innovation, error) {
	var out hin.Innovation
	err := s.write(ctx, func(w *writer) error {
		uuid, before, err := lockToChange(w, innovationRegional, id, version, "moving")
		if err != nil {
			return err
		}
		day := today()
		if on != nil {
			day = *on
		}
		var p hin.Problems
		if stage == before.Stage {
			p.Add("stage", "the innovation is already at %s", stage)
		}
		if day.Before(before.StageChangedOn) {
			p.Add("on", "must not be before the last stage change (%s)", before.StageChangedOn.Format(time.DateOnly))
		}
		if err := p.Err(); err != nil {
			return err
		}
		const q = `UPDATE innovation AS i SET stage = $2, stage_changed_on = $3, version = version + 1, updated_at = now()
			WHERE i.id = $1 RETURNING ` + innovationCols
		if err := w.get(&out, q, uuid, string(stage), day); err != nil {
			return err
		}
		if err := w.exec(`INSERT INTO innovation_stage_change (id, innovation_id, from_stage, to_stage, changed_on)
			VALUES (gen_random_uuid(), $1, $2, $3, $4)`, uuid, string(before.Stage), string(stage), day); err != nil {
			return err
		}
		return w.audit("MOVE_STAGE", hin.KindInnovation, &uuid, before.LeadRegionID, before, out)
	})
	return out, err
}

// ArchiveInnovation hides the innovation from lists; it stays reachable by ID.
func (s *Store) ArchiveInnovation(ctx context.Context, id string, version int) (hin.Innovation, error) {
	return archiveRecord(s, ctx, innovationRegional, id, version)
}

var innovationRegional = regional[hin.Innovation]{
	kind: hin.KindInnovation, noun: "innovation", lock: innovationLock,
	archive:  `UPDATE innovation AS i SET archived_at = now(), version = version + 1, updated_at = now() WHERE i.id = $1 RETURNING ` + innovationCols,
	region:   func(v hin.Innovation) *string { return v.LeadRegionID },
	version:  func(v hin.Innovation) int { return v.Version },
	archived: func(v hin.Innovation) *time.Time { return v.ArchivedAt },
}
