package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const programmeCols = `pr.id, pr.code, pr.name, pr.kind, pr.clinical_area, pr.description,
	pr.start_date, pr.end_date, pr.parent_id, pr.status, pr.version`

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

func (r programmeRow) item() hin.Programme         { return r.Programme }
func (r programmeRow) keys() (int, string, string) { return r.ParentNo, r.SortKey, r.ID }

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

// programmeRefs resolves a programme input's parent and regions.
func (w *writer) programmeRefs(in hin.ProgrammeInput, self string, p *hin.Problems) (parent *string, regions []string) {
	parent = w.exists(p, hin.KindProgramme, "programme", "parentId", in.ParentID)
	if parent != nil && self != "" {
		// a programme may not sit under itself or its own workstreams
		var cycle bool
		err := w.get(&cycle, `WITH RECURSIVE up AS (SELECT id, parent_id FROM programme WHERE id = $1
			UNION SELECT pr.id, pr.parent_id FROM programme pr JOIN up ON pr.id = up.parent_id)
			SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)`, *parent, self)
		if err != nil {
			w.lookupFailed(err) // EXISTS always returns a row
		}
		if err != nil || cycle {
			p.Add("parentId", "a programme cannot be a workstream of itself or of its own workstreams")
		}
	}
	for i, code := range in.RegionCodes {
		if id := w.regionID(p, fmt.Sprintf("regionCodes[%d]", i), code); id != nil && !slices.Contains(regions, *id) {
			regions = append(regions, *id)
		}
	}
	return
}

func (w *writer) setProgrammeRegions(id string, regions []string) error {
	if err := w.exec(`DELETE FROM programme_region WHERE programme_id = $1`, id); err != nil {
		return err
	}
	if len(regions) == 0 {
		return nil
	}
	return w.exec(`INSERT INTO programme_region (programme_id, region_id) SELECT $1, unnest($2::uuid[])`, id, pqArray(regions))
}

func programmeConflict(err error, code string) error {
	if hin.ErrorCode(err) == hin.ECONFLICT {
		return &hin.Error{Code: hin.ECONFLICT, Field: "code", Message: fmt.Sprintf("a programme with the code %q already exists", code)}
	}
	return err
}

// CreateProgramme adds a national programme or workstream (national admins).
func (s *Store) CreateProgramme(ctx context.Context, in hin.ProgrammeInput, key *string) (hin.Programme, error) {
	var out hin.Programme
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.CanAdmin("creating a programme"); err != nil {
			return err
		}
		p := in.Validate()
		parent, regions := w.programmeRefs(in, "", &p)
		if err := p.Err(); err != nil {
			return err
		}
		prior, err := w.claimKey(key, "createProgramme", in)
		if err != nil || prior != "" {
			if err == nil {
				err = w.get(&out, `SELECT `+programmeCols+` FROM programme pr WHERE pr.id = $1`, prior)
			}
			return err
		}
		const q = `INSERT INTO programme AS pr (id, code, name, kind, clinical_area, description, start_date, end_date, parent_id, status)
			VALUES (gen_random_uuid(), $1, $2, $3, coalesce($4, ''), coalesce($5, ''), $6, $7, $8, $9) RETURNING ` + programmeCols
		if err := w.get(&out, q, in.Code, in.Name, string(in.Kind), in.ClinicalArea, in.Description, in.StartDate, in.EndDate, parent, string(in.Status)); err != nil {
			return programmeConflict(err, in.Code)
		}
		if err := w.setProgrammeRegions(out.ID, regions); err != nil {
			return err
		}
		if err := w.audit("CREATE", hin.KindProgramme, &out.ID, nil, nil, map[string]any{"programme": out, "regionIds": regions}); err != nil {
			return err
		}
		return w.keyResult(key, out.ID)
	})
	return out, err
}

// UpdateProgramme replaces a programme's fields and its regions.
func (s *Store) UpdateProgramme(ctx context.Context, id string, version int, in hin.ProgrammeInput) (hin.Programme, error) {
	var out hin.Programme
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.CanAdmin("updating a programme"); err != nil {
			return err
		}
		uuid, err := uuidOf(hin.KindProgramme, "id", id)
		if err != nil {
			return err
		}
		var before hin.Programme
		if err := w.lock(&before, `SELECT `+programmeCols+` FROM programme pr WHERE pr.id = $1 FOR UPDATE`, hin.KindProgramme, uuid); err != nil {
			return err
		}
		if err := checkVersion("programme", before.Version, version); err != nil {
			return err
		}
		p := in.Validate()
		parent, regions := w.programmeRefs(in, uuid, &p)
		if err := p.Err(); err != nil {
			return err
		}
		const q = `UPDATE programme AS pr SET code = $2, name = $3, kind = $4, clinical_area = coalesce($5, ''), description = coalesce($6, ''),
			start_date = $7, end_date = $8, parent_id = $9, status = $10, version = version + 1 WHERE pr.id = $1 RETURNING ` + programmeCols
		if err := w.get(&out, q, uuid, in.Code, in.Name, string(in.Kind), in.ClinicalArea, in.Description, in.StartDate, in.EndDate, parent, string(in.Status)); err != nil {
			return programmeConflict(err, in.Code)
		}
		if err := w.setProgrammeRegions(uuid, regions); err != nil {
			return err
		}
		return w.audit("UPDATE", hin.KindProgramme, &uuid, nil, before, map[string]any{"programme": out, "regionIds": regions})
	})
	return out, err
}

// ProgrammesByCode loads programmes by code, keyed by code.
func (s *Store) ProgrammesByCode(ctx context.Context, codes []string) (map[string]hin.Programme, error) {
	const q = `SELECT ` + programmeCols + ` FROM programme pr WHERE pr.code = ANY($1)`
	var rows []hin.Programme
	if err := s.selectAll(ctx, s.db, &rows, q, pq.Array(codes)); err != nil {
		return nil, fmt.Errorf("programmes by code: %w", err)
	}
	return byID(rows, func(r hin.Programme) string { return r.Code }), nil
}
