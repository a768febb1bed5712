package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// National figures. Every combined figure is computed here, in SQL, under
// its metric's rule (see hin.AggregateRow.Combined). Month-aligned windows
// are answered from the rollup tables kept by the outcome triggers
// (migration 00002), so their cost does not grow with raw outcome rows;
// other windows read the outcome table with the same query shape, so both
// paths give the same figures. The rules in internal/hin/figure.go turn
// the rows into the figures clients read; every sum is made here.

// dimension column expressions over the source alias r and innovation i.
var dimensionExprs = map[hin.Dimension]struct{ col, expr string }{
	hin.DimMetric:          {"g_metric", "r.metric_id::text"},
	hin.DimProgramme:       {"g_programme", "r.programme_id::text"},
	hin.DimInnovation:      {"g_innovation", "r.innovation_id::text"},
	hin.DimClinicalArea:    {"g_clinical_area", "i.clinical_area"},
	hin.DimInnovationStage: {"g_stage", "i.stage"},
	// NHS quarters and financial years start in April: shift by three
	// months, truncate to the calendar quarter or year, shift back.
	hin.DimMonth:         {"g_period", "r.start_month"},
	hin.DimQuarter:       {"g_period", "(date_trunc('quarter', r.start_month - interval '3 months') + interval '3 months')::date"},
	hin.DimFinancialYear: {"g_period", "(date_trunc('year', r.start_month - interval '3 months') + interval '3 months')::date"},
}

// rawOutcomes presents the outcome table with the rollups' columns, one
// outcome per row, for windows the monthly rollups cannot answer exactly.
const rawOutcomes = `(SELECT metric_id, region_id, programme_id, innovation_id, status,
	period_start AS start_month, period_end AS end_month, 1::bigint AS n, value AS sum_value,
	numerator AS sum_num, denominator AS sum_den, period_end AS last_end, value AS last_sum FROM outcome)`

// asOfOutcomes presents, like rawOutcomes, the outcomes of some metrics as
// they stood at a moment: the current rows whose state began by then, and
// the states in outcome_history that were current then (migration 00006).
// With drafts, each published figure whose key had a draft then is taken
// back out (see shadowRows).
func asOfOutcomes(at, metrics, from, to string, drafts bool) string {
	const keyCols = `metric_id, region_id, programme_id, innovation_id, pilot_id, status, period_start, period_end, value, numerator, denominator`
	// the metrics and the window inside, so each branch reads its index range
	within := ` AND metric_id = ANY(` + metrics + `::uuid[]) AND period_start >= ` + from + `::date AND period_start <= ` + to + `::date
		AND period_end <= ` + to + `::date`
	base := `SELECT ` + keyCols + ` FROM outcome WHERE valid_from <= ` + at + within + `
	UNION ALL SELECT ` + keyCols + ` FROM outcome_history WHERE valid_from <= ` + at + ` AND valid_to > ` + at + within
	const sums = `metric_id, region_id, programme_id, innovation_id, status, period_start AS start_month, period_end AS end_month,
		1::bigint AS n, value AS sum_value, numerator AS sum_num, denominator AS sum_den, period_end AS last_end, value AS last_sum`
	if !drafts {
		return `(SELECT ` + sums + ` FROM (` + base + `) s)`
	}
	// with drafts, a published figure whose key had a draft then is taken
	// back out, as shadowRows does for current figures; the pairs are found
	// by a window over the key rather than a join
	return `(WITH k AS (SELECT s.*, bool_or(status = 'DRAFT') OVER (PARTITION BY metric_id, region_id, innovation_id, pilot_id,
			programme_id, period_start, period_end) AS drafted FROM (` + base + `) s)
	SELECT ` + sums + ` FROM k
	UNION ALL SELECT metric_id, region_id, programme_id, innovation_id, 'DRAFT', period_start, period_end, -1::bigint, -value, -numerator,
		-denominator, period_end, -value FROM k WHERE status = 'PUBLISHED' AND drafted)`
}

// hasSnapshot says whether any metric is a snapshot, whose figure (the
// latest value in the window) cannot be corrected by adding and taking
// away rows the way sums can.
func hasSnapshot(ms []hin.Metric) bool {
	for _, m := range ms {
		if m.Kind == hin.MetricSnapshot {
			return true
		}
	}
	return false
}

// asOfDelta turns today's rollups into the sums as they stood at a moment:
// every current outcome whose state began after it is taken back out (its
// negation, under its present status, cancels its rollup contribution),
// and every state in outcome_history current then is added. Its cost
// grows with the changes made since the moment, not with the outcomes.
// Periods are the rollups' months; only for sums (see hasSnapshot).
func asOfDelta(at, metrics, from, to string, detail bool) string {
	cols := func(sign string) string {
		d := ""
		if detail {
			d = "programme_id, innovation_id, "
		}
		return `metric_id, region_id, ` + d + `status, date_trunc('month', period_start)::date AS start_month,
		date_trunc('month', period_end)::date AS end_month, ` + sign + `1::bigint AS n, ` + sign + `value AS sum_value,
		` + sign + `numerator AS sum_num, ` + sign + `denominator AS sum_den, period_end AS last_end, ` + sign + `value AS last_sum`
	}
	within := ` AND metric_id = ANY(` + metrics + `::uuid[]) AND period_start >= ` + from + `::date AND period_end <= ` + to + `::date`
	return `SELECT ` + cols("-") + ` FROM outcome WHERE valid_from > ` + at + within + `
	UNION ALL SELECT ` + cols("") + ` FROM outcome_history WHERE valid_from <= ` + at + ` AND valid_to > ` + at + within
}

// shadowRows takes back out of a figure with drafts the published figures
// whose key has a current draft: the draft stands in for the figure it
// would restate, so one key never counts twice. Each such figure gives a
// row of negated sums with status DRAFT, which the draft filter then keeps
// exactly where it keeps the draft itself. Sums, counts and, for snapshots,
// the sum at the latest period end (the negated row shares the figure's
// period end) all cancel. month says whether the periods are the rollups'
// months; withProgramme whether the source has the detail columns.
func shadowRows(from string, month bool, metricCond string, withProgramme bool) string {
	start, end := "p.period_start", "p.period_end"
	if month {
		start, end = "date_trunc('month', p.period_start)::date", "date_trunc('month', p.period_end)::date"
	}
	detail := ""
	if withProgramme {
		detail = "p.programme_id, p.innovation_id, "
	}
	return `SELECT p.metric_id, p.region_id, ` + detail + `'DRAFT' AS status, ` + start + ` AS start_month, ` + end + ` AS end_month,
		-1::bigint AS n, -p.value AS sum_value, -p.numerator AS sum_num, -p.denominator AS sum_den, p.period_end AS last_end, -p.value AS last_sum
	FROM ` + from + ` p JOIN ` + from + ` d ON d.status = 'DRAFT' AND ` + keyEquals("d", "p") + `
		AND d.period_start = p.period_start AND d.period_end = p.period_end
	WHERE p.status = 'PUBLISHED' AND ` + metricCond
}

// aggregateSource is the relation an aggregate reads, and the last month
// key its window takes: the rollups (with the drafts' shadow rows, or less
// what changed since an as-of moment), or the raw outcomes.
func aggregateSource(lq *listQuery, q hin.AggregateQuery, detail bool, metricsArg string) (source string, toKey time.Time) {
	source, toKey = "outcome_region_month", q.Window.To
	if detail {
		source = "outcome_detail_month"
	}
	drafts := q.Drafts.All || len(q.Drafts.RegionIDs) > 0
	switch {
	case q.AsOf != nil && !drafts && q.Window.MonthAligned() && !hasSnapshot(q.Metrics):
		// counts and rates as of a moment: today's rollups, less what changed
		// since then, plus what was current then
		toKey = time.Date(q.Window.To.Year(), q.Window.To.Month(), 1, 0, 0, 0, 0, time.UTC)
		cols := "metric_id, region_id, status, start_month, end_month, n, sum_value, sum_num, sum_den, last_end, last_sum"
		if detail {
			cols = "metric_id, region_id, programme_id, innovation_id, status, start_month, end_month, n, sum_value, sum_num, sum_den, last_end, last_sum"
		}
		source = "(SELECT " + cols + " FROM " + source + " UNION ALL " +
			asOfDelta(lq.arg(*q.AsOf)+"::timestamptz", metricsArg, lq.arg(q.Window.From), lq.arg(q.Window.To), detail) + ")"
	case q.AsOf != nil:
		// the values current then: the rollups hold only today's
		source = asOfOutcomes(lq.arg(*q.AsOf)+"::timestamptz", metricsArg, lq.arg(q.Window.From), lq.arg(q.Window.To), drafts)
	case q.Window.MonthAligned():
		toKey = time.Date(q.Window.To.Year(), q.Window.To.Month(), 1, 0, 0, 0, 0, time.UTC)
		if drafts {
			cols := "metric_id, region_id, status, start_month, end_month, n, sum_value, sum_num, sum_den, last_end, last_sum"
			if detail {
				cols = "metric_id, region_id, programme_id, innovation_id, status, start_month, end_month, n, sum_value, sum_num, sum_den, last_end, last_sum"
			}
			source = "(SELECT " + cols + " FROM " + source + " UNION ALL " +
				shadowRows("outcome", true, "p.metric_id = ANY("+metricsArg+"::uuid[])", detail) + ")"
		}
	default:
		source = rawOutcomes
		if drafts {
			source = "(SELECT * FROM " + rawOutcomes + " o UNION ALL " +
				shadowRows("outcome", false, "p.metric_id = ANY("+metricsArg+"::uuid[])", true) + ")"
		}
	}
	return source, toKey
}

// Aggregate computes combined figures for every group of q.GroupBy: one row
// per region that reported in the group, and one total row per group.
func (s *Store) Aggregate(ctx context.Context, q hin.AggregateQuery) ([]hin.AggregateRow, error) {
	lq := &listQuery{}
	metricIDs := make([]string, len(q.Metrics))
	for i, m := range q.Metrics {
		metricIDs[i] = m.ID
	}

	needInnovation := q.Filter.ClinicalArea != nil || len(q.Filter.Stages) > 0
	detail := len(q.Filter.ProgrammeIDs) > 0 || len(q.Filter.InnovationIDs) > 0 || needInnovation
	// q.GroupBy was checked by hin.FigureRequest.Check (hin.CheckGroupBy).
	var dimCols, dimExprs []string
	for _, d := range q.GroupBy {
		if d == hin.DimRegion {
			continue // per-region rows are always returned
		}
		de, ok := dimensionExprs[d]
		if !ok {
			return nil, fmt.Errorf("aggregate: no column for dimension %q", d)
		}
		dimCols = append(dimCols, de.col)
		dimExprs = append(dimExprs, de.expr+" AS "+de.col)
		switch d {
		case hin.DimProgramme, hin.DimInnovation:
			detail = true
		case hin.DimClinicalArea, hin.DimInnovationStage:
			detail, needInnovation = true, true
		}
	}

	metricsArg := lq.arg(pq.Array(metricIDs))
	source, toKey := aggregateSource(lq, q, detail, metricsArg)
	from := source + " r"
	if needInnovation {
		from += " LEFT JOIN innovation i ON i.id = r.innovation_id"
	}

	lq.and("r.metric_id = ANY(" + metricsArg + "::uuid[])")
	lq.and("r.start_month >= " + lq.arg(q.Window.From) + "::date")
	lq.and("r.end_month <= " + lq.arg(toKey) + "::date")
	// drafts only where the caller may see them
	switch {
	case q.Drafts.All:
		lq.and("r.status IN ('PUBLISHED', 'DRAFT')")
	case len(q.Drafts.RegionIDs) > 0:
		lq.and("(r.status = 'PUBLISHED' OR (r.status = 'DRAFT' AND r.region_id = ANY(" + lq.arg(pq.Array(q.Drafts.RegionIDs)) + "::uuid[])))")
	default:
		lq.and("r.status = 'PUBLISHED'")
	}
	if q.RegionIDs != nil {
		lq.and("r.region_id = ANY(" + lq.arg(pq.Array(q.RegionIDs)) + "::uuid[])")
	}
	lq.inRegionCodes("r.region_id", q.Filter.RegionCodes)
	if err := lq.inIDs("r.programme_id", hin.KindProgramme, "filter.programmeIds", q.Filter.ProgrammeIDs); err != nil {
		return nil, err
	}
	if err := lq.inIDs("r.innovation_id", hin.KindInnovation, "filter.innovationIds", q.Filter.InnovationIDs); err != nil {
		return nil, err
	}
	lq.contains("i.clinical_area", q.Filter.ClinicalArea)
	lq.inStrings("i.stage", enumStrings(q.Filter.Stages))

	if lq.err != nil {
		return nil, lq.err
	}
	selectDims := strings.Join(append(dimExprs, ""), ", ")
	dims := strings.Join(append(dimCols, ""), ", ")
	partition := strings.Join(append(append([]string{}, dimCols...), "region_id", "metric_id"), ", ")
	totalsGroup := ""
	if len(dimCols) > 0 {
		totalsGroup = "GROUP BY " + strings.Join(dimCols, ", ")
	}
	// Snapshot metrics: for each region (and group and metric) the latest
	// period end in the window, and the sum of the values reported at it.
	query := fmt.Sprintf(`WITH x AS (
		SELECT %[1]s r.region_id, r.metric_id, r.n, r.sum_value, r.sum_num, r.sum_den, r.last_end, r.last_sum
		FROM %[2]s WHERE %[3]s
	), y AS (
		SELECT x.*, max(last_end) OVER (PARTITION BY %[4]s) AS group_last FROM x
	), per_region AS (
		SELECT %[5]s region_id, sum(n) AS n, sum(sum_value) AS v, sum(sum_num) AS num, sum(sum_den) AS den,
		       sum(last_sum) FILTER (WHERE last_end = group_last) AS snap, max(last_end) AS last_end
		FROM y GROUP BY %[5]s region_id
	)
	SELECT %[5]s region_id::text AS region_id, false AS total, n, v, num, den, snap, last_end, 1 AS regions FROM per_region
	UNION ALL
	SELECT %[5]s NULL, true, sum(n), sum(v), sum(num), sum(den), sum(snap), max(last_end), count(*)::int FROM per_region %[6]s
	HAVING count(*) > 0`, selectDims, from, lq.whereSQL(), partition, dims, totalsGroup)

	rows := []hin.AggregateRow{}
	if err := s.selectAll(ctx, s.reads(), &rows, query, lq.args...); err != nil {
		return nil, fmt.Errorf("aggregate: %w", err)
	}
	return rows, nil
}

// Pipeline counts innovations per stage, per lead region and nationally, and
// the stage changes into each stage within the window (when given), with
// their sum over the stages of each region and of the nation.
func (s *Store) Pipeline(ctx context.Context, f hin.FigureFilter, regionIDs []string, moved *hin.Window) ([]hin.StageCount, error) {
	lq := &listQuery{}
	lq.inRegionCodes("i.lead_region_id", f.RegionCodes)
	if regionIDs != nil {
		lq.and("i.lead_region_id = ANY(" + lq.arg(pq.Array(regionIDs)) + "::uuid[])")
	}
	if len(f.ProgrammeIDs) > 0 {
		ids, err := hin.ParseIDsOf(hin.KindProgramme, "filter.programmeIds", f.ProgrammeIDs)
		if err != nil {
			return nil, err
		}
		lq.and("i.id IN (SELECT innovation_id FROM innovation_programme WHERE programme_id = ANY(" + lq.arg(pq.Array(ids)) + "::uuid[]))")
	}
	if err := lq.inIDs("i.id", hin.KindInnovation, "filter.innovationIds", f.InnovationIDs); err != nil {
		return nil, err
	}
	lq.contains("i.clinical_area", f.ClinicalArea)
	lq.inStrings("i.stage", enumStrings(f.Stages))
	movedFrom, movedTo := "NULL::date", "NULL::date"
	if moved != nil {
		movedFrom, movedTo = lq.arg(moved.From)+"::date", lq.arg(moved.To)+"::date"
	}
	// A move is a stage change after the first recorded stage. Innovations
	// with no lead region count only nationally, so the rows with no region
	// are the national ones alone.
	if lq.err != nil {
		return nil, lq.err
	}
	lq.and("i.archived_at IS NULL")
	query := fmt.Sprintf(`WITH sel AS (SELECT i.id, i.lead_region_id, i.stage FROM innovation i WHERE %s),
	at_stage AS (
		SELECT lead_region_id::text AS region_id, stage, count(*) AS n FROM sel
		GROUP BY GROUPING SETS ((lead_region_id, stage), (stage))
		HAVING GROUPING(lead_region_id) = 1 OR lead_region_id IS NOT NULL
	), moves AS (
		SELECT sel.lead_region_id::text AS region_id, c.to_stage AS stage, count(*) AS n
		FROM innovation_stage_change c JOIN sel ON sel.id = c.innovation_id
		WHERE c.from_stage IS NOT NULL AND c.changed_on BETWEEN %s AND %s
		GROUP BY GROUPING SETS ((sel.lead_region_id, c.to_stage), (c.to_stage))
		HAVING GROUPING(sel.lead_region_id) = 1 OR sel.lead_region_id IS NOT NULL
	)
	SELECT coalesce(a.region_id, m.region_id) AS region_id, coalesce(a.stage, m.stage) AS stage,
	       coalesce(a.n, 0) AS innovations, coalesce(m.n, 0) AS moved_in,
	       (sum(coalesce(m.n, 0)) OVER (PARTITION BY coalesce(a.region_id, m.region_id)))::int AS all_moves
	FROM at_stage a FULL JOIN moves m ON a.region_id IS NOT DISTINCT FROM m.region_id AND a.stage = m.stage`,
		lq.whereSQL(), movedFrom, movedTo)
	rows := []hin.StageCount{}
	if err := s.selectAll(ctx, s.reads(), &rows, query, lq.args...); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return rows, nil
}

// AdoptionSpread counts, per region and organisation kind, the organisations
// that adopted an innovation (or any innovation of a programme) by a date,
// beside the organisations of that kind in the region valid on that date,
// with the adopters summed per region and over every region asked.
func (s *Store) AdoptionSpread(ctx context.Context, innovationID, programmeID *string, kinds []hin.OrganisationKind, regionIDs []string, on time.Time) ([]hin.AdoptionCount, error) {
	lq := &listQuery{}
	switch {
	case innovationID != nil:
		id, err := hin.ParseIDOf(hin.KindInnovation, "innovationId", *innovationID)
		if err != nil {
			return nil, err
		}
		lq.and("a.innovation_id = " + lq.arg(id) + "::uuid")
	case programmeID != nil:
		id, err := hin.ParseIDOf(hin.KindProgramme, "programmeId", *programmeID)
		if err != nil {
			return nil, err
		}
		lq.and("a.innovation_id IN (SELECT innovation_id FROM innovation_programme WHERE programme_id = " + lq.arg(id) + "::uuid)")
	default:
		return nil, hin.Invalid("innovationId", "give an innovationId or a programmeId")
	}
	d := lq.arg(on) + "::date"
	lq.and("a.adopted_on <= " + d)
	lq.and("a.archived_at IS NULL")
	kindCond := "TRUE"
	if len(kinds) > 0 {
		kindCond = "o.kind = ANY(" + lq.arg(pq.Array(enumStrings(kinds))) + ")"
	}
	regionCond := "TRUE"
	if regionIDs != nil {
		regionCond = "o.region_id = ANY(" + lq.arg(pq.Array(regionIDs)) + "::uuid[])"
	}
	query := fmt.Sprintf(`WITH adopters AS (
		SELECT a.region_id, o.kind, count(DISTINCT a.organisation_id) AS n
		FROM adoption a JOIN organisation o ON o.id = a.organisation_id
		WHERE %[1]s AND %[3]s AND %[4]s GROUP BY a.region_id, o.kind
	), orgs AS (
		SELECT o.region_id, o.kind, count(*) AS n FROM organisation o
		WHERE o.region_id IS NOT NULL AND o.archived_at IS NULL AND %[3]s AND %[4]s
		  AND (o.valid_from IS NULL OR o.valid_from <= %[2]s) AND (o.valid_to IS NULL OR o.valid_to >= %[2]s)
		GROUP BY o.region_id, o.kind
	)
	SELECT coalesce(o.region_id, a.region_id)::text AS region_id, coalesce(o.kind, a.kind) AS kind,
	       coalesce(a.n, 0) AS adopters, coalesce(o.n, 0) AS organisations,
	       (sum(coalesce(a.n, 0)) OVER (PARTITION BY coalesce(o.region_id, a.region_id)))::int AS region_adopters,
	       (sum(coalesce(a.n, 0)) OVER ())::int AS all_adopters
	FROM orgs o FULL JOIN adopters a ON a.region_id = o.region_id AND a.kind = o.kind
	WHERE coalesce(a.n, 0) > 0 OR %[5]t`, lq.whereSQL(), d, kindCond, regionCond, len(kinds) > 0)
	rows := []hin.AdoptionCount{}
	if err := s.selectAll(ctx, s.reads(), &rows, query, lq.args...); err != nil {
		return nil, fmt.Errorf("adoption spread: %w", err)
	}
	return rows, nil
}
