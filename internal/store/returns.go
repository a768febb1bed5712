package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// One current figure per key (see internal/hin/returns.go). The partial
// unique indexes of migration 00006 make a second current outcome of a key
// impossible; the steps here make a write that would create one restate,
// resend or refuse instead:
//
//  1. lockKeys takes a transaction advisory lock per metric and region the
//     write touches, in a fixed order, before it reads anything, so two
//     writes of one key (or of overlapping periods) run one after the other
//     and the second sees what the first committed.
//  2. clashes reads the current outcomes whose keys match a row's except,
//     perhaps, for an overlapping period.
//  3. plan decides per row: insert, restate, resend or refuse.
//  4. restate moves the replaced states into outcome_history and changes
//     the current rows in place, so IDs stay stable and the rollup triggers
//     see an ordinary UPDATE.

// keyLockSQL locks (metric, region) pairs in a fixed order, then applies
// the one-writer rule (migration 00009) to the regions, in one round trip
// and before anything is written: a figure resent unchanged writes no row
// for the trigger to refuse. The lock space is apart from the rollup
// refresh's, and every key lock is taken before the write's first
// statement on outcome, whose triggers take the rollup locks.
const keyLockSQL = `SELECT (SELECT count(pg_advisory_xact_lock(k)) FROM (
	SELECT DISTINCT hashtextextended('outcome-key/' || m::text || '/' || r::text, 0) AS k
	FROM unnest($1::uuid[], $2::uuid[]) AS x(m, r) ORDER BY 1) s)
	+ (SELECT count(assert_region_writable(r)) FROM (SELECT DISTINCT unnest($2::uuid[]) AS r) w)`

// lockKeys serialises writes to the keys of these metrics and regions,
// refuses regions this node does not write, and returns the moment the
// write happens (taken after the locks, so states replaced later never end
// before they began).
func (w *writer) lockKeys(metricIDs, regionIDs []string) (time.Time, error) {
	// a return of 50,000 rows has a few pairs: send those
	seen := map[[2]string]bool{}
	var ms, rs []string
	for i := range metricIDs {
		if k := [2]string{metricIDs[i], regionIDs[i]}; !seen[k] {
			seen[k] = true
			ms, rs = append(ms, k[0]), append(rs, k[1])
		}
	}
	var n int
	if err := w.get(&n, keyLockSQL, pqArray(ms), pqArray(rs)); err != nil {
		return time.Time{}, err
	}
	return w.clock()
}

// clock is the moment a change takes effect.
func (w *writer) clock() (time.Time, error) {
	var at time.Time
	err := w.get(&at, `SELECT clock_timestamp()`)
	return at, err
}

// clash is a current outcome whose key matches row's, the period perhaps
// only overlapping.
type clash struct {
	hin.Outcome
	Row int `db:"row"`
}

// clashes finds, for each row, the current outcomes of the same metric,
// region, innovation, pilot and programme whose periods overlap the row's
// (an equal period included). except leaves one outcome out (a draft
// being updated).
//
// The current outcomes of a key never overlap one another (every write
// passes this check), except a draft and a published figure of one period.
// So the one that can overlap a row is, per status, the one starting last
// on or before the row's end: one probe per row and status of the unique
// indexes of migration 00006, whatever the size of the return or of the
// table. A row that does overlap is rare (it is refused): only those rows
// are then read in full, every overlapping outcome in period order.
func (w *writer) clashes(regionID string, rows []resolvedOutcome, except *string) ([]clash, error) {
	if len(rows) >= bulkClashRows {
		return w.bulkClashes(regionID, rows, except)
	}
	args := clashArgs(regionID, rows, except)
	// A status as a literal, and the order of that status's partial unique
	// index in full, so the probe is a backward scan of that index and
	// nothing else: ordered by period_start alone, the planner may walk
	// outcome_by_region back from the row's end looking for a match, which
	// for a key with no figure of that status reads the region's every
	// outcome, per row.
	probe := func(status string) string {
		return `SELECT x.i - 1 AS row, ` + outcomeCols + `
		FROM unnest($2::uuid[], $3::date[], $4::date[], $5::uuid[], $6::uuid[], $7::uuid[]) WITH ORDINALITY AS x(m, ps, pe, inn, pil, pro, i)
		CROSS JOIN LATERAL (SELECT * FROM outcome oc WHERE oc.status = '` + status + `' AND ` + keyEquals("oc", "x") + `
			AND oc.period_start <= x.pe AND ($8::uuid IS NULL OR oc.id <> $8::uuid)
			ORDER BY ` + keyOrder + ` LIMIT 1) oc
		WHERE oc.period_end >= x.ps`
	}
	q := probe("PUBLISHED") + ` UNION ALL ` + probe("DRAFT") + ` ORDER BY 1, status DESC`
	var found []clash
	if err := w.all(&found, q, args...); err != nil {
		return nil, err
	}
	var overlapping []int
	for _, c := range found {
		r := rows[c.Row]
		exact := c.PeriodStart.Equal(r.in.PeriodStart) && c.PeriodEnd.Equal(r.in.PeriodEnd)
		if !exact && (len(overlapping) == 0 || overlapping[len(overlapping)-1] != c.Row) {
			overlapping = append(overlapping, c.Row)
		}
	}
	if len(overlapping) == 0 {
		return found, nil
	}
	// the refused rows, with everything they overlap
	sub := make([]resolvedOutcome, len(overlapping))
	for k, i := range overlapping {
		sub[k] = rows[i]
	}
	full := `SELECT x.i - 1 AS row, ` + outcomeCols + `
		FROM unnest($2::uuid[], $3::date[], $4::date[], $5::uuid[], $6::uuid[], $7::uuid[]) WITH ORDINALITY AS x(m, ps, pe, inn, pil, pro, i)
		JOIN outcome oc ON ` + keyEquals("oc", "x") + `
			AND oc.period_start <= x.pe AND oc.period_start >= x.ps - 1830 AND oc.period_end >= x.ps
		WHERE oc.status IN ('DRAFT', 'PUBLISHED') AND ($8::uuid IS NULL OR oc.id <> $8::uuid)
		ORDER BY x.i, oc.period_start, oc.status DESC`
	var more []clash
	if err := w.all(&more, full, clashArgs(regionID, sub, except)...); err != nil {
		return nil, err
	}
	refused := map[int]bool{}
	for k := range more {
		more[k].Row = overlapping[more[k].Row]
		refused[more[k].Row] = true
	}
	out := more
	for _, c := range found {
		if !refused[c.Row] {
			out = append(out, c)
		}
	}
	return out, nil
}

// bulkClashRows is the size from which a write reads the current
// outcomes its rows may meet in one statement rather than probing per row.
// Per-row probes rest on the planner's statistics, and statistics taken
// before a bulk load say the region has almost no outcomes: an index on
// the region, walked back from each row's end, then looks as cheap as the
// unique index, and reads the region's every outcome per row.
const bulkClashRows = 1000

// bulkClashes is clashes for a large write: one read of the current
// outcomes of the region and metrics over the rows' span of periods, then
// per key a sorted list searched for each row, with the latest end so far
// to stop the search, so every overlapping outcome is found whatever the
// statistics say.
func (w *writer) bulkClashes(regionID string, rows []resolvedOutcome, except *string) ([]clash, error) {
	metrics := map[string]bool{}
	var ids []string
	from, to := rows[0].in.PeriodStart, rows[0].in.PeriodEnd
	for _, r := range rows {
		if !metrics[r.metricID] {
			metrics[r.metricID] = true
			ids = append(ids, r.metricID)
		}
		if r.in.PeriodStart.Before(from) {
			from = r.in.PeriodStart
		}
		if r.in.PeriodEnd.After(to) {
			to = r.in.PeriodEnd
		}
	}
	const q = `SELECT ` + outcomeCols + ` FROM outcome oc
		WHERE oc.region_id = $1 AND oc.metric_id = ANY($2::uuid[]) AND oc.status IN ('DRAFT', 'PUBLISHED')
			AND oc.period_start <= $4 AND oc.period_end >= $3 AND ($5::uuid IS NULL OR oc.id <> $5::uuid)`
	var current []hin.Outcome
	if err := w.all(&current, q, regionID, pqArray(ids), from.Format(time.DateOnly), to.Format(time.DateOnly), except); err != nil {
		return nil, err
	}
	byKey := map[string][]*hin.Outcome{}
	for i := range current {
		o := &current[i]
		k := keyOf(o.MetricID, o.InnovationID, o.PilotID, o.ProgrammeID)
		byKey[k] = append(byKey[k], o)
	}
	// per key: by start, and the latest end up to each
	latest := map[string][]time.Time{}
	for k, os := range byKey {
		sort.Slice(os, func(a, b int) bool {
			if !os[a].PeriodStart.Equal(os[b].PeriodStart) {
				return os[a].PeriodStart.Before(os[b].PeriodStart)
			}
			return os[a].Status > os[b].Status // PUBLISHED first, as clashes orders them
		})
		ends := make([]time.Time, len(os))
		for i, o := range os {
			ends[i] = o.PeriodEnd
			if i > 0 && ends[i-1].After(o.PeriodEnd) {
				ends[i] = ends[i-1]
			}
		}
		latest[k] = ends
	}
	var out []clash
	for i, r := range rows {
		k := keyOf(r.metricID, r.innovationID, r.pilotID, r.programmeID)
		os, ends := byKey[k], latest[k]
		// the first outcome starting after the row ends; those before it
		// overlap the row when they end on or after its start
		j := sort.Search(len(os), func(j int) bool { return os[j].PeriodStart.After(r.in.PeriodEnd) })
		first := j
		for first > 0 && !ends[first-1].Before(r.in.PeriodStart) {
			first--
		}
		for _, o := range os[first:j] {
			if !o.PeriodEnd.Before(r.in.PeriodStart) {
				out = append(out, clash{Outcome: *o, Row: i})
			}
		}
	}
	return out, nil
}

func clashArgs(regionID string, rows []resolvedOutcome, except *string) []any {
	n := len(rows)
	metric, starts, ends := make([]string, n), make([]string, n), make([]string, n)
	inns, pilots, progs := make([]sql.NullString, n), make([]sql.NullString, n), make([]sql.NullString, n)
	for i, r := range rows {
		metric[i] = r.metricID
		starts[i], ends[i] = r.in.PeriodStart.Format(time.DateOnly), r.in.PeriodEnd.Format(time.DateOnly)
		inns[i], pilots[i], progs[i] = nullStr(r.innovationID), nullStr(r.pilotID), nullStr(r.programmeID)
	}
	return []any{regionID, pqArray(metric), pqArray(starts), pqArray(ends), pqArray(inns), pqArray(pilots), pqArray(progs), except}
}

// keyOrder is the order of the unique indexes of migration 00006, latest
// period first.
const keyOrder = `oc.metric_id DESC, oc.region_id DESC, coalesce(oc.innovation_id, '00000000-0000-0000-0000-000000000000'::uuid) DESC,
	coalesce(oc.pilot_id, '00000000-0000-0000-0000-000000000000'::uuid) DESC,
	coalesce(oc.programme_id, '00000000-0000-0000-0000-000000000000'::uuid) DESC, oc.period_start DESC, oc.period_end DESC`

// keyEquals matches an outcome's key up to its period with the columns
// m, inn, pil, pro of b (or, when b is an outcome alias, its own columns),
// in the form the unique indexes of migration 00006 can answer.
func keyEquals(a, b string) string {
	const zero = `'00000000-0000-0000-0000-000000000000'::uuid`
	if b == "x" {
		return a + `.metric_id = x.m AND ` + a + `.region_id = $1 AND coalesce(` + a + `.innovation_id, ` + zero + `) = coalesce(x.inn, ` + zero + `)
			AND coalesce(` + a + `.pilot_id, ` + zero + `) = coalesce(x.pil, ` + zero + `) AND coalesce(` + a + `.programme_id, ` + zero + `) = coalesce(x.pro, ` + zero + `)`
	}
	return a + `.metric_id = ` + b + `.metric_id AND ` + a + `.region_id = ` + b + `.region_id
		AND coalesce(` + a + `.innovation_id, ` + zero + `) = coalesce(` + b + `.innovation_id, ` + zero + `)
		AND coalesce(` + a + `.pilot_id, ` + zero + `) = coalesce(` + b + `.pilot_id, ` + zero + `)
		AND coalesce(` + a + `.programme_id, ` + zero + `) = coalesce(` + b + `.programme_id, ` + zero + `)`
}

func nullStr(v *string) sql.NullString {
	if v == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *v, Valid: true}
}

func statusOf(in hin.OutcomeInput) hin.OutcomeStatus {
	if in.Status != nil {
		return *in.Status
	}
	return hin.OutcomeDraft
}

// keyOf is a row's key without its period and status: the rows that may
// not overlap.
func keyOf(metricID string, inn, pil, pro *string) string {
	s := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	return metricID + "|" + s(inn) + "|" + s(pil) + "|" + s(pro)
}

func period(a, b time.Time) string { return a.Format(time.DateOnly) + " to " + b.Format(time.DateOnly) }

// planned is what a write does with each row.
type planned struct {
	existing *hin.Outcome // the outcome the row resends or restates; nil to insert
	restate  bool
}

// plan decides what each row does, reporting a row that repeats another
// row's key, overlaps another row's period or a current outcome's, or
// restates a published figure without a reason.
func plan(rows []resolvedOutcome, found []clash, add func(i int, pr hin.Problem)) []planned {
	out := make([]planned, len(rows))
	// rows against one another: sorted by key and start, a row overlaps the
	// one before it when it starts before that one ends
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = keyOf(r.metricID, r.innovationID, r.pilotID, r.programmeID)
	}
	sort.SliceStable(order, func(a, b int) bool {
		ra, rb := rows[order[a]], rows[order[b]]
		if keys[order[a]] != keys[order[b]] {
			return keys[order[a]] < keys[order[b]]
		}
		return ra.in.PeriodStart.Before(rb.in.PeriodStart)
	})
	bad := make([]bool, len(rows))
	// exact repeats first, named by the row they repeat
	firstOf := map[string]int{}
	for i, r := range rows {
		k := fullKey(r.metricID, r.in.PeriodStart, r.in.PeriodEnd, r.innovationID, r.pilotID, r.programmeID, "")
		if j, ok := firstOf[k]; ok {
			bad[i] = true
			add(i, hin.Problem{Field: "metricCode", Message: fmt.Sprintf(
				"repeats row %d: the same metric, period, innovation, pilot and programme may appear once in a return", j)})
			continue
		}
		firstOf[k] = i
	}
	// One sweep per key in order of start: a row overlaps an earlier one
	// when it starts before the latest end so far (open), so a return of
	// any size is checked in one pass. Of two overlapping rows the later
	// in the file is refused, naming the other.
	open := -1
	for j, i := range order {
		if j > 0 && keys[i] != keys[order[j-1]] {
			open = -1
		}
		if bad[i] {
			continue
		}
		if open < 0 || rows[open].in.PeriodEnd.Before(rows[i].in.PeriodStart) {
			open = i // ends after every earlier row of the key
			continue
		}
		first, second := min(open, i), max(open, i)
		bad[second] = true
		add(second, hin.Problem{Field: "periodStart", Code: hin.EOVERLAP, Message: fmt.Sprintf(
			"the period %s overlaps row %d's (%s) for the same metric, innovation, pilot and programme",
			period(rows[second].in.PeriodStart, rows[second].in.PeriodEnd), first, period(rows[first].in.PeriodStart, rows[first].in.PeriodEnd))})
		if second == open {
			open = i
		}
	}
	// rows against current outcomes
	exact := make([]map[hin.OutcomeStatus]*hin.Outcome, len(rows))
	for k := range found {
		c := &found[k]
		r := rows[c.Row]
		if c.PeriodStart.Equal(r.in.PeriodStart) && c.PeriodEnd.Equal(r.in.PeriodEnd) {
			if exact[c.Row] == nil {
				exact[c.Row] = map[hin.OutcomeStatus]*hin.Outcome{}
			}
			exact[c.Row][c.Status] = &c.Outcome
			continue
		}
		if bad[c.Row] {
			continue
		}
		bad[c.Row] = true
		gid := hin.GlobalID(hin.KindOutcome, c.ID)
		add(c.Row, hin.Problem{Field: "periodStart", Code: hin.EOVERLAP, OutcomeID: gid, Message: fmt.Sprintf(
			"the period %s overlaps the %s outcome %s (%s) of the same metric, region, innovation, pilot and programme; "+
				"both would count in one figure: withdraw or restate that outcome instead", period(r.in.PeriodStart, r.in.PeriodEnd),
			c.Status, gid, period(c.PeriodStart, c.PeriodEnd))})
	}
	for i, r := range rows {
		if bad[i] {
			continue
		}
		st := statusOf(r.in)
		cur := exact[i][st]
		switch {
		case cur != nil && hin.SameValue(*cur, r.in):
			out[i] = planned{existing: cur}
		case cur != nil:
			if st == hin.OutcomePublished && (r.in.Reason == nil || len([]rune(strings.TrimSpace(*r.in.Reason))) < 3) {
				add(i, hin.Problem{Field: "reason", OutcomeID: hin.GlobalID(hin.KindOutcome, cur.ID), Message: fmt.Sprintf(
					"this restates the published figure %s (%s): give a reason of 3 to 1000 characters", hin.GlobalID(hin.KindOutcome, cur.ID), fmtValue(*cur))})
				continue
			}
			out[i] = planned{existing: cur, restate: true}
		case st == hin.OutcomeDraft && exact[i][hin.OutcomePublished] != nil && hin.SameValue(*exact[i][hin.OutcomePublished], r.in):
			// a draft of what is already published: nothing to check
			out[i] = planned{existing: exact[i][hin.OutcomePublished]}
		}
	}
	return out
}

func fmtValue(o hin.Outcome) string {
	switch {
	case o.Value != nil:
		return fmt.Sprintf("value %g", *o.Value)
	case o.Numerator != nil && o.Denominator != nil:
		return fmt.Sprintf("%g of %g", *o.Numerator, *o.Denominator)
	}
	return "no value"
}

// historyCols copies an outcome's present state into outcome_history.
const historyInsert = `INSERT INTO outcome_history (outcome_id, metric_id, region_id, period_start, period_end, innovation_id,
		pilot_id, programme_id, value, numerator, denominator, source, status, valid_from, valid_to, change, changed_by,
		changed_role, reason, request_id)
	SELECT coalesce(x.owner, oc.id), oc.metric_id, oc.region_id, oc.period_start, oc.period_end, oc.innovation_id, oc.pilot_id,
		oc.programme_id, oc.value, oc.numerator, oc.denominator, oc.source, oc.status, oc.valid_from,
		greatest($2::timestamptz, oc.valid_from), $3, $4, $5, nullif(x.reason, ''), $6
	FROM unnest($1::uuid[], $7::text[], $8::uuid[]) AS x(id, reason, owner) JOIN outcome oc ON oc.id = x.id`

// keepHistory records the present state of outcomes before a change.
// owners, when set, files a state under another outcome (a draft merged
// into the published figure it replaces).
func (w *writer) keepHistory(at time.Time, change string, ids, reasons []string, owners []sql.NullString) error {
	if len(ids) == 0 {
		return nil
	}
	if reasons == nil {
		reasons = make([]string, len(ids))
	}
	if owners == nil {
		owners = make([]sql.NullString, len(ids))
	}
	return w.exec(historyInsert, pqArray(ids), at, change, w.who.Subject, string(w.who.Role), hin.RequestIDFrom(w.ctx),
		pqArray(reasons), pqArray(owners))
}

// restate records the replaced states and gives the outcomes their new
// values. was holds the outcomes as read under the key lock, in the order
// of ids.
func (w *writer) restate(at time.Time, rows []resolvedOutcome, ids []string, was []hin.Outcome) ([]hin.Outcome, error) {
	n := len(rows)
	reasons := make([]string, n)
	values, nums, dens := make([]sql.NullFloat64, n), make([]sql.NullFloat64, n), make([]sql.NullFloat64, n)
	sources := make([]sql.NullString, n)
	for i, r := range rows {
		if r.in.Reason != nil {
			reasons[i] = strings.TrimSpace(*r.in.Reason)
		}
		values[i], nums[i], dens[i] = nullFloat(r.in.Value), nullFloat(r.in.Numerator), nullFloat(r.in.Denominator)
		sources[i] = nullStr(r.in.Source)
	}
	if err := w.keepHistory(at, "RESTATED", ids, reasons, nil); err != nil {
		return nil, err
	}
	const q = `UPDATE outcome AS oc SET value = x.v, numerator = x.nu, denominator = x.de, source = coalesce(x.src, oc.source),
			version = oc.version + 1, updated_at = $2, valid_from = $2,
			published_at = CASE WHEN oc.status = 'PUBLISHED' THEN $2 ELSE oc.published_at END
		FROM unnest($1::uuid[], $3::float8[], $4::float8[], $5::float8[], $6::text[]) AS x(id, v, nu, de, src)
		WHERE oc.id = x.id AND oc.status IN ('DRAFT', 'PUBLISHED') RETURNING oc.id, oc.version`
	// Only the id and version come back: decoding every column of a
	// 50,000-row return cost a third of a second. The rest is known.
	var got []struct {
		ID      string `db:"id"`
		Version int    `db:"version"`
	}
	if err := w.all(&got, q, pqArray(ids), at, pqArray(values), pqArray(nums), pqArray(dens), pqArray(sources)); err != nil {
		return nil, err
	}
	if len(got) != len(ids) {
		// withdrawn meanwhile (withdrawal takes no key lock)
		return nil, hin.Errorf(hin.ECONFLICT, "a figure this write restates was withdrawn meanwhile; send it again")
	}
	version := make(map[string]int, len(got))
	for _, g := range got {
		version[g.ID] = g.Version
	}
	out := make([]hin.Outcome, n)
	var changed []string
	for k, o := range was {
		if version[o.ID] != o.Version+1 {
			// written by another statement since it was read: read it back
			changed = append(changed, o.ID)
			continue
		}
		o.Value, o.Numerator, o.Denominator = rows[k].in.Value, rows[k].in.Numerator, rows[k].in.Denominator
		if rows[k].in.Source != nil {
			o.Source = *rows[k].in.Source
		}
		o.Version, o.UpdatedAt = o.Version+1, at
		if o.Status == hin.OutcomePublished {
			t := at
			o.PublishedAt = &t
		}
		out[k] = o
	}
	if len(changed) > 0 {
		var fresh []hin.Outcome
		if err := w.all(&fresh, `SELECT `+outcomeCols+` FROM outcome oc WHERE oc.id = ANY($1::uuid[])`, pqArray(changed)); err != nil {
			return nil, err
		}
		byID := make(map[string]hin.Outcome, len(fresh))
		for _, o := range fresh {
			byID[o.ID] = o
		}
		for k, o := range was {
			if f, ok := byID[o.ID]; ok {
				out[k] = f
			}
		}
	}
	return out, nil
}

func nullFloat(v *float64) sql.NullFloat64 {
	if v == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *v, Valid: true}
}

// applied is what a keyed write did.
type applied struct {
	outcomes                     []hin.Outcome // one per row, in row order
	created, restated, unchanged []string
	replaced                     []hin.Outcome // the restated outcomes as they were
}

// applyOutcomes records rows for one region under the one-current-figure
// rule: all of them or, with problems reported through add, none.
func (w *writer) applyOutcomes(regionID string, rows []resolvedOutcome, add func(i int, pr hin.Problem)) (*applied, error) {
	metrics := make([]string, len(rows))
	regions := make([]string, len(rows))
	for i, r := range rows {
		metrics[i], regions[i] = r.metricID, regionID
	}
	at, err := w.lockKeys(metrics, regions)
	if err != nil {
		return nil, err
	}
	found, err := w.clashes(regionID, rows, nil)
	if err != nil {
		return nil, err
	}
	failed := false
	plans := plan(rows, found, func(i int, pr hin.Problem) { failed = true; add(i, pr) })
	if failed {
		return nil, nil
	}
	res := &applied{outcomes: make([]hin.Outcome, len(rows))}
	var ins, rest []resolvedOutcome
	var insAt, restAt []int
	var restIDs []string
	for i, pl := range plans {
		switch {
		case pl.existing == nil:
			ins, insAt = append(ins, rows[i]), append(insAt, i)
		case pl.restate:
			rest, restAt, restIDs = append(rest, rows[i]), append(restAt, i), append(restIDs, pl.existing.ID)
			res.replaced = append(res.replaced, *pl.existing)
		default:
			res.outcomes[i] = *pl.existing
			res.unchanged = append(res.unchanged, pl.existing.ID)
		}
	}
	if len(rest) > 0 {
		got, err := w.restate(at, rest, restIDs, res.replaced)
		if err != nil {
			return nil, err
		}
		byID := map[string]hin.Outcome{}
		for _, o := range got {
			byID[o.ID] = o
		}
		for k, i := range restAt {
			res.outcomes[i] = byID[restIDs[k]]
			res.restated = append(res.restated, restIDs[k])
		}
	}
	if len(ins) > 0 {
		got, err := w.insertOutcomes(regionID, ins, at)
		if err != nil {
			return nil, err
		}
		byKey := map[string]hin.Outcome{}
		for _, o := range got {
			byKey[fullKey(o.MetricID, o.PeriodStart, o.PeriodEnd, o.InnovationID, o.PilotID, o.ProgrammeID, o.Status)] = o
		}
		for _, i := range insAt {
			r := rows[i]
			o := byKey[fullKey(r.metricID, r.in.PeriodStart, r.in.PeriodEnd, r.innovationID, r.pilotID, r.programmeID, statusOf(r.in))]
			res.outcomes[i] = o
			res.created = append(res.created, o.ID)
		}
	}
	return res, nil
}

func fullKey(metricID string, ps, pe time.Time, inn, pil, pro *string, st hin.OutcomeStatus) string {
	return keyOf(metricID, inn, pil, pro) + "|" + period(ps, pe) + "|" + string(st)
}

// publishDrafts publishes drafts. A draft whose key has a published figure
// restates that figure: the figure keeps its ID and takes the draft's
// value, the replaced value and the draft go into its history, and the
// draft's row is gone. A reason is needed unless the values are equal.
// It returns, for each draft, the outcome now published.
func (w *writer) publishDrafts(drafts []hin.Outcome, reason *string) (map[string]string, error) {
	if len(drafts) == 0 {
		return map[string]string{}, nil
	}
	metrics, regions, ids := make([]string, len(drafts)), make([]string, len(drafts)), make([]string, len(drafts))
	for i, d := range drafts {
		metrics[i], regions[i], ids[i] = d.MetricID, d.RegionID, d.ID
	}
	at, err := w.lockKeys(metrics, regions)
	if err != nil {
		return nil, err
	}
	var pairs []struct {
		Draft     string `db:"draft"`
		Published string `db:"published"`
		Same      bool   `db:"same"`
	}
	q := `SELECT d.id AS draft, p.id AS published,
			(p.value IS NOT DISTINCT FROM d.value AND p.numerator IS NOT DISTINCT FROM d.numerator
			 AND p.denominator IS NOT DISTINCT FROM d.denominator) AS same
		FROM outcome d JOIN outcome p ON p.status = 'PUBLISHED' AND ` + keyEquals("p", "d") + `
			AND p.period_start = d.period_start AND p.period_end = d.period_end
		WHERE d.id = ANY($1::uuid[]) AND d.status = 'DRAFT'`
	if err := w.all(&pairs, q, pqArray(ids)); err != nil {
		return nil, err
	}
	why := ""
	if reason != nil {
		why = strings.TrimSpace(*reason)
	}
	var restated, restatedDraft, merged, mergedInto []string
	paired := map[string]string{}
	for _, p := range pairs {
		paired[p.Draft] = p.Published
		merged, mergedInto = append(merged, p.Draft), append(mergedInto, p.Published)
		if !p.Same {
			restated, restatedDraft = append(restated, p.Published), append(restatedDraft, p.Draft)
		}
	}
	if len(restated) > 0 && len([]rune(why)) < 3 {
		return nil, &hin.Error{Code: hin.EINVALID, Field: "reason", Details: map[string]any{"outcomeId": hin.GlobalID(hin.KindOutcome, restated[0])},
			Message: fmt.Sprintf("publishing restates %d published figure(s), such as %s: give a reason of 3 to 1000 characters",
				len(restated), hin.GlobalID(hin.KindOutcome, restated[0]))}
	}
	if len([]rune(why)) > 1000 {
		return nil, hin.Invalid("reason", "give a reason of 3 to 1000 characters")
	}
	// the drafts' states, filed under the outcome that carries the figure on
	owners := make([]sql.NullString, len(ids))
	for i, id := range ids {
		if p, ok := paired[id]; ok {
			owners[i] = sql.NullString{String: p, Valid: true}
		}
	}
	if err := w.keepHistory(at, "PUBLISHED", ids, nil, owners); err != nil {
		return nil, err
	}
	reasons := make([]string, len(restated))
	for i := range reasons {
		reasons[i] = why
	}
	if err := w.keepHistory(at, "RESTATED", restated, reasons, nil); err != nil {
		return nil, err
	}
	if len(merged) > 0 {
		const move = `UPDATE outcome_history h SET outcome_id = x.p FROM unnest($1::uuid[], $2::uuid[]) AS x(d, p) WHERE h.outcome_id = x.d`
		if err := w.exec(move, pqArray(merged), pqArray(mergedInto)); err != nil {
			return nil, err
		}
		const take = `UPDATE outcome p SET value = d.value, numerator = d.numerator, denominator = d.denominator, source = d.source,
				version = p.version + 1, updated_at = $3, valid_from = $3, published_at = $3
			FROM unnest($1::uuid[], $2::uuid[]) AS x(d, p) JOIN outcome d ON d.id = x.d
			WHERE p.id = x.p AND x.d = ANY($4::uuid[])`
		if err := w.exec(take, pqArray(merged), pqArray(mergedInto), at, pqArray(restatedDraft)); err != nil {
			return nil, err
		}
		if err := w.exec(`DELETE FROM outcome WHERE id = ANY($1::uuid[])`, pqArray(merged)); err != nil {
			return nil, err
		}
	}
	out := make(map[string]string, len(ids))
	var plain []string
	for _, id := range ids {
		if p, ok := paired[id]; ok {
			out[id] = p
		} else {
			out[id] = id
			plain = append(plain, id)
		}
	}
	if len(plain) > 0 {
		if err := w.exec(`UPDATE outcome SET status = 'PUBLISHED', published_at = $2, valid_from = $2, updated_at = $2,
			version = version + 1 WHERE id = ANY($1::uuid[])`, pqArray(plain), at); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OutcomeHistory lists the earlier states of outcomes, newest first, at
// most first each; drafts only as far as the caller may see them.
func (s *Store) OutcomeHistory(ctx context.Context, ids []string, first int) (map[string][]hin.OutcomeRevision, error) {
	q := &listQuery{}
	q.visibleOutcomes("h", hin.PrincipalFrom(ctx).DraftScope())
	where := q.whereSQL()
	if where == "" {
		where = "TRUE"
	}
	query := `SELECT h.id, h.outcome_id, h.region_id, h.value, h.numerator, h.denominator, h.source, h.status, h.valid_from, h.valid_to,
			h.change, h.changed_by, h.reason
		FROM unnest(` + q.arg(pqArray(ids)) + `::uuid[]) AS p(id) CROSS JOIN LATERAL (
			SELECT * FROM outcome_history h WHERE h.outcome_id = p.id AND ` + where + `
			ORDER BY h.valid_to DESC, h.id LIMIT ` + q.arg(first) + `) h`
	var rows []hin.OutcomeRevision
	if err := s.selectAll(ctx, s.db, &rows, query, q.args...); err != nil {
		return nil, fmt.Errorf("outcome history: %w", err)
	}
	out := make(map[string][]hin.OutcomeRevision, len(ids))
	for _, r := range rows {
		out[r.OutcomeID] = append(out[r.OutcomeID], r)
	}
	return out, nil
}

// lockOutcomeKey takes the key lock of an existing outcome before its row
// is locked, in the order every keyed write takes them. An unknown or
// malformed ID locks nothing: the steps that follow report it.
func (w *writer) lockOutcomeKey(id string) error {
	if w.who.MayWrite("changing an outcome") != nil {
		return nil
	}
	uuid, err := uuidOf(hin.KindOutcome, "id", id)
	if err != nil {
		return nil
	}
	var k []struct {
		Metric string `db:"metric_id"`
		Region string `db:"region_id"`
	}
	if err := w.all(&k, `SELECT metric_id::text, region_id::text FROM outcome WHERE id = $1`, uuid); err != nil || len(k) == 0 {
		return err
	}
	_, err = w.lockKeys([]string{k[0].Metric}, []string{k[0].Region})
	return err
}

// OutcomeExportRow is an outcome with the codes a spreadsheet reader needs.
type OutcomeExportRow struct {
	hin.Outcome
	MetricCode string `db:"metric_code"`
	RegionCode string `db:"region_code"`
	SortKey    string `db:"sort_key"` // the period start, for the next page's cursor
}

// ExportOutcomes reads one page of the outcomes a list with filter f would
// page through (the same drafts rule), ordered by period and ID as the
// outcomes list is by default, so their cursors are the same: first rows
// after the cursor after, and the cursor of the next page ("" at the end).
// The page size is the caller's to check.
func (s *Store) ExportOutcomes(ctx context.Context, f hin.OutcomeFilter, first int, after string) ([]OutcomeExportRow, string, error) {
	if first < 1 {
		return nil, "", hin.Invalid("first", "first must be at least 1")
	}
	q, err := outcomeQuery(ctx, "", f)
	if err != nil {
		return nil, "", err
	}
	if q.err != nil {
		return nil, "", q.err
	}
	order := outcomeList.defaultOrder
	c, err := decodeCursor(after, order)
	if err != nil {
		return nil, "", err
	}
	spec := outcomeList.orders[order]
	var extra []string
	if c != nil {
		extra = append(extra, fmt.Sprintf("(%s, oc.id) > (%s::%s, %s::uuid)", spec.expr, q.arg(c.Key), spec.sqlType, q.arg(c.ID)))
	}
	query := `SELECT ` + outcomeCols + `, m.code AS metric_code, r.code AS region_code, (` + spec.expr + `)::text AS sort_key
		FROM outcome oc JOIN metric m ON m.id = oc.metric_id JOIN region r ON r.id = oc.region_id
		WHERE ` + q.whereSQL(extra...) + ` ORDER BY ` + spec.expr + `, oc.id LIMIT ` + q.arg(first+1)
	rows := make([]OutcomeExportRow, 0, min(first+1, maxPrealloc))
	if err := selectRows(ctx, s, s.reads(), &rows, query, q.args...); err != nil {
		return nil, "", fmt.Errorf("outcomes export: %w", err)
	}
	if len(rows) <= first {
		return rows, "", nil
	}
	last := rows[first-1]
	return rows[:first], encodeCursor(cursor{Order: order, Key: last.SortKey, ID: last.ID}), nil
}
