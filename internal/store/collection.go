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

// National collections (internal/hin/collection.go, migration 00010). The
// collection, its metrics, exemptions and periods are catalogue; a region's
// submission is a row of collection_submission once it took a step, and
// before that is read from its figures (NOT_STARTED, or DRAFT once it has
// a draft). Every submission step takes the key locks of the collection's
// metrics in the region first, as every outcome write does, so a figure
// cannot change between the checks of a submission and its new state.

const collectionCols = `c.id, c.code, c.name, c.description, c.cadence, c.deadline_days, c.close_days, c.created_at, c.updated_at, c.version`

const periodCols = `p.id, p.collection_id, p.period_start, p.period_end, p.deadline, p.close_date, p.opened_at, p.opened_by,
	(SELECT cadence FROM collection WHERE id = p.collection_id) AS cadence, current_date AS today`

// Collections lists the collections by code.
func (s *Store) Collections(ctx context.Context) ([]hin.Collection, error) {
	out := []hin.Collection{}
	if err := s.selectAll(ctx, s.reads(), &out, `SELECT `+collectionCols+` FROM collection c ORDER BY c.code`); err != nil {
		return nil, fmt.Errorf("collections: %w", err)
	}
	return out, nil
}

// CollectionsByID loads collections by UUID.
func (s *Store) CollectionsByID(ctx context.Context, ids []string) (map[string]hin.Collection, error) {
	var rows []hin.Collection
	if err := s.byIDs(ctx, &rows, `SELECT `+collectionCols+` FROM collection c WHERE c.id = ANY($1::uuid[])`, ids); err != nil {
		return nil, fmt.Errorf("collections by id: %w", err)
	}
	return byID(rows, func(c hin.Collection) string { return c.ID }), nil
}

// CollectionByCode loads one collection; NOT_FOUND when none has the code.
func (s *Store) CollectionByCode(ctx context.Context, code string) (hin.Collection, error) {
	var out hin.Collection
	err := s.getOne(ctx, s.reads(), &out, `SELECT `+collectionCols+` FROM collection c WHERE c.code = $1`, strings.ToUpper(strings.TrimSpace(code)))
	return out, err
}

// CollectionMetrics lists each collection's metrics in their order.
func (s *Store) CollectionMetrics(ctx context.Context, ids []string) (map[string][]hin.CollectionMetric, error) {
	var rows []hin.CollectionMetric
	const q = `SELECT collection_id, metric_id, position, median_factor, denominator_factor, flag_zero FROM collection_metric
		WHERE collection_id = ANY($1::uuid[]) ORDER BY collection_id, position`
	if err := s.selectAll(ctx, s.reads(), &rows, q, pqArray(ids)); err != nil {
		return nil, fmt.Errorf("collection metrics: %w", err)
	}
	out := map[string][]hin.CollectionMetric{}
	for _, r := range rows {
		out[r.CollectionID] = append(out[r.CollectionID], r)
	}
	return out, nil
}

// CollectionExemptions lists each collection's exempt regions by code.
func (s *Store) CollectionExemptions(ctx context.Context, ids []string) (map[string][]hin.CollectionExemption, error) {
	var rows []hin.CollectionExemption
	const q = `SELECT e.collection_id, e.region_id, e.reason FROM collection_exemption e JOIN region r ON r.id = e.region_id
		WHERE e.collection_id = ANY($1::uuid[]) ORDER BY e.collection_id, r.code`
	if err := s.selectAll(ctx, s.reads(), &rows, q, pqArray(ids)); err != nil {
		return nil, fmt.Errorf("collection exemptions: %w", err)
	}
	out := map[string][]hin.CollectionExemption{}
	for _, r := range rows {
		out[r.CollectionID] = append(out[r.CollectionID], r)
	}
	return out, nil
}

// CollectionPeriods lists each collection's latest periods, newest first,
// at most first each.
func (s *Store) CollectionPeriods(ctx context.Context, ids []string, first int) (map[string][]hin.CollectionPeriod, error) {
	var rows []hin.CollectionPeriod
	q := `SELECT ` + periodCols + ` FROM unnest($1::uuid[]) AS x(id) CROSS JOIN LATERAL (
			SELECT * FROM collection_period WHERE collection_id = x.id ORDER BY period_start DESC LIMIT $2) p
		ORDER BY p.collection_id, p.period_start DESC`
	if err := s.selectAll(ctx, s.reads(), &rows, q, pqArray(ids), first); err != nil {
		return nil, fmt.Errorf("collection periods: %w", err)
	}
	out := map[string][]hin.CollectionPeriod{}
	for _, r := range rows {
		out[r.CollectionID] = append(out[r.CollectionID], r)
	}
	return out, nil
}

// CollectionPeriodsByID loads periods by UUID.
func (s *Store) CollectionPeriodsByID(ctx context.Context, ids []string) (map[string]hin.CollectionPeriod, error) {
	var rows []hin.CollectionPeriod
	if err := s.selectAll(ctx, s.reads(), &rows, `SELECT `+periodCols+` FROM collection_period p WHERE p.id = ANY($1::uuid[])`, pqArray(ids)); err != nil {
		return nil, fmt.Errorf("collection periods by id: %w", err)
	}
	return byID(rows, func(p hin.CollectionPeriod) string { return p.ID }), nil
}

// submissionsFrom reads the submissions of the (period, region) pairs a
// FROM item x(period_id, region_id) names: the stored row when there is
// one, otherwise EXEMPT, DRAFT (a draft of a collected metric overlaps the
// period) or NOT_STARTED.
func submissionsFrom(pairs string) string {
	return `SELECT submission_id(p.id, r.id) AS id, p.id AS period_id, r.id AS region_id, r.code AS region_code, r.name AS region_name,
		CASE WHEN s.id IS NOT NULL THEN s.state
		     WHEN e.region_id IS NOT NULL THEN 'EXEMPT'
		     WHEN EXISTS (SELECT 1 FROM collection_metric cm JOIN outcome o ON o.metric_id = cm.metric_id AND o.region_id = r.id
		          AND o.status = 'DRAFT' AND o.period_start <= p.period_end AND o.period_end >= p.period_start
		          WHERE cm.collection_id = p.collection_id) THEN 'DRAFT'
		     ELSE 'NOT_STARTED' END AS state,
		CASE WHEN s.id IS NULL THEN e.reason END AS exempt_reason,
		s.submitted_by, s.submitted_at, s.approved_by, s.approved_at, s.returned_by, s.returned_at, s.return_comment,
		coalesce(s.restatement, false) AS restatement, s.restatement_reason, s.reopened_by, s.reopened_at, s.updated_at,
		coalesce(s.version, 0) AS version,
		(current_date > p.deadline AND coalesce(s.state IN ('DRAFT', 'RETURNED'), e.region_id IS NULL) AND s.approved_at IS NULL) AS late
	FROM ` + pairs + ` JOIN collection_period p ON p.id = x.period_id JOIN region r ON r.id = x.region_id
	LEFT JOIN collection_submission s ON s.period_id = p.id AND s.region_id = r.id
	LEFT JOIN collection_exemption e ON e.collection_id = p.collection_id AND e.region_id = r.id`
}

// SubmissionsByID loads submissions by UUID, stored or not yet.
func (s *Store) SubmissionsByID(ctx context.Context, ids []string) (map[string]hin.CollectionSubmission, error) {
	return s.submissionsByID(ctx, s.reads(), ids)
}

func (s *Store) submissionsByID(ctx context.Context, q queryer, ids []string) (map[string]hin.CollectionSubmission, error) {
	var rows []hin.CollectionSubmission
	query := submissionsFrom(`(SELECT p.id AS period_id, r.id AS region_id FROM collection_period p CROSS JOIN region r
		WHERE submission_id(p.id, r.id) = ANY($1::uuid[])) x`)
	if err := s.selectAll(ctx, q, &rows, query, pqArray(ids)); err != nil {
		return nil, fmt.Errorf("submissions by id: %w", err)
	}
	who := hin.PrincipalFrom(ctx)
	out := make(map[string]hin.CollectionSubmission, len(rows))
	for _, r := range rows {
		r.HideNames(who)
		out[r.ID] = r
	}
	return out, nil
}

// Trackers answers the tracker of each period in one statement: every
// region's submission, in region code order, and the counts.
func (s *Store) Trackers(ctx context.Context, periodIDs []string) (map[string]hin.CollectionTracker, error) {
	periods, err := s.CollectionPeriodsByID(ctx, periodIDs)
	if err != nil {
		return nil, err
	}
	var rows []hin.CollectionSubmission
	query := submissionsFrom(`(SELECT p.id AS period_id, r.id AS region_id FROM collection_period p CROSS JOIN region r
		WHERE p.id = ANY($1::uuid[])) x`) + ` ORDER BY p.id, r.code`
	if err := s.selectAll(ctx, s.reads(), &rows, query, pqArray(periodIDs)); err != nil {
		return nil, fmt.Errorf("trackers: %w", err)
	}
	who := hin.PrincipalFrom(ctx)
	byPeriod := map[string][]hin.CollectionSubmission{}
	for _, r := range rows {
		r.HideNames(who)
		byPeriod[r.PeriodID] = append(byPeriod[r.PeriodID], r)
	}
	out := make(map[string]hin.CollectionTracker, len(periods))
	for id, p := range periods {
		out[id] = hin.BuildTracker(p, byPeriod[id])
	}
	return out, nil
}

// SubmissionFigure is an outcome of a submission, as figures lists it.
type submissionFigure struct {
	hin.Outcome
	SubmissionID string `db:"submission_id"`
	MetricCode   string `db:"metric_code"`
	Contained    bool   `db:"contained"`
	Position     int    `db:"position"`
}

// figuresSQL reads the figures of submissions: for each key of a collected
// metric in the region and overlapping the period, its current draft, else
// its published value; contained says whether it lies within the period.
const figuresSQL = `SELECT x.id AS submission_id, m.code AS metric_code, cm.position,
		(oc.period_start >= p.period_start AND oc.period_end <= p.period_end) AS contained, ` + outcomeCols + `
	FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS x(id, period_id, region_id)
	JOIN collection_period p ON p.id = x.period_id
	JOIN collection_metric cm ON cm.collection_id = p.collection_id
	JOIN metric m ON m.id = cm.metric_id
	JOIN outcome oc ON oc.metric_id = cm.metric_id AND oc.region_id = x.region_id
		AND oc.period_start <= p.period_end AND oc.period_end >= p.period_start
	WHERE (oc.status = 'DRAFT' OR oc.status = 'PUBLISHED' AND NOT EXISTS (
		SELECT 1 FROM outcome d WHERE d.status = 'DRAFT' AND ` + "%s" + `
			AND d.period_start = oc.period_start AND d.period_end = oc.period_end))
	ORDER BY x.id, cm.position, oc.period_start, oc.id`

func (s *Store) submissionFigures(ctx context.Context, q queryer, subs []hin.CollectionSubmission) ([]submissionFigure, error) {
	ids, periods, regions := make([]string, len(subs)), make([]string, len(subs)), make([]string, len(subs))
	for i, sb := range subs {
		ids[i], periods[i], regions[i] = sb.ID, sb.PeriodID, sb.RegionID
	}
	var rows []submissionFigure
	if err := s.selectAll(ctx, q, &rows, fmt.Sprintf(figuresSQL, keyEquals("d", "oc")), pqArray(ids), pqArray(periods), pqArray(regions)); err != nil {
		return nil, fmt.Errorf("submission figures: %w", err)
	}
	return rows, nil
}

// SubmissionFigures lists each submission's figures (drafts only for
// callers who may see the region's drafts), in the collection's metric
// order.
func (s *Store) SubmissionFigures(ctx context.Context, subs []hin.CollectionSubmission) (map[string][]hin.Outcome, error) {
	rows, err := s.submissionFigures(ctx, s.reads(), subs)
	if err != nil {
		return nil, err
	}
	scope := hin.PrincipalFrom(ctx).DraftScope()
	out := map[string][]hin.Outcome{}
	for _, r := range rows {
		if scope.Sees(r.Status, r.RegionID) {
			out[r.SubmissionID] = append(out[r.SubmissionID], r.Outcome)
		}
	}
	return out, nil
}

// SubmissionNotes lists each submission's notes.
func (s *Store) SubmissionNotes(ctx context.Context, ids []string) (map[string][]hin.SubmissionNote, error) {
	return s.submissionNotes(ctx, s.reads(), ids)
}

func (s *Store) submissionNotes(ctx context.Context, q queryer, ids []string) (map[string][]hin.SubmissionNote, error) {
	var rows []hin.SubmissionNote
	const query = `SELECT submission_id, kind, metric_id, subject, text, written_by, written_at FROM collection_note
		WHERE submission_id = ANY($1::uuid[]) ORDER BY submission_id, kind, subject`
	if err := s.selectAll(ctx, q, &rows, query, pqArray(ids)); err != nil {
		return nil, fmt.Errorf("submission notes: %w", err)
	}
	out := map[string][]hin.SubmissionNote{}
	for _, r := range rows {
		out[r.SubmissionID] = append(out[r.SubmissionID], r)
	}
	return out, nil
}

// checkedMetrics lists each collection's metrics with their codes and kinds.
func (s *Store) checkedMetrics(ctx context.Context, q queryer, collectionIDs []string) (map[string][]hin.CheckedMetric, error) {
	var rows []hin.CheckedMetric
	const query = `SELECT cm.collection_id, cm.metric_id, cm.position, cm.median_factor, cm.denominator_factor, cm.flag_zero,
			m.code, m.kind FROM collection_metric cm JOIN metric m ON m.id = cm.metric_id
		WHERE cm.collection_id = ANY($1::uuid[]) ORDER BY cm.collection_id, cm.position`
	if err := s.selectAll(ctx, q, &rows, query, pqArray(collectionIDs)); err != nil {
		return nil, fmt.Errorf("collection metrics: %w", err)
	}
	out := map[string][]hin.CheckedMetric{}
	for _, r := range rows {
		out[r.CollectionID] = append(out[r.CollectionID], r)
	}
	return out, nil
}

// priorSQL reads, for each figure, the same key's published values in the
// previous periods: its period moved back k periods of its collection's
// cadence, month ends kept (31 March back a month is the end of February).
const priorSQL = `SELECT f.id AS outcome_id, g.k AS periods_back, h.value, h.numerator, h.denominator
	FROM unnest($1::uuid[], $2::int[]) AS x(id, months) JOIN outcome f ON f.id = x.id
	CROSS JOIN generate_series(1, $3::int) AS g(k)
	JOIN outcome h ON h.status = 'PUBLISHED' AND %s
		AND h.period_start = (f.period_start - make_interval(months => g.k * x.months))::date
		AND h.period_end = ((f.period_end + 1) - make_interval(months => g.k * x.months))::date - 1
	ORDER BY f.id, g.k`

// SubmissionChecks applies the collection's rules to each submission's
// figures (hin.CheckSubmission), in five statements however many there are.
func (s *Store) SubmissionChecks(ctx context.Context, subs []hin.CollectionSubmission) (map[string][]hin.SubmissionProblem, error) {
	return s.submissionChecks(ctx, s.reads(), subs, nil)
}

// submissionChecks checks submissions; extra, when set, adds notes not
// stored yet (a submit's own), keyed by submission.
func (s *Store) submissionChecks(ctx context.Context, q queryer, subs []hin.CollectionSubmission, extra map[string][]hin.SubmissionNote) (map[string][]hin.SubmissionProblem, error) {
	out := map[string][]hin.SubmissionProblem{}
	if len(subs) == 0 {
		return out, nil
	}
	periodIDs := make([]string, 0, len(subs))
	subIDs := make([]string, 0, len(subs))
	for _, sb := range subs {
		periodIDs, subIDs = append(periodIDs, sb.PeriodID), append(subIDs, sb.ID)
	}
	var periodRows []hin.CollectionPeriod
	if err := s.selectAll(ctx, q, &periodRows, `SELECT `+periodCols+` FROM collection_period p WHERE p.id = ANY($1::uuid[])`, pqArray(periodIDs)); err != nil {
		return nil, fmt.Errorf("submission checks: %w", err)
	}
	periods := byID(periodRows, func(p hin.CollectionPeriod) string { return p.ID })
	collections := make([]string, 0, len(periods))
	for _, p := range periods {
		collections = append(collections, p.CollectionID)
	}
	metrics, err := s.checkedMetrics(ctx, q, collections)
	if err != nil {
		return nil, err
	}
	figures, err := s.submissionFigures(ctx, q, subs)
	if err != nil {
		return nil, err
	}
	var ids []string
	var months []int
	for _, f := range figures {
		if f.Contained {
			ids, months = append(ids, f.ID), append(months, periods[subOf(subs, f.SubmissionID).PeriodID].Cadence.Months())
		}
	}
	prior := map[string][]hin.PriorValue{}
	if len(ids) > 0 {
		var rows []struct {
			OutcomeID   string   `db:"outcome_id"`
			PeriodsBack int      `db:"periods_back"`
			Value       *float64 `db:"value"`
			Numerator   *float64 `db:"numerator"`
			Denominator *float64 `db:"denominator"`
		}
		if err := s.selectAll(ctx, q, &rows, fmt.Sprintf(priorSQL, keyEquals("h", "f")), pqArray(ids), pqArray(months), hin.HistoryPeriods); err != nil {
			return nil, fmt.Errorf("submission history: %w", err)
		}
		for _, r := range rows {
			prior[r.OutcomeID] = append(prior[r.OutcomeID], hin.PriorValue{PeriodsBack: r.PeriodsBack, Value: r.Value, Numerator: r.Numerator, Denominator: r.Denominator})
		}
	}
	notes, err := s.submissionNotes(ctx, q, subIDs)
	if err != nil {
		return nil, err
	}
	for _, sb := range subs {
		p := periods[sb.PeriodID]
		c := hin.SubmissionCheck{Period: p, Metrics: metrics[p.CollectionID], NotAvailable: map[string]string{}, Explanations: map[string]string{}}
		for _, n := range append(notes[sb.ID], extra[sb.ID]...) {
			if n.Kind == hin.NoteNotAvailable {
				c.NotAvailable[n.MetricID] = n.Text
			} else {
				c.Explanations[n.Subject] = n.Text
			}
		}
		for _, f := range figures {
			if f.SubmissionID != sb.ID {
				continue
			}
			sf := hin.SubmissionFigure{Outcome: f.Outcome, MetricCode: f.MetricCode, Prior: prior[f.ID]}
			if f.Contained {
				c.Figures = append(c.Figures, sf)
			} else if f.Status == hin.OutcomeDraft {
				c.Spanning = append(c.Spanning, sf)
			}
		}
		out[sb.ID] = hin.CheckSubmission(c)
	}
	return out, nil
}

func subOf(subs []hin.CollectionSubmission, id string) hin.CollectionSubmission {
	for _, s := range subs {
		if s.ID == id {
			return s
		}
	}
	return hin.CollectionSubmission{}
}

// ---- writes ----

// CreateCollection defines a collection (national admins).
func (s *Store) CreateCollection(ctx context.Context, in hin.CollectionInput, key *string) (hin.Collection, error) {
	var out hin.Collection
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.CanAdmin("creating a collection"); err != nil {
			return err
		}
		p := in.Validate()
		if err := p.Err(); err != nil {
			return err
		}
		prior, err := w.claimKey(key, "createCollection", in)
		if err != nil || prior != "" {
			if err == nil {
				err = w.get(&out, `SELECT `+collectionCols+` FROM collection c WHERE c.id = $1`, prior)
			}
			return err
		}
		dl, cl := in.Days()
		const q = `INSERT INTO collection AS c (id, code, name, description, cadence, deadline_days, close_days)
			VALUES (gen_random_uuid(), $1, $2, coalesce($3, ''), $4, $5, $6) RETURNING ` + collectionCols
		if err := w.get(&out, q, in.Code, in.Name, in.Description, string(in.Cadence), dl, cl); err != nil {
			if hin.ErrorCode(err) == hin.ECONFLICT {
				return &hin.Error{Code: hin.ECONFLICT, Field: "code", Message: fmt.Sprintf("a collection with the code %q already exists", in.Code)}
			}
			return err
		}
		if err := w.setCollectionParts(out.ID, in); err != nil {
			return err
		}
		if err := w.audit("CREATE", hin.KindCollection, &out.ID, nil, nil, in); err != nil {
			return err
		}
		return w.keyResult(key, out.ID)
	})
	return out, err
}

// UpdateCollection redefines a collection: its name, days, metrics and
// exemptions (its code and cadence never change). Periods already opened
// keep their dates; the new metrics and exemptions apply to them too.
func (s *Store) UpdateCollection(ctx context.Context, id string, version int, in hin.CollectionInput) (hin.Collection, error) {
	var out hin.Collection
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.CanAdmin("updating a collection"); err != nil {
			return err
		}
		uuid, err := uuidOf(hin.KindCollection, "id", id)
		if err != nil {
			return err
		}
		var before hin.Collection
		if err := w.lock(&before, `SELECT `+collectionCols+` FROM collection c WHERE c.id = $1 FOR UPDATE`, hin.KindCollection, uuid); err != nil {
			return err
		}
		if err := checkVersion("collection", before.Version, version); err != nil {
			return err
		}
		p := in.Validate()
		if in.Code != before.Code {
			p.Add("code", "a collection's code never changes (it is %q)", before.Code)
		}
		if in.Cadence != before.Cadence {
			p.Add("cadence", "a collection's cadence never changes (it is %s)", before.Cadence)
		}
		if err := p.Err(); err != nil {
			return err
		}
		dl, cl := in.Days()
		const q = `UPDATE collection AS c SET name = $2, description = coalesce($3, ''), deadline_days = $4, close_days = $5,
			updated_at = now(), version = version + 1 WHERE c.id = $1 RETURNING ` + collectionCols
		if err := w.get(&out, q, uuid, in.Name, in.Description, dl, cl); err != nil {
			return err
		}
		if err := w.exec(`DELETE FROM collection_metric WHERE collection_id = $1`, uuid); err != nil {
			return err
		}
		if err := w.exec(`DELETE FROM collection_exemption WHERE collection_id = $1`, uuid); err != nil {
			return err
		}
		if err := w.setCollectionParts(uuid, in); err != nil {
			return err
		}
		return w.audit("UPDATE", hin.KindCollection, &uuid, nil, before, in)
	})
	return out, err
}

// setCollectionParts writes a collection's metrics and exemptions.
func (w *writer) setCollectionParts(id string, in hin.CollectionInput) error {
	var p hin.Problems
	codes := make([]string, len(in.Metrics))
	for i, m := range in.Metrics {
		codes[i] = strings.ToLower(strings.TrimSpace(m.MetricCode))
	}
	var ms []hin.Metric
	if err := w.all(&ms, `SELECT `+metricCols+` FROM metric m WHERE m.code = ANY($1)`, pqArray(codes)); err != nil {
		return err
	}
	byCode := byID(ms, func(m hin.Metric) string { return m.Code })
	metricIDs, positions := make([]string, 0, len(codes)), make([]int, 0, len(codes))
	medians, dens := make([]sql.NullFloat64, 0, len(codes)), make([]sql.NullFloat64, 0, len(codes))
	zeros := make([]bool, 0, len(codes))
	for i, m := range in.Metrics {
		metric, ok := byCode[codes[i]]
		if !ok {
			p.Add(fmt.Sprintf("metrics[%d].metricCode", i), "no metric has the code %s; the metrics query lists the catalogue", hin.Quote(m.MetricCode))
			continue
		}
		med, den, zero := m.Rules(metric.Kind)
		if m.DenominatorFactor != nil && metric.Kind != hin.MetricRate {
			p.Add(fmt.Sprintf("metrics[%d].denominatorFactor", i), "%s is a %s metric: only rates have a denominator", metric.Code, metric.Kind)
		}
		metricIDs, positions = append(metricIDs, metric.ID), append(positions, i+1)
		medians, dens, zeros = append(medians, nullFloat(med)), append(dens, nullFloat(den)), append(zeros, zero)
	}
	regionCodes := make([]string, len(in.Exemptions))
	reasons := make([]string, len(in.Exemptions))
	for i, e := range in.Exemptions {
		regionCodes[i], reasons[i] = strings.ToUpper(strings.TrimSpace(e.RegionCode)), strings.TrimSpace(e.Reason)
	}
	var regions []hin.Region
	if err := w.all(&regions, `SELECT id, code, name, former_name, summary, version FROM region WHERE code = ANY($1)`, pqArray(regionCodes)); err != nil {
		return err
	}
	regionByCode := byID(regions, func(r hin.Region) string { return r.Code })
	regionIDs := make([]string, 0, len(regionCodes))
	for i, code := range regionCodes {
		r, ok := regionByCode[code]
		if !ok {
			p.Add(fmt.Sprintf("exemptions[%d].regionCode", i), "no region has the code %s", hin.Quote(in.Exemptions[i].RegionCode))
			continue
		}
		regionIDs = append(regionIDs, r.ID)
	}
	if err := p.Err(); err != nil {
		return err
	}
	if err := w.exec(`INSERT INTO collection_metric (collection_id, metric_id, position, median_factor, denominator_factor, flag_zero)
		SELECT $1, m, pos, med, den, z FROM unnest($2::uuid[], $3::int[], $4::float8[], $5::float8[], $6::bool[]) AS x(m, pos, med, den, z)`,
		id, pqArray(metricIDs), pqArray(positions), pqArray(medians), pqArray(dens), pqArray(zeros)); err != nil {
		return err
	}
	return w.exec(`INSERT INTO collection_exemption (collection_id, region_id, reason) SELECT $1, r, why FROM unnest($2::uuid[], $3::text[]) AS x(r, why)`,
		id, pqArray(regionIDs), pqArray(reasons))
}

// OpenCollectionPeriod opens a period of a collection for every region
// not exempt (national admins). Deadline and close date default to the
// collection's days after the period's end.
func (s *Store) OpenCollectionPeriod(ctx context.Context, collectionID string, start time.Time, deadline, closeDate *time.Time) (hin.CollectionPeriod, error) {
	var out hin.CollectionPeriod
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.CanAdmin("opening a collection period"); err != nil {
			return err
		}
		uuid, err := uuidOf(hin.KindCollection, "collectionId", collectionID)
		if err != nil {
			return err
		}
		var c hin.Collection
		if err := w.lock(&c, `SELECT `+collectionCols+` FROM collection c WHERE c.id = $1 FOR SHARE`, hin.KindCollection, uuid); err != nil {
			return err
		}
		end, due, closes, err := hin.OpenPeriod(c, start, deadline, closeDate)
		if err != nil {
			return err
		}
		var id string
		err = w.get(&id, `INSERT INTO collection_period (id, collection_id, period_start, period_end, deadline, close_date, opened_by)
			VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6) RETURNING id`, uuid, start, end, due, closes, w.who.Subject)
		if hin.ErrorCode(err) == hin.ECONFLICT {
			return &hin.Error{Code: hin.ECONFLICT, Field: "periodStart", Message: fmt.Sprintf("the period starting %s of %s is already open", start.Format(time.DateOnly), c.Code)}
		}
		if err != nil {
			return err
		}
		if err := w.get(&out, `SELECT `+periodCols+` FROM collection_period p WHERE p.id = $1`, id); err != nil {
			return err
		}
		return w.audit("OPEN_PERIOD", hin.KindCollectionPeriod, &id, nil, nil, out)
	})
	return out, err
}

// submissionStep is a submission locked for a step: its metrics' key locks
// taken, its state read after them.
type submissionStep struct {
	sub     hin.CollectionSubmission
	period  hin.CollectionPeriod
	metrics []hin.CheckedMetric
	at      time.Time
}

// lockSubmission resolves a submission by ID and takes the key locks of its
// collection's metrics in its region, then reads it again: every figure
// write takes the same locks first, so the submission's figures cannot
// change until the step commits.
func (w *writer) lockSubmission(id, doing string) (*submissionStep, error) {
	if err := w.who.MayWrite(doing); err != nil {
		return nil, err
	}
	uuid, err := uuidOf(hin.KindCollectionSubmission, "id", id)
	if err != nil {
		return nil, err
	}
	subs, err := w.s.submissionsByID(w.ctx, w.tx, []string{uuid})
	if err != nil {
		return nil, err
	}
	sub, ok := subs[uuid]
	if !ok {
		return nil, notFound(hin.KindCollectionSubmission, uuid)
	}
	if err := w.who.CanWriteRegion(&sub.RegionID, doing); err != nil {
		return nil, err
	}
	st := &submissionStep{}
	if err := w.get(&st.period, `SELECT `+periodCols+` FROM collection_period p WHERE p.id = $1`, sub.PeriodID); err != nil {
		return nil, err
	}
	ms, err := w.s.checkedMetrics(w.ctx, w.tx, []string{st.period.CollectionID})
	if err != nil {
		return nil, err
	}
	st.metrics = ms[st.period.CollectionID]
	metrics, regions := make([]string, len(st.metrics)), make([]string, len(st.metrics))
	for i, m := range st.metrics {
		metrics[i], regions[i] = m.MetricID, sub.RegionID
	}
	if st.at, err = w.lockKeys(metrics, regions); err != nil {
		return nil, err
	}
	if err := w.exec(`SELECT 1 FROM collection_submission WHERE id = $1 FOR UPDATE`, uuid); err != nil {
		return nil, err
	}
	if subs, err = w.s.submissionsByID(w.ctx, w.tx, []string{uuid}); err != nil {
		return nil, err
	}
	st.sub = subs[uuid]
	return st, nil
}

func (st *submissionStep) facts() hin.SubmissionFacts {
	f := hin.SubmissionFacts{State: st.sub.State, RegionID: st.sub.RegionID, Restatement: st.sub.Restatement, Closed: st.period.Closed()}
	if st.sub.SubmittedBy != nil {
		f.SubmittedBy = *st.sub.SubmittedBy
	}
	return f
}

// stored makes sure the submission has its row (a DRAFT when new).
func (w *writer) storeSubmission(st *submissionStep) error {
	return w.exec(`INSERT INTO collection_submission (id, period_id, region_id, state) VALUES ($1, $2, $3, 'DRAFT')
		ON CONFLICT (id) DO NOTHING`, st.sub.ID, st.sub.PeriodID, st.sub.RegionID)
}

// reread returns the submission as it is now.
func (w *writer) rereadSubmission(id string) (hin.CollectionSubmission, error) {
	subs, err := w.s.submissionsByID(w.ctx, w.tx, []string{id})
	return subs[id], err
}

// notesOf turns a step's notes into rows, reporting unknown metrics and
// explanations of warnings that are not there.
func (st *submissionStep) notesOf(n hin.SubmissionNotes, who string, at time.Time) ([]hin.SubmissionNote, hin.Problems) {
	p := n.Validate()
	byCode := map[string]hin.CheckedMetric{}
	for _, m := range st.metrics {
		byCode[m.Code] = m
	}
	var out []hin.SubmissionNote
	for i, na := range n.NotAvailable {
		m, ok := byCode[strings.ToLower(strings.TrimSpace(na.MetricCode))]
		if !ok {
			p.Add(fmt.Sprintf("notAvailable[%d].metricCode", i), "%s is not a metric of this collection", hin.Quote(na.MetricCode))
			continue
		}
		out = append(out, hin.SubmissionNote{SubmissionID: st.sub.ID, Kind: hin.NoteNotAvailable, MetricID: m.MetricID, Subject: m.Code,
			Text: strings.TrimSpace(na.Reason), WrittenBy: who, WrittenAt: at})
	}
	for _, e := range n.Explanations {
		out = append(out, hin.SubmissionNote{SubmissionID: st.sub.ID, Kind: hin.NoteExplanation, Subject: strings.TrimSpace(e.Key),
			Text: strings.TrimSpace(e.Explanation), WrittenBy: who, WrittenAt: at})
	}
	return out, p
}

// saveNotes writes notes: not-available marks replace the earlier ones
// when replaceNA; explanations are kept or replaced one by one. Each
// explanation must name a current warning.
func (w *writer) saveNotes(st *submissionStep, notes []hin.SubmissionNote, replaceNA bool, problems []hin.SubmissionProblem) error {
	warnings := map[string]string{}
	for _, pr := range problems {
		if pr.Severity == hin.SeverityWarning {
			warnings[pr.Key] = pr.MetricID
		}
	}
	var p hin.Problems
	for i := range notes {
		if notes[i].Kind != hin.NoteExplanation {
			continue
		}
		m, ok := warnings[notes[i].Subject]
		if !ok {
			p.Add("explanations", "no current warning has the key %s; read the submission's problems for the keys", hin.Quote(notes[i].Subject))
			continue
		}
		notes[i].MetricID = m
	}
	if err := p.Err(); err != nil {
		return err
	}
	if err := w.storeSubmission(st); err != nil {
		return err
	}
	if replaceNA {
		if err := w.exec(`DELETE FROM collection_note WHERE submission_id = $1 AND kind = 'NOT_AVAILABLE'`, st.sub.ID); err != nil {
			return err
		}
	}
	if len(notes) == 0 {
		return nil
	}
	kinds, metrics, subjects, texts := make([]string, len(notes)), make([]string, len(notes)), make([]string, len(notes)), make([]string, len(notes))
	for i, n := range notes {
		kinds[i], metrics[i], subjects[i], texts[i] = n.Kind, n.MetricID, n.Subject, n.Text
	}
	return w.exec(`INSERT INTO collection_note (submission_id, region_id, kind, metric_id, subject, text, written_by, written_at)
		SELECT $1, $2, k, m, sub, t, $7, $8 FROM unnest($3::text[], $4::uuid[], $5::text[], $6::text[]) AS x(k, m, sub, t)
		ON CONFLICT (submission_id, kind, subject) DO UPDATE SET text = excluded.text, metric_id = excluded.metric_id,
			written_by = excluded.written_by, written_at = excluded.written_at`,
		st.sub.ID, st.sub.RegionID, pqArray(kinds), pqArray(metrics), pqArray(subjects), pqArray(texts), w.who.Subject, st.at)
}

// SubmissionResult is a submission after a step, with the problems its
// figures have now.
type SubmissionResult struct {
	Submission hin.CollectionSubmission
	Problems   []hin.SubmissionProblem
}

// noteStep records notes on an open submission and returns it locked.
func (w *writer) noteStep(id string, n hin.SubmissionNotes, replaceNA bool) (*submissionStep, error) {
	st, err := w.lockSubmission(id, "noting a submission")
	if err != nil {
		return nil, err
	}
	if !st.sub.State.Open() {
		return nil, &hin.Error{Code: hin.ETRANSITION, Field: "id", Details: map[string]any{"state": string(st.sub.State)},
			Message: fmt.Sprintf("the submission is %s: notes go with figures that can still change", st.sub.State)}
	}
	notes, p := st.notesOf(n, w.who.Subject, st.at)
	if err := p.Err(); err != nil {
		return nil, err
	}
	checks, err := w.s.submissionChecks(w.ctx, w.tx, []hin.CollectionSubmission{st.sub}, map[string][]hin.SubmissionNote{st.sub.ID: notes})
	if err != nil {
		return nil, err
	}
	if err := w.saveNotes(st, notes, replaceNA, checks[st.sub.ID]); err != nil {
		return nil, err
	}
	return st, w.audit("NOTE_SUBMISSION", hin.KindCollectionSubmission, &st.sub.ID, &st.sub.RegionID, nil, n)
}

// NoteSubmission records what a region says with its figures without
// submitting them: metrics not available (replacing the earlier marks when
// replaceNA) and explanations of warnings.
func (s *Store) NoteSubmission(ctx context.Context, id string, n hin.SubmissionNotes, replaceNA bool) (SubmissionResult, error) {
	var out SubmissionResult
	err := s.write(ctx, func(w *writer) error {
		st, err := w.noteStep(id, n, replaceNA)
		if err != nil {
			return err
		}
		out, err = w.resultOf(st.sub.ID)
		return err
	})
	return out, err
}

// resultOf reads a submission and its problems as they stand in the write.
func (w *writer) resultOf(id string) (SubmissionResult, error) {
	sub, err := w.rereadSubmission(id)
	if err != nil {
		return SubmissionResult{}, err
	}
	checks, err := w.s.submissionChecks(w.ctx, w.tx, []hin.CollectionSubmission{sub}, nil)
	return SubmissionResult{Submission: sub, Problems: checks[id]}, err
}

// UploadResult is what an upload to a submission did.
type UploadResult struct {
	ReturnResult
	SubmissionResult
}

// UploadSubmission records an upload (a proforma or a CSV file) as the
// submission's draft figures, with the rules of submitReturn, and, when
// notAvailable is not nil, its not-available marks in place of the earlier
// ones, all in one transaction. The rows must be the collection's metrics
// within the period (hin.CollectionPeriod.FitReturn).
func (s *Store) UploadSubmission(ctx context.Context, id string, in hin.ReturnInput, notAvailable []hin.NotAvailableInput, key *string) (UploadResult, error) {
	var out UploadResult
	if err := hin.PrincipalFrom(ctx).MayWrite("uploading a submission"); err != nil {
		return out, err
	}
	uuid, err := uuidOf(hin.KindCollectionSubmission, "id", id)
	if err != nil {
		return out, err
	}
	subs, err := s.SubmissionsByID(ctx, []string{uuid})
	if err != nil {
		return out, err
	}
	sub, ok := subs[uuid]
	if !ok {
		return out, notFound(hin.KindCollectionSubmission, uuid)
	}
	if in.RegionCode == "" {
		in.RegionCode = sub.RegionCode
	}
	if !strings.EqualFold(in.RegionCode, sub.RegionCode) {
		return out, hin.Invalid("region", "the upload is for %s, the submission is %s's", hin.Quote(in.RegionCode), sub.RegionCode)
	}
	periods, err := s.CollectionPeriodsByID(ctx, []string{sub.PeriodID})
	if err != nil {
		return out, err
	}
	p := periods[sub.PeriodID]
	ms, err := s.checkedMetrics(ctx, s.reads(), []string{p.CollectionID})
	if err != nil {
		return out, err
	}
	codes := map[string]bool{}
	for _, m := range ms[p.CollectionID] {
		codes[m.Code] = true
	}
	if err := p.FitReturn(&in, codes); err != nil {
		return out, err
	}
	notes := func(w *writer) error {
		if notAvailable == nil {
			return nil
		}
		if len(notAvailable) == 0 {
			// a sheet with no mark: earlier marks go, and with none there is no step to record
			res, err := w.s.exec(w.ctx, w.tx, `DELETE FROM collection_note WHERE submission_id = $1 AND kind = 'NOT_AVAILABLE'`, uuid)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
		}
		_, err := w.noteStep(id, hin.SubmissionNotes{NotAvailable: notAvailable}, true)
		return err
	}
	result := func(w *writer) error {
		var err error
		out.SubmissionResult, err = w.resultOf(uuid)
		return err
	}
	if len(in.Rows) > 0 {
		out.ReturnResult, err = s.submitReturn(ctx, in, key, hin.MaxCSVReturnRows, notes, result)
	} else {
		err = s.write(ctx, func(w *writer) error {
			if err := notes(w); err != nil {
				return err
			}
			return result(w)
		})
	}
	if err == nil && out.Submission.ID == "" {
		// a retry with the same idempotency key: the first upload's return, the submission as it is now
		subs, err := s.SubmissionsByID(ctx, []string{uuid})
		if err != nil {
			return out, err
		}
		out.Submission = subs[uuid]
		checks, err := s.SubmissionChecks(ctx, []hin.CollectionSubmission{out.Submission})
		out.Problems = checks[uuid]
		return out, err
	}
	return out, err
}

// SubmissionSheet reads what a region's proforma for a period shows; drafts
// and not-available marks only for callers who may see the region's drafts.
func (s *Store) SubmissionSheet(ctx context.Context, id string) (hin.SubmissionSheet, error) {
	var out hin.SubmissionSheet
	uuid, err := uuidOf(hin.KindCollectionSubmission, "id", id)
	if err != nil {
		return out, err
	}
	subs, err := s.SubmissionsByID(ctx, []string{uuid})
	if err != nil {
		return out, err
	}
	sub, ok := subs[uuid]
	if !ok {
		return out, notFound(hin.KindCollectionSubmission, uuid)
	}
	q := s.reads()
	if err := s.getOne(ctx, q, &out.Period, `SELECT `+periodCols+` FROM collection_period p WHERE p.id = $1`, sub.PeriodID); err != nil {
		return out, err
	}
	if err := s.getOne(ctx, q, &out.Collection, `SELECT `+collectionCols+` FROM collection c WHERE c.id = $1`, out.Period.CollectionID); err != nil {
		return out, err
	}
	if err := s.getOne(ctx, q, &out.Region, `SELECT id, code, name, former_name, summary, version FROM region WHERE id = $1`, sub.RegionID); err != nil {
		return out, err
	}
	var metrics []hin.Metric
	if err := s.selectAll(ctx, q, &metrics, `SELECT `+metricCols+` FROM collection_metric cm JOIN metric m ON m.id = cm.metric_id
		WHERE cm.collection_id = $1 ORDER BY cm.position`, out.Collection.ID); err != nil {
		return out, err
	}
	drafts := hin.PrincipalFrom(ctx).DraftScope().Sees(hin.OutcomeDraft, sub.RegionID)
	prevStart := out.Period.PeriodStart.AddDate(0, -out.Period.Cadence.Months(), 0)
	// region-level figures of the period (a draft before a published value) and of the period before
	var figures []hin.Outcome
	if err := s.selectAll(ctx, q, &figures, `SELECT `+outcomeCols+` FROM collection_metric cm JOIN outcome oc ON oc.metric_id = cm.metric_id
		WHERE cm.collection_id = $1 AND oc.region_id = $2 AND oc.innovation_id IS NULL AND oc.pilot_id IS NULL AND oc.programme_id IS NULL
		AND (oc.period_start, oc.period_end) IN (($3::date, $4::date), ($5::date, $6::date))
		AND (oc.status = 'PUBLISHED' OR oc.status = 'DRAFT' AND $7 AND oc.period_start = $3::date)
		ORDER BY oc.status DESC`, out.Collection.ID, sub.RegionID, out.Period.PeriodStart, out.Period.PeriodEnd,
		prevStart, out.Period.PeriodStart.AddDate(0, 0, -1), drafts); err != nil {
		return out, err
	}
	notes := map[string][]hin.SubmissionNote{}
	if drafts {
		if notes, err = s.submissionNotes(ctx, q, []string{uuid}); err != nil {
			return out, err
		}
	}
	for _, m := range metrics {
		row := hin.SheetRow{Metric: m}
		for i := range figures {
			f := &figures[i]
			switch {
			case f.MetricID != m.ID:
			case f.PeriodStart.Equal(out.Period.PeriodStart) && (row.Current == nil || f.Status == hin.OutcomeDraft):
				row.Current = f
			case f.PeriodStart.Equal(prevStart):
				row.Previous = f
			}
		}
		for _, n := range notes[uuid] {
			if n.Kind == hin.NoteNotAvailable && n.MetricID == m.ID {
				t := n.Text
				row.NotAvailable = &t
			}
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// SubmitForApproval submits a region's figures for a period: every check
// must pass (no error, every warning explained), with the notes given here
// counted. The figures are then frozen until an approver acts.
func (s *Store) SubmitForApproval(ctx context.Context, id string, n hin.SubmissionNotes, replaceNA bool) (SubmissionResult, error) {
	var out SubmissionResult
	err := s.write(ctx, func(w *writer) error {
		st, err := w.lockSubmission(id, "submitting for approval")
		if err != nil {
			return err
		}
		if _, err := hin.Transition(st.facts(), hin.ActionSubmit, w.who); err != nil {
			return err
		}
		notes, p := st.notesOf(n, w.who.Subject, st.at)
		if err := p.Err(); err != nil {
			return err
		}
		checks, err := w.s.submissionChecks(w.ctx, w.tx, []hin.CollectionSubmission{st.sub}, map[string][]hin.SubmissionNote{st.sub.ID: notes})
		if err != nil {
			return err
		}
		if err := w.saveNotes(st, notes, replaceNA, checks[st.sub.ID]); err != nil {
			return err
		}
		// the stored notes and this step's, as the submission will stand
		if checks, err = w.s.submissionChecks(w.ctx, w.tx, []hin.CollectionSubmission{st.sub}, nil); err != nil {
			return err
		}
		if err := blocking(checks[st.sub.ID]); err != nil {
			return err
		}
		before := st.sub
		if err := w.exec(`UPDATE collection_submission SET state = 'SUBMITTED', submitted_by = $2, submitted_role = $3, submitted_at = $4,
			updated_at = $4, version = version + 1 WHERE id = $1`, st.sub.ID, w.who.Subject, string(w.who.Role), st.at); err != nil {
			return err
		}
		if out.Submission, err = w.rereadSubmission(st.sub.ID); err != nil {
			return err
		}
		out.Problems = checks[st.sub.ID]
		figures, err := w.s.submissionFigures(w.ctx, w.tx, []hin.CollectionSubmission{st.sub})
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(figures))
		for _, f := range figures {
			ids = append(ids, f.ID)
		}
		return w.audit("SUBMIT_FOR_APPROVAL", hin.KindCollectionSubmission, &st.sub.ID, &st.sub.RegionID, before,
			map[string]any{"submission": out.Submission, "outcomeIds": ids, "notes": n, "explainedWarnings": explained(out.Problems)})
	})
	return out, err
}

// blocking refuses a submission with an error or an unexplained warning,
// listing every problem.
func blocking(ps []hin.SubmissionProblem) error {
	var p hin.Problems
	nErr, nWarn := 0, 0
	for _, pr := range ps {
		if !pr.Blocking() {
			continue
		}
		if pr.Severity == hin.SeverityError {
			nErr++
		} else {
			nWarn++
		}
		field := "figures"
		if pr.Severity == hin.SeverityWarning {
			field = "explanations"
		}
		p = append(p, hin.Problem{Field: field, Code: string(pr.Rule), Message: pr.Message, OutcomeID: globalOutcome(pr.OutcomeID)})
	}
	if len(p) == 0 {
		return nil
	}
	return &hin.Error{Code: hin.ESUBMISSIONPROBLEMS, Field: p[0].Field, Problems: p, Details: map[string]any{"submissionProblems": ps},
		Message: fmt.Sprintf("the submission has %d error(s) and %d unexplained warning(s); the first: %s", nErr, nWarn, p[0].Message)}
}

func globalOutcome(id *string) string {
	if id == nil {
		return ""
	}
	return hin.GlobalID(hin.KindOutcome, *id)
}

func explained(ps []hin.SubmissionProblem) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		if p.Explanation != nil {
			out[p.Key] = *p.Explanation
		}
	}
	return out
}

// ApproveSubmission publishes a submitted submission's figures (four
// eyes: never by its submitter), restating earlier approved values with
// the restatement's reason.
func (s *Store) ApproveSubmission(ctx context.Context, id string, version int) (hin.CollectionSubmission, error) {
	var out hin.CollectionSubmission
	err := s.write(ctx, func(w *writer) error {
		st, err := w.lockSubmission(id, "approving a submission")
		if err != nil {
			return err
		}
		if _, err := hin.Transition(st.facts(), hin.ActionApprove, w.who); err != nil {
			return err
		}
		if err := checkVersion("submission", st.sub.Version, version); err != nil {
			return err
		}
		var drafts []hin.Outcome
		if err := w.all(&drafts, `SELECT `+outcomeCols+` FROM outcome oc JOIN collection_metric cm ON cm.metric_id = oc.metric_id
			WHERE cm.collection_id = $1 AND oc.region_id = $2 AND oc.status = 'DRAFT'
			AND oc.period_start >= $3 AND oc.period_end <= $4 ORDER BY oc.id FOR UPDATE OF oc`,
			st.period.CollectionID, st.sub.RegionID, st.period.PeriodStart, st.period.PeriodEnd); err != nil {
			return err
		}
		reason := fmt.Sprintf("approved in collection period %s", st.period.Label())
		if st.sub.RestatementReason != nil {
			reason = *st.sub.RestatementReason
		}
		// the one way a collected figure is published: marked for the guard
		if err := w.exec(`SELECT set_config('hin.collection_approving', $1, true)`, st.sub.ID); err != nil {
			return err
		}
		published, err := w.publishDrafts(drafts, &reason)
		if err != nil {
			return err
		}
		if err := w.exec(`SELECT set_config('hin.collection_approving', '', true)`); err != nil {
			return err
		}
		if err := w.exec(`UPDATE collection_submission SET state = 'APPROVED', approved_by = $2, approved_at = $3, updated_at = $3,
			version = version + 1 WHERE id = $1`, st.sub.ID, w.who.Subject, st.at); err != nil {
			return err
		}
		if out, err = w.rereadSubmission(st.sub.ID); err != nil {
			return err
		}
		ids := make([]string, 0, len(published))
		for _, d := range drafts {
			ids = append(ids, published[d.ID])
		}
		sort.Strings(ids)
		return w.audit("APPROVE_SUBMISSION", hin.KindCollectionSubmission, &st.sub.ID, &st.sub.RegionID, st.sub,
			map[string]any{"submission": out, "published": len(ids), "outcomeIds": ids, "reason": reason})
	})
	return out, err
}

// ReturnSubmission sends a submitted submission back to its region with a
// comment (four eyes, as approval).
func (s *Store) ReturnSubmission(ctx context.Context, id string, version int, comment string) (hin.CollectionSubmission, error) {
	var out hin.CollectionSubmission
	err := s.write(ctx, func(w *writer) error {
		st, err := w.lockSubmission(id, "returning a submission")
		if err != nil {
			return err
		}
		if _, err := hin.Transition(st.facts(), hin.ActionReturn, w.who); err != nil {
			return err
		}
		if err := checkVersion("submission", st.sub.Version, version); err != nil {
			return err
		}
		comment = strings.TrimSpace(comment)
		if n := len([]rune(comment)); n < 3 || n > 2000 {
			return hin.Invalid("comment", "say what the region should change, in 3 to 2000 characters")
		}
		if err := w.exec(`UPDATE collection_submission SET state = 'RETURNED', returned_by = $2, returned_at = $3, return_comment = $4,
			updated_at = $3, version = version + 1 WHERE id = $1`, st.sub.ID, w.who.Subject, st.at, comment); err != nil {
			return err
		}
		if out, err = w.rereadSubmission(st.sub.ID); err != nil {
			return err
		}
		return w.audit("RETURN_SUBMISSION", hin.KindCollectionSubmission, &st.sub.ID, &st.sub.RegionID, st.sub, out)
	})
	return out, err
}

// ReopenSubmission reopens approved figures as a restatement, with a
// reason: they stay published and counted until the restatement is
// approved, which replaces them (their earlier values kept in history).
func (s *Store) ReopenSubmission(ctx context.Context, id string, version int, reason string) (hin.CollectionSubmission, error) {
	var out hin.CollectionSubmission
	err := s.write(ctx, func(w *writer) error {
		st, err := w.lockSubmission(id, "reopening a submission")
		if err != nil {
			return err
		}
		if _, err := hin.Transition(st.facts(), hin.ActionReopen, w.who); err != nil {
			return err
		}
		if err := checkVersion("submission", st.sub.Version, version); err != nil {
			return err
		}
		reason = strings.TrimSpace(reason)
		if n := len([]rune(reason)); n < 3 || n > 1000 {
			return hin.Invalid("reason", "say why the approved figures are restated, in 3 to 1000 characters")
		}
		if err := w.exec(`UPDATE collection_submission SET state = 'DRAFT', restatement = true, restatement_reason = $2,
			reopened_by = $3, reopened_at = $4, updated_at = $4, version = version + 1 WHERE id = $1`,
			st.sub.ID, reason, w.who.Subject, st.at); err != nil {
			return err
		}
		// explanations were for the approved figures; the restated ones are checked afresh
		if err := w.exec(`DELETE FROM collection_note WHERE submission_id = $1 AND kind = 'EXPLANATION'`, st.sub.ID); err != nil {
			return err
		}
		if out, err = w.rereadSubmission(st.sub.ID); err != nil {
			return err
		}
		return w.audit("REOPEN_SUBMISSION", hin.KindCollectionSubmission, &st.sub.ID, &st.sub.RegionID, st.sub, out)
	})
	return out, err
}
