package store

import (
	"context"
	"fmt"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const pilotCols = `pl.id, pl.innovation_id, pl.site_id, pl.region_id, pl.status, pl.start_date, pl.end_date, pl.evaluation_summary, pl.evaluation_result, pl.version, pl.archived_at`

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
	fieldCols: fieldColumns[hin.Pilot](pilotCols, "pl", nil),
}

type pilotRow struct {
	hin.Pilot
	rowKeys
}

func (r pilotRow) item() hin.Pilot             { return r.Pilot }
func (r pilotRow) keys() (int, string, string) { return r.ParentNo, r.SortKey, r.ID }

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
	q.unlessArchived("pl.archived_at", f.IncludeArchived)
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

const pilotLock = `SELECT ` + pilotCols + ` FROM pilot pl WHERE pl.id = $1 FOR UPDATE`

// siteRegion resolves a pilot's site and the region it is in.
func (w *writer) siteRegion(p *hin.Problems, siteID string) (site, region *string) {
	site = w.exists(p, hin.KindOrganisation, "organisation", "siteId", &siteID)
	if site == nil {
		return nil, nil
	}
	var r *string
	err := w.get(&r, `SELECT region_id FROM organisation WHERE id = $1`, *site)
	if err != nil && hin.ErrorCode(err) != hin.ENOTFOUND {
		w.lookupFailed(err)
	}
	if err != nil || r == nil {
		p.Add("siteId", "the site must be an organisation in a region")
		return site, nil
	}
	return site, r
}

// CreatePilot records an innovation tried at a site; the pilot belongs to
// the site's region.
func (s *Store) CreatePilot(ctx context.Context, in hin.PilotInput, key *string) (hin.Pilot, error) {
	var out hin.Pilot
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.MayWrite("creating a pilot"); err != nil {
			return err
		}
		p := in.Validate()
		innovation := w.exists(&p, hin.KindInnovation, "innovation", "innovationId", &in.InnovationID)
		site, region := w.siteRegion(&p, in.SiteID)
		if err := p.Err(); err != nil {
			return err
		}
		if err := w.who.CanWriteRegion(region, "creating a pilot"); err != nil {
			return err
		}
		prior, err := w.claimKey(key, "createPilot", in)
		if err != nil || prior != "" {
			if err == nil {
				err = w.get(&out, `SELECT `+pilotCols+` FROM pilot pl WHERE pl.id = $1`, prior)
			}
			return err
		}
		const q = `INSERT INTO pilot AS pl (id, innovation_id, site_id, region_id, status, start_date, end_date, evaluation_summary, evaluation_result)
			VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, coalesce($8, 'NOT_YET_EVALUATED')) RETURNING ` + pilotCols
		if err := w.get(&out, q, innovation, site, region, string(in.Status), in.StartDate, in.EndDate, in.EvaluationSummary, evaluationResult(in)); err != nil {
			return err
		}
		if err := w.audit("CREATE", hin.KindPilot, &out.ID, region, nil, out); err != nil {
			return err
		}
		return w.keyResult(key, out.ID)
	})
	return out, err
}

// UpdatePilot replaces a pilot's fields. Its outcomes must still lie within
// its dates.
func (s *Store) UpdatePilot(ctx context.Context, id string, version int, in hin.PilotInput) (hin.Pilot, error) {
	var out hin.Pilot
	err := s.write(ctx, func(w *writer) error {
		uuid, before, err := lockToChange(w, pilotRegional, id, version, "updating")
		if err != nil {
			return err
		}
		p := in.Validate()
		innovation := w.exists(&p, hin.KindInnovation, "innovation", "innovationId", &in.InnovationID)
		site, region := w.siteRegion(&p, in.SiteID)
		if len(p) == 0 {
			var outside int
			if err := w.get(&outside, `SELECT count(*) FROM outcome WHERE pilot_id = $1
				AND (period_start < $2 OR ($3::date IS NOT NULL AND period_end > $3::date))`, uuid, in.StartDate, in.EndDate); err != nil {
				return err
			}
			if outside > 0 {
				p.Add("startDate", "%d outcomes of this pilot would fall outside its new dates", outside)
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		if !sameID(region, &before.RegionID) {
			if err := w.who.CanWriteRegion(region, "moving this pilot to a site in another region"); err != nil {
				return err
			}
			// Its outcomes are its region's figures and stay there; a moved
			// pilot would carry other regions' drafts into the date check
			// above, where the new region's editors would learn of them.
			var n int
			if err := w.get(&n, `SELECT count(*) FROM outcome WHERE pilot_id = $1`, uuid); err != nil {
				return err
			}
			if n > 0 {
				return &hin.Error{Code: hin.ECONFLICT, Field: "siteId", Message: fmt.Sprintf(
					"this pilot has %d outcomes recorded in its region, so it cannot move to a site in another region; record a new pilot there", n)}
			}
		}
		const q = `UPDATE pilot AS pl SET innovation_id = $2, site_id = $3, region_id = $4, status = $5, start_date = $6, end_date = $7,
			evaluation_summary = $8, evaluation_result = coalesce($9, evaluation_result), version = version + 1
			WHERE pl.id = $1 RETURNING ` + pilotCols
		if err := w.get(&out, q, uuid, innovation, site, region, string(in.Status), in.StartDate, in.EndDate, in.EvaluationSummary, evaluationResult(in)); err != nil {
			return err
		}
		return w.audit("UPDATE", hin.KindPilot, &uuid, region, before, out)
	})
	return out, err
}

// evaluationResult is the result to store, nil when the input names none.
func evaluationResult(in hin.PilotInput) *string {
	if in.EvaluationResult == nil {
		return nil
	}
	s := string(*in.EvaluationResult)
	return &s
}

// ArchivePilot hides the pilot from lists; it stays reachable by ID.
func (s *Store) ArchivePilot(ctx context.Context, id string, version int) (hin.Pilot, error) {
	return archiveRecord(s, ctx, pilotRegional, id, version)
}

var pilotRegional = regional[hin.Pilot]{
	kind: hin.KindPilot, noun: "pilot", lock: pilotLock,
	archive:  `UPDATE pilot AS pl SET archived_at = now(), version = version + 1 WHERE pl.id = $1 RETURNING ` + pilotCols,
	region:   func(v hin.Pilot) *string { return &v.RegionID },
	version:  func(v hin.Pilot) int { return v.Version },
	archived: func(v hin.Pilot) *time.Time { return v.ArchivedAt },
}
