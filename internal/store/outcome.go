package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const outcomeCols = `oc.id, oc.metric_id, oc.region_id, oc.period_start, oc.period_end, oc.value, oc.numerator,
	oc.denominator, oc.innovation_id, oc.pilot_id, oc.programme_id, oc.source, oc.status, oc.created_at,
	oc.updated_at, oc.published_at, oc.withdrawn_at, oc.withdrawn_reason, oc.version`

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
	fieldCols: fieldColumns[hin.Outcome](outcomeCols, "oc", map[string]string{"Rate": "oc.numerator, oc.denominator"}),
}

type outcomeRow struct {
	hin.Outcome
	rowKeys
}

func (r outcomeRow) item() hin.Outcome           { return r.Outcome }
func (r outcomeRow) keys() (int, string, string) { return r.ParentNo, r.SortKey, r.ID }

func outcomeQuery(ctx context.Context, parent string, f hin.OutcomeFilter) (*listQuery, error) {
	if err := f.Period.Validate("filter.period"); err != nil {
		return nil, err
	}
	q, err := outcomeList.query(parent)
	if err != nil {
		return nil, err
	}
	q.visibleOutcomes("oc", hin.PrincipalFrom(ctx).DraftScope())
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
	q, err := outcomeQuery(ctx, in.Parent, f)
	if err != nil {
		return nil, err
	}
	return list[outcomeRow](ctx, s, q, in)
}

// CountOutcomes counts outcomes per parent.
func (s *Store) CountOutcomes(ctx context.Context, parent string, ids []string, f hin.OutcomeFilter) (map[string]int, error) {
	q, err := outcomeQuery(ctx, parent, f)
	if err != nil {
		return nil, err
	}
	return s.count(ctx, q, ids)
}

// OutcomesByID loads outcomes by UUID.
func (s *Store) OutcomesByID(ctx context.Context, ids []string) (map[string]hin.Outcome, error) {
	q := &listQuery{}
	q.and("oc.id = ANY(" + q.arg(pqArray(ids)) + "::uuid[])")
	q.visibleOutcomes("oc", hin.PrincipalFrom(ctx).DraftScope())
	var rows []hin.Outcome
	if err := s.selectAll(ctx, s.db, &rows, `SELECT `+outcomeCols+` FROM outcome oc WHERE `+q.whereSQL(), q.args...); err != nil {
		return nil, fmt.Errorf("outcomes by id: %w", err)
	}
	return byID(rows, func(r hin.Outcome) string { return r.ID }), nil
}

const outcomeLock = `SELECT ` + outcomeCols + ` FROM outcome oc WHERE oc.id = $1 FOR UPDATE`

var outcomeRegional = regional[hin.Outcome]{
	kind: hin.KindOutcome, noun: "outcome", lock: outcomeLock,
	region:  func(v hin.Outcome) *string { return &v.RegionID },
	version: func(v hin.Outcome) int { return v.Version },
	visible: func(v hin.Outcome, scope hin.DraftScope) bool { return scope.Sees(v.Status, v.RegionID) },
}

// outcomeRefs holds what checking outcomes needs, read once for a whole
// return rather than once per row.
type outcomeRefs struct {
	metrics     map[string]hin.Metric
	pilots      map[string]hin.Pilot
	innovations map[string]bool
	programmes  map[string]bool
}

func (w *writer) loadOutcomeRefs(rows []hin.OutcomeInput) (*outcomeRefs, error) {
	refs := &outcomeRefs{metrics: map[string]hin.Metric{}, pilots: map[string]hin.Pilot{}, innovations: map[string]bool{}, programmes: map[string]bool{}}
	var metrics []hin.Metric
	if err := w.all(&metrics, `SELECT `+metricCols+` FROM metric m`); err != nil {
		return nil, err
	}
	for _, m := range metrics {
		refs.metrics[m.Code] = m
	}
	var pilotIDs, innIDs, progIDs []string
	for _, r := range rows {
		for _, c := range []struct {
			kind string
			id   *string
			into *[]string
		}{{hin.KindPilot, r.PilotID, &pilotIDs}, {hin.KindInnovation, r.InnovationID, &innIDs}, {hin.KindProgramme, r.ProgrammeID, &progIDs}} {
			if c.id != nil {
				if _, uuid, err := hin.ParseGlobalID(*c.id); err == nil {
					*c.into = append(*c.into, uuid)
				}
			}
		}
	}
	if len(pilotIDs) > 0 {
		var ps []hin.Pilot
		if err := w.all(&ps, `SELECT `+pilotCols+` FROM pilot pl WHERE pl.id = ANY($1::uuid[])`, pqArray(pilotIDs)); err != nil {
			return nil, err
		}
		for _, p := range ps {
			refs.pilots[p.ID] = p
		}
	}
	for _, set := range []struct {
		table string
		ids   []string
		into  map[string]bool
	}{{"innovation", innIDs, refs.innovations}, {"programme", progIDs, refs.programmes}} {
		if len(set.ids) == 0 {
			continue
		}
		var found []string
		if err := w.all(&found, `SELECT id::text FROM `+set.table+` WHERE id = ANY($1::uuid[])`, pqArray(set.ids)); err != nil {
			return nil, err
		}
		for _, id := range found {
			set.into[id] = true
		}
	}
	return refs, nil
}

// resolvedOutcome is an outcome input with its references as UUIDs.
type resolvedOutcome struct {
	in                                 hin.OutcomeInput
	metricID                           string
	innovationID, pilotID, programmeID *string
}

// check validates one outcome for a region, reporting problems through add.
func (refs *outcomeRefs) check(in hin.OutcomeInput, regionID string, add func(field, format string, args ...any)) resolvedOutcome {
	r := resolvedOutcome{in: in}
	m, ok := refs.metrics[in.MetricCode]
	if !ok {
		m, ok = refs.metrics[strings.ToLower(strings.TrimSpace(in.MetricCode))] // codes are lower_snake_case; forgive the case
	}
	if !ok {
		add("metricCode", "no metric has the code %s; the metrics query lists the catalogue", hin.Quote(in.MetricCode))
	} else {
		r.metricID = m.ID
		hin.ValidateOutcome(in, m, add)
	}
	ref := func(kind, field string, id *string, known func(string) bool) *string {
		if id == nil {
			return nil
		}
		uuid, err := hin.ParseIDOf(kind, field, *id)
		if err != nil {
			add(field, "%s", hin.ErrorMessage(err))
			return nil
		}
		if !known(uuid) {
			add(field, "no %s has the ID %s", kind, *id)
			return nil
		}
		return &uuid
	}
	r.innovationID = ref(hin.KindInnovation, "innovationId", in.InnovationID, func(id string) bool { return refs.innovations[id] })
	r.programmeID = ref(hin.KindProgramme, "programmeId", in.ProgrammeID, func(id string) bool { return refs.programmes[id] })
	r.pilotID = ref(hin.KindPilot, "pilotId", in.PilotID, func(id string) bool { _, ok := refs.pilots[id]; return ok })
	if r.pilotID != nil {
		p := refs.pilots[*r.pilotID]
		if p.RegionID != regionID {
			add("pilotId", "the pilot runs in another region than the outcome's")
		}
		if in.PeriodStart.Before(p.StartDate) || (p.EndDate != nil && in.PeriodEnd.After(*p.EndDate)) {
			end := "open-ended"
			if p.EndDate != nil {
				end = p.EndDate.Format(time.DateOnly)
			}
			add("periodStart", "the period must lie within the pilot's dates (%s to %s)", p.StartDate.Format(time.DateOnly), end)
		}
		if r.innovationID == nil {
			r.innovationID = &p.InnovationID // an outcome of a pilot is about the pilot's innovation
		}
	}
	return r
}

// insertOutcomes writes new outcomes in one statement; their state begins at at.
func (w *writer) insertOutcomes(regionID string, rows []resolvedOutcome, at time.Time) ([]hin.Outcome, error) {
	n := len(rows)
	metric := make([]string, n)
	starts, ends := make([]string, n), make([]string, n)
	values, nums, dens := make([]sql.NullFloat64, n), make([]sql.NullFloat64, n), make([]sql.NullFloat64, n)
	inns, pilots, progs := make([]sql.NullString, n), make([]sql.NullString, n), make([]sql.NullString, n)
	sources, statuses := make([]string, n), make([]string, n)
	for i, r := range rows {
		metric[i] = r.metricID
		starts[i], ends[i] = r.in.PeriodStart.Format(time.DateOnly), r.in.PeriodEnd.Format(time.DateOnly)
		values[i], nums[i], dens[i] = nullFloat(r.in.Value), nullFloat(r.in.Numerator), nullFloat(r.in.Denominator)
		inns[i], pilots[i], progs[i] = nullStr(r.innovationID), nullStr(r.pilotID), nullStr(r.programmeID)
		if r.in.Source != nil {
			sources[i] = *r.in.Source
		}
		statuses[i] = string(statusOf(r.in))
	}
	const q = `INSERT INTO outcome AS oc (id, metric_id, region_id, period_start, period_end, value, numerator, denominator,
			innovation_id, pilot_id, programme_id, source, status, published_at, valid_from)
		SELECT gen_random_uuid(), m, $1::uuid, ps, pe, v, nu, de, inn, pil, pro, src, st,
			CASE WHEN st = 'PUBLISHED' THEN $13::timestamptz END, $13::timestamptz
		FROM unnest($2::uuid[], $3::date[], $4::date[], $5::float8[], $6::float8[], $7::float8[], $8::uuid[], $9::uuid[], $10::uuid[], $11::text[], $12::text[])
			AS x(m, ps, pe, v, nu, de, inn, pil, pro, src, st)
		RETURNING ` + outcomeCols
	out := []hin.Outcome{}
	err := w.all(&out, q, regionID, pqArray(metric), pqArray(starts), pqArray(ends), pqArray(values), pqArray(nums), pqArray(dens),
		pqArray(inns), pqArray(pilots), pqArray(progs), pqArray(sources), pqArray(statuses), at)
	return out, err
}

// outcomeRegion resolves the region an outcome write is for and checks the
// caller may write it. Region codes are upper case; the case is forgiven.
func (w *writer) outcomeRegion(code, what string) (string, error) {
	var p hin.Problems
	region := w.regionID(&p, "regionCode", strings.ToUpper(strings.TrimSpace(code)))
	if err := p.Err(); err != nil {
		return "", err
	}
	if err := w.who.CanWriteRegion(region, what); err != nil {
		return "", err
	}
	return *region, nil
}

// RecordOutcome records one measured value, a DRAFT unless PUBLISHED is
// asked for. A key that already has a current outcome of that status is
// restated (a published one only with a reason) or, sent with the same
// value, left as it is; that outcome is returned.
func (s *Store) RecordOutcome(ctx context.Context, in hin.OutcomeInput, key *string) (hin.Outcome, error) {
	var out hin.Outcome
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.MayWrite("recording an outcome"); err != nil {
			return err
		}
		region, err := w.outcomeRegion(in.RegionCode, "recording an outcome")
		if err != nil {
			return err
		}
		refs, err := w.loadOutcomeRefs([]hin.OutcomeInput{in})
		if err != nil {
			return err
		}
		var p hin.Problems
		r := refs.check(in, region, p.Add)
		if err := p.Err(); err != nil {
			return err
		}
		prior, err := w.claimKey(key, "recordOutcome", in)
		if err != nil || prior != "" {
			if err == nil {
				err = w.get(&out, `SELECT `+outcomeCols+` FROM outcome oc WHERE oc.id = $1`, prior)
			}
			return err
		}
		res, err := w.applyOutcomes(region, []resolvedOutcome{r}, func(_ int, pr hin.Problem) { p = append(p, pr) })
		if err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		out = res.outcomes[0]
		switch {
		case len(res.created) > 0:
			err = w.audit("CREATE", hin.KindOutcome, &out.ID, &region, nil, out)
		case len(res.restated) > 0:
			err = w.audit("RESTATE", hin.KindOutcome, &out.ID, &region, res.replaced[0], out)
		}
		if err != nil {
			return err
		}
		return w.keyResult(key, out.ID)
	})
	return out, err
}

// SubmitReturn records a region's figures, for one period or many, all or
// nothing: one bad row rejects the whole return, with every row's problems
// listed. Each row is recorded as RecordOutcome records one outcome; a key
// repeated within the return is a problem of its row.
func (s *Store) SubmitReturn(ctx context.Context, in hin.ReturnInput, key *string) ([]hin.Outcome, error) {
	res, err := s.submitReturn(ctx, in, key, hin.MaxReturnRows)
	if err != nil {
		return nil, err
	}
	return res.Outcomes, nil
}

// ReturnResult is what a return did: one outcome per row, in row order,
// and how many rows made, restated or left unchanged a figure.
type ReturnResult struct {
	Outcomes                     []hin.Outcome
	Created, Restated, Unchanged int
}

// SubmitReturnCSV records a return read from a CSV upload, which may hold
// up to hin.MaxCSVReturnRows rows.
func (s *Store) SubmitReturnCSV(ctx context.Context, in hin.ReturnInput, key *string) (ReturnResult, error) {
	return s.submitReturn(ctx, in, key, hin.MaxCSVReturnRows)
}

// submitReturn records a return; then, when given, runs in the same
// transaction after it (a collection upload's notes).
func (s *Store) submitReturn(ctx context.Context, in hin.ReturnInput, key *string, maxRows int, then ...func(*writer) error) (ReturnResult, error) {
	var out ReturnResult
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.MayWrite("submitting a return"); err != nil {
			return err
		}
		region, err := w.outcomeRegion(in.RegionCode, "submitting a return")
		if err != nil {
			return err
		}
		if maxRows > hin.MaxReturnRows {
			// a CSV upload of tens of thousands of rows is one statement per step:
			// give it what is left of the upload's own time, not a query's
			ms := int64(120_000)
			if dl, ok := ctx.Deadline(); ok {
				ms = max(1, time.Until(dl).Milliseconds())
			}
			if err := w.exec(`SELECT set_config('statement_timeout', $1, true)`, fmt.Sprint(ms)); err != nil {
				return err
			}
		}
		var p hin.Problems
		if len(in.Rows) == 0 || len(in.Rows) > maxRows {
			p.Add("rows", "a return holds from 1 to %d rows, got %d", maxRows, len(in.Rows))
			return p.Err()
		}
		inputs := make([]hin.OutcomeInput, len(in.Rows))
		for i, row := range in.Rows {
			inputs[i] = in.Outcome(row, func(field, format string, args ...any) { p.AddRow(i, field, format, args...) })
		}
		refs, err := w.loadOutcomeRefs(inputs)
		if err != nil {
			return err
		}
		resolved := make([]resolvedOutcome, len(inputs))
		for i, o := range inputs {
			resolved[i] = refs.check(o, region, func(field, format string, args ...any) { p.AddRow(i, field, format, args...) })
		}
		if err := p.Err(); err != nil {
			return err
		}
		prior, err := w.claimKey(key, "submitReturn", in)
		if err != nil {
			return err
		}
		if prior != "" {
			// the first submission's rows, in its order, found through its audit event
			return w.all(&out.Outcomes, `SELECT `+outcomeCols+` FROM audit_event ae
				CROSS JOIN LATERAL jsonb_array_elements_text(ae.after->'outcomeIds') WITH ORDINALITY AS x(id, n)
				JOIN outcome oc ON oc.id = x.id::uuid WHERE ae.id = $1 ORDER BY x.n`, prior)
		}
		res, err := w.applyOutcomes(region, resolved, func(i int, pr hin.Problem) {
			r := i
			pr.Row = &r
			p = append(p, pr)
		})
		if err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		out = ReturnResult{Outcomes: res.outcomes, Created: len(res.created), Restated: len(res.restated), Unchanged: len(res.unchanged)}
		ids := make([]string, len(res.outcomes))
		for i, o := range res.outcomes {
			ids[i] = o.ID
		}
		after := map[string]any{"rows": len(ids), "outcomeIds": ids, "created": len(res.created), "restated": res.restated,
			"unchanged": len(res.unchanged)}
		if in.PeriodStart != nil && in.PeriodEnd != nil {
			after["periodStart"], after["periodEnd"] = in.PeriodStart.Format(time.DateOnly), in.PeriodEnd.Format(time.DateOnly)
		}
		var eventID string
		if err := w.get(&eventID, `INSERT INTO audit_event (id, actor, actor_role, action, entity_kind, region_id, after, request_id)
			VALUES (gen_random_uuid(), $1, $2, 'SUBMIT_RETURN', 'Outcome', $3, $4::jsonb, $5) RETURNING id`,
			w.who.Subject, string(w.who.Role), region, mustJSON(after), hin.RequestIDFrom(w.ctx)); err != nil {
			return err
		}
		for _, f := range then {
			if err := f(w); err != nil {
				return err
			}
		}
		return w.keyResult(key, eventID)
	})
	return out, err
}

// UpdateOutcome changes a draft; the state it replaces goes into the
// history. With status PUBLISHED it publishes the draft, which restates a
// published figure of the same key (with a reason); the outcome returned is
// then that figure. Published figures are never edited here: send the new
// value (recordOutcome or a return, with a reason), or withdraw them.
func (s *Store) UpdateOutcome(ctx context.Context, id string, version int, in hin.OutcomeInput) (hin.Outcome, error) {
	var out hin.Outcome
	err := s.write(ctx, func(w *writer) error {
		if err := w.lockOutcomeKey(id); err != nil {
			return err
		}
		uuid, before, err := lockToChange(w, outcomeRegional, id, version, "updating")
		if err != nil {
			return err
		}
		if before.Status != hin.OutcomeDraft {
			return &hin.Error{Code: hin.ECONFLICT, Field: "id", Message: fmt.Sprintf("only drafts can be changed; this outcome is %s (send the new value with a reason to restate it, or withdraw it)", before.Status)}
		}
		region, err := w.outcomeRegion(in.RegionCode, "moving this outcome to another region")
		if err != nil {
			return err
		}
		refs, err := w.loadOutcomeRefs([]hin.OutcomeInput{in})
		if err != nil {
			return err
		}
		var p hin.Problems
		r := refs.check(in, region, p.Add)
		if err := p.Err(); err != nil {
			return err
		}
		// the draft's new key must not clash with another current outcome
		at, err := w.lockKeys([]string{r.metricID, before.MetricID}, []string{region, before.RegionID})
		if err != nil {
			return err
		}
		found, err := w.clashes(region, []resolvedOutcome{r}, &uuid)
		if err != nil {
			return err
		}
		draft := r
		draft.in.Status = nil
		for _, c := range found {
			gid := hin.GlobalID(hin.KindOutcome, c.ID)
			if !c.PeriodStart.Equal(in.PeriodStart) || !c.PeriodEnd.Equal(in.PeriodEnd) {
				p = append(p, hin.Problem{Field: "periodStart", Code: hin.EOVERLAP, OutcomeID: gid, Message: fmt.Sprintf(
					"the period %s overlaps the %s outcome %s (%s) of the same metric, region, innovation, pilot and programme",
					period(in.PeriodStart, in.PeriodEnd), c.Status, gid, period(c.PeriodStart, c.PeriodEnd))})
			} else if c.Status == hin.OutcomeDraft {
				return &hin.Error{Code: hin.ECONFLICT, Field: "id", Details: map[string]any{"outcomeId": gid},
					Message: fmt.Sprintf("the draft %s already holds this metric, region, period, innovation, pilot and programme: change that one", gid)}
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		if err := w.keepHistory(at, "UPDATED", []string{uuid}, nil, nil); err != nil {
			return err
		}
		const q = `UPDATE outcome AS oc SET metric_id = $2, region_id = $3, period_start = $4, period_end = $5, value = $6, numerator = $7,
			denominator = $8, innovation_id = $9, pilot_id = $10, programme_id = $11, source = coalesce($12, ''), version = version + 1,
			updated_at = $13, valid_from = $13 WHERE oc.id = $1 RETURNING ` + outcomeCols
		if err := w.get(&out, q, uuid, r.metricID, region, in.PeriodStart, in.PeriodEnd, in.Value, in.Numerator, in.Denominator,
			r.innovationID, r.pilotID, r.programmeID, in.Source, at); err != nil {
			return err
		}
		if in.Status != nil && *in.Status == hin.OutcomePublished {
			now, err := w.publishDrafts([]hin.Outcome{out}, in.Reason)
			if err != nil {
				return err
			}
			if err := w.get(&out, `SELECT `+outcomeCols+` FROM outcome oc WHERE oc.id = $1`, now[uuid]); err != nil {
				return err
			}
		}
		return w.audit("UPDATE", hin.KindOutcome, &uuid, &region, before, out)
	})
	return out, err
}

// PublishOutcomes publishes a region's drafts whose periods lie in a
// window; see PublishOutcomesWithReason.
func (s *Store) PublishOutcomes(ctx context.Context, regionCode string, window hin.Window) (int, error) {
	return s.PublishOutcomesWithReason(ctx, regionCode, window, nil)
}

// PublishOutcomesWithReason publishes a region's drafts whose periods lie
// in a window. A draft whose key has a published figure restates it, which
// needs a reason.
func (s *Store) PublishOutcomesWithReason(ctx context.Context, regionCode string, window hin.Window, reason *string) (int, error) {
	var n int
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.MayWrite("publishing outcomes"); err != nil {
			return err
		}
		region, err := w.outcomeRegion(regionCode, "publishing outcomes")
		if err != nil {
			return err
		}
		// key locks before row locks, the order every keyed write takes them in
		var metrics []string
		if err := w.all(&metrics, `SELECT DISTINCT metric_id::text FROM outcome WHERE region_id = $1 AND status = 'DRAFT'
			AND period_start >= $2 AND period_end <= $3`, region, window.From, window.To); err != nil {
			return err
		}
		regions := make([]string, len(metrics))
		for i := range regions {
			regions[i] = region
		}
		if _, err := w.lockKeys(metrics, regions); err != nil {
			return err
		}
		var drafts []hin.Outcome
		if err := w.all(&drafts, `SELECT `+outcomeCols+` FROM outcome oc WHERE oc.region_id = $1 AND oc.status = 'DRAFT'
			AND oc.period_start >= $2 AND oc.period_end <= $3 ORDER BY oc.id FOR UPDATE`, region, window.From, window.To); err != nil {
			return err
		}
		now, err := w.publishDrafts(drafts, reason)
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(drafts))
		for _, d := range drafts {
			ids = append(ids, now[d.ID])
		}
		n = len(ids)
		return w.audit("PUBLISH", hin.KindOutcome, nil, &region, nil, map[string]any{"from": window.From.Format(time.DateOnly),
			"to": window.To.Format(time.DateOnly), "published": n, "outcomeIds": ids})
	})
	return n, err
}

// WithdrawOutcome takes back a published figure with a reason. It stays
// visible, marked WITHDRAWN, and is never counted again; its published
// state goes into the history, so figures as of earlier still count it.
func (s *Store) WithdrawOutcome(ctx context.Context, id string, version int, reason string) (hin.Outcome, error) {
	var out hin.Outcome
	err := s.write(ctx, func(w *writer) error {
		uuid, before, err := lockToChange(w, outcomeRegional, id, version, "withdrawing")
		if err != nil {
			return err
		}
		var p hin.Problems
		if before.Status != hin.OutcomePublished {
			p.Add("id", "only a published outcome can be withdrawn; this one is %s", before.Status)
		}
		if n := len([]rune(strings.TrimSpace(reason))); n < 3 || n > 1000 {
			p.Add("reason", "give a reason of 3 to 1000 characters")
		}
		if err := p.Err(); err != nil {
			return err
		}
		at, err := w.clock()
		if err != nil {
			return err
		}
		if err := w.keepHistory(at, "WITHDRAWN", []string{uuid}, []string{strings.TrimSpace(reason)}, nil); err != nil {
			return err
		}
		const q = `UPDATE outcome AS oc SET status = 'WITHDRAWN', withdrawn_reason = $2, withdrawn_at = $3, updated_at = $3,
			valid_from = $3, version = version + 1 WHERE oc.id = $1 RETURNING ` + outcomeCols
		if err := w.get(&out, q, uuid, strings.TrimSpace(reason), at); err != nil {
			return err
		}
		return w.audit("WITHDRAW", hin.KindOutcome, &uuid, &before.RegionID, before, out)
	})
	return out, err
}
