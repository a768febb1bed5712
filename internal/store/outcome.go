package store

import (
	"context"
	"fmt"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const outcomeCols = `oc.id, oc.metric_id, oc.region_id, oc.period_start, oc.period_end, oc.value, oc.numerator,
	oc.denominator, oc.innovation_id, oc.pilot_id, oc.programme_id, oc.source, oc.status, oc.created_at`

var outcomeList = listDef{
	cols:         outcomeCols,
	from:         "outcome oc",
	idCol:        "oc.id",
	defaultOrder: "PERIOD_START",
	orders:       map[string]orderSpec{"PERIOD_START": {"oc.period_start", "date"}},
	parents: map[string]parentSpec{
		"region":     {col: "oc.region_id"},
		"metric":     {col: "oc.metric_id"},
		"pilot":      {col: "oc.pilot_id"},
		"innovation": {col: "oc.innovation_id"},
		"programme":  {col: "oc.programme_id"},
	},
}

type outcomeRow struct {
	hin.Outcome
	rowKeys
}

func (r outcomeRow) item() hin.Outcome              { return r.Outcome }
func (r outcomeRow) keys() (string, string, string) { return r.ParentKey, r.SortKey, r.ID }

func outcomeQuery(parent string, f hin.OutcomeFilter) (*listQuery, error) {
	if err := f.Period.Validate("filter.period"); err != nil {
		return nil, err
	}
	q, err := outcomeList.query(parent)
	if err != nil {
		return nil, err
	}
	q.inRegionCodes("oc.region_id", f.RegionCodes)
	if len(f.MetricCodes) > 0 {
		q.and("oc.metric_id IN (SELECT id FROM metric WHERE code = ANY(" + q.arg(pqArray(f.MetricCodes)) + "))")
	}
	for _, c := range []struct {
		col, kind, field string
		ids              []string
	}{
		{"oc.metric_id", hin.KindMetric, "filter.metricIds", f.MetricIDs},
		{"oc.programme_id", hin.KindProgramme, "filter.programmeIds", f.ProgrammeIDs},
		{"oc.innovation_id", hin.KindInnovation, "filter.innovationIds", f.InnovationIDs},
		{"oc.pilot_id", hin.KindPilot, "filter.pilotIds", f.PilotIDs},
	} {
		if err := q.inIDs(c.col, c.kind, c.field, c.ids); err != nil {
			return nil, err
		}
	}
	q.inStrings("oc.status", enumStrings(f.Statuses))
	if f.Period != nil && f.Period.From != nil {
		q.and("oc.period_start >= " + q.arg(*f.Period.From) + "::date")
	}
	if f.Period != nil && f.Period.To != nil {
		q.and("oc.period_end <= " + q.arg(*f.Period.To) + "::date")
	}
	return q, nil
}

// Outcomes pages through outcomes; parents: "region", "metric", "pilot",
// "innovation", "programme".
func (s *Store) Outcomes(ctx context.Context, in ListIn, f hin.OutcomeFilter) (map[string]*hin.Page[hin.Outcome], error) {
	q, err := outcomeQuery(in.Parent, f)
	if err != nil {
		return nil, err
	}
	return list[outcomeRow](ctx, s, q, in)
}

// CountOutcomes counts outcomes per parent.
func (s *Store) CountOutcomes(ctx context.Context, parent string, ids []string, f hin.OutcomeFilter) (map[string]int, error) {
	q, err := outcomeQuery(parent, f)
	if err != nil {
		return nil, err
	}
	return s.count(ctx, q, ids)
}

// OutcomesByID loads outcomes by UUID.
func (s *Store) OutcomesByID(ctx context.Context, ids []string) (map[string]hin.Outcome, error) {
	const q = `SELECT ` + outcomeCols + ` FROM outcome oc WHERE oc.id = ANY($1::uuid[])`
	var rows []hin.Outcome
	if err := s.byIDs(ctx, &rows, q, ids); err != nil {
		return nil, fmt.Errorf("outcomes by id: %w", err)
	}
	return byID(rows, func(r hin.Outcome) string { return r.ID }), nil
}
