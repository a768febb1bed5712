package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Scale what works: every number of the duplicated pilots, conversion and
// spread target reports comes from one statement here, whatever the size
// of the data. Each statement is a constant; filters left out are passed as
// NULL and switch their condition off.

// scaleArgs are the filter parameters $1..$5 every scale statement takes:
// region codes, programme, innovation and region UUIDs, and a clinical area
// ILIKE pattern.
type scaleArgs struct {
	regionCodes, programmes, innovations, scope any
	area                                        *string
}

func newScaleArgs(f hin.ScaleFilter, scope []string) (scaleArgs, error) {
	a := scaleArgs{regionCodes: pq.Array(nilIfEmpty(f.RegionCodes)), scope: pq.Array(scope)}
	progs, err := hin.ParseIDsOf(hin.KindProgramme, "filter.programmeIds", f.ProgrammeIDs)
	if err != nil {
		return a, err
	}
	inns, err := hin.ParseIDsOf(hin.KindInnovation, "filter.innovationIds", f.InnovationIDs)
	if err != nil {
		return a, err
	}
	a.programmes, a.innovations = pq.Array(nilIfEmpty(progs)), pq.Array(nilIfEmpty(inns))
	if f.ClinicalArea != nil && *f.ClinicalArea != "" {
		if len([]rune(*f.ClinicalArea)) > maxSearchText {
			return a, hin.Invalid("filter.clinicalArea", "search text may be at most %d characters", maxSearchText)
		}
		pattern := "%" + escapeLike(*f.ClinicalArea) + "%"
		a.area = &pattern
	}
	return a, nil
}

func (a scaleArgs) list() []any {
	return []any{a.regionCodes, a.programmes, a.innovations, a.scope, a.area}
}

func nilIfEmpty(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	return xs
}

// scalePilots is the pilots the filter $1..$5 keeps: current pilots of
// current innovations, in the regions named ($1, by code) and scoped ($4),
// of the programmes ($2) and innovations ($3) named, whose innovation's
// clinical area matches ($5).
const scalePilots = `SELECT pl.id, pl.innovation_id, pl.site_id, pl.region_id, pl.status, pl.start_date, pl.end_date,
		pl.evaluation_summary, pl.evaluation_result, pl.version, pl.archived_at, i.name AS innovation_name, i.clinical_area
	FROM pilot pl JOIN innovation i ON i.id = pl.innovation_id
	WHERE pl.archived_at IS NULL AND i.archived_at IS NULL
	  AND ($1::text[] IS NULL OR pl.region_id IN (SELECT id FROM region WHERE code = ANY($1::text[])))
	  AND ($2::uuid[] IS NULL OR pl.innovation_id IN (SELECT innovation_id FROM innovation_programme WHERE programme_id = ANY($2::uuid[])))
	  AND ($3::uuid[] IS NULL OR pl.innovation_id = ANY($3::uuid[]))
	  AND ($5::text IS NULL OR i.clinical_area ILIKE $5::text)`

// DuplicatedPilots finds the pilots that make up duplications: pilots in
// the window with no adoption of their innovation on or after their start
// (anywhere), overlapping in dates such a pilot in another region of the
// same innovation or, for the clinical area view, of another innovation
// with the same clinical area. Rows come ordered by start date, region
// code and ID. A scope ($4) keeps the duplications involving its regions,
// with their pilots in other regions.
func (s *Store) DuplicatedPilots(ctx context.Context, q hin.DuplicationQuery) ([]hin.DuplicatedPilot, error) {
	const query = `WITH p AS (` + scalePilots + `
		  AND ($6::date IS NULL OR coalesce(pl.end_date, 'infinity'::date) >= $6::date)
		  AND ($7::date IS NULL OR pl.start_date <= $7::date)
		  AND NOT EXISTS (SELECT 1 FROM adoption a WHERE a.innovation_id = pl.innovation_id
		                  AND a.archived_at IS NULL AND a.adopted_on >= pl.start_date)
	), by_innovation AS (
		SELECT x.id FROM p x WHERE EXISTS (SELECT 1 FROM p y WHERE y.innovation_id = x.innovation_id AND y.region_id <> x.region_id
		   AND x.start_date <= coalesce(y.end_date, 'infinity'::date) AND y.start_date <= coalesce(x.end_date, 'infinity'::date))
	), by_area AS (
		SELECT x.id FROM p x WHERE x.clinical_area <> '' AND EXISTS (SELECT 1 FROM p y WHERE y.clinical_area = x.clinical_area
		   AND y.innovation_id <> x.innovation_id AND y.region_id <> x.region_id
		   AND x.start_date <= coalesce(y.end_date, 'infinity'::date) AND y.start_date <= coalesce(x.end_date, 'infinity'::date))
	), found AS (
		SELECT p.*, r.code AS region_code, bi.id IS NOT NULL AS by_innovation, ba.id IS NOT NULL AS by_clinical_area
		FROM p JOIN region r ON r.id = p.region_id
		LEFT JOIN by_innovation bi ON bi.id = p.id LEFT JOIN by_area ba ON ba.id = p.id
		WHERE bi.id IS NOT NULL OR ba.id IS NOT NULL
	)
	SELECT f.* FROM found f
	WHERE $4::uuid[] IS NULL
	   OR (f.by_innovation AND f.innovation_id IN (SELECT innovation_id FROM found WHERE by_innovation AND region_id = ANY($4::uuid[])))
	   OR (f.by_clinical_area AND f.clinical_area IN (SELECT clinical_area FROM found WHERE by_clinical_area AND region_id = ANY($4::uuid[])))
	ORDER BY f.start_date, f.region_code, f.id`
	a, err := newScaleArgs(q.Filter, q.RegionIDs)
	if err != nil {
		return nil, err
	}
	var from, to *time.Time
	if q.Window != nil {
		from, to = &q.Window.From, &q.Window.To
	}
	rows := []hin.DuplicatedPilot{}
	if err := s.selectAll(ctx, s.db, &rows, query, append(a.list(), from, to)...); err != nil {
		return nil, fmt.Errorf("duplicated pilots: %w", err)
	}
	return rows, nil
}

// PilotConversion counts, per group, the pilots that ended in the window
// with a status named ($8), and those followed by an adoption of their
// innovation on or after their start and within $9 months of their end:
// in the pilot's region, and anywhere. One total row per scope region (or
// one national total) counts every pilot once. Groups are switched on by
// $10..$13 (region, programme, clinical area, innovation).
func (s *Store) PilotConversion(ctx context.Context, q hin.ConversionQuery) ([]hin.ConversionRow, error) {
	const query = `WITH p AS (` + scalePilots + `
		  AND ($4::uuid[] IS NULL OR pl.region_id = ANY($4::uuid[]))
		  AND pl.end_date BETWEEN $6::date AND $7::date
		  AND pl.status = ANY($8::text[])
	), f AS (
		-- the first adoption on or after each pilot's start, by index, once
		SELECT p.id, p.region_id, p.innovation_id, p.clinical_area, p.start_date,
		       p.end_date + make_interval(months => $9::int) AS deadline, fa.adopted_on AS first_anywhere, fs.adopted_on AS first_same_region
		FROM p
		LEFT JOIN LATERAL (SELECT a.adopted_on FROM adoption a WHERE a.innovation_id = p.innovation_id
		          AND a.archived_at IS NULL AND a.adopted_on >= p.start_date ORDER BY a.adopted_on LIMIT 1) fa ON true
		LEFT JOIN LATERAL (SELECT a.adopted_on FROM adoption a WHERE a.innovation_id = p.innovation_id AND a.region_id = p.region_id
		          AND a.archived_at IS NULL AND a.adopted_on >= p.start_date ORDER BY a.adopted_on LIMIT 1) fs ON true
	), c AS MATERIALIZED (
		SELECT f.*, CASE WHEN $4::uuid[] IS NOT NULL THEN f.region_id END AS scope_region_id,
		       coalesce(f.first_anywhere <= f.deadline, false) AS conv_anywhere,
		       coalesce(f.first_same_region <= f.deadline, false) AS conv_same_region
		FROM f
	), g AS (
		SELECT c.*, CASE WHEN $10 THEN c.region_id END AS g_region, ip.programme_id AS g_programme,
		       CASE WHEN $12 THEN c.clinical_area END AS g_clinical_area, CASE WHEN $13 THEN c.innovation_id END AS g_innovation
		FROM c LEFT JOIN innovation_programme ip ON $11 AND ip.innovation_id = c.innovation_id
		WHERE $10 OR $11 OR $12 OR $13
	)
	SELECT false AS total, scope_region_id::text, g_region::text, g_programme::text, g_clinical_area, g_innovation::text,
	       count(*) AS pilots, count(*) FILTER (WHERE conv_same_region) AS same_region, count(*) FILTER (WHERE conv_anywhere) AS anywhere,
	       percentile_cont(0.5) WITHIN GROUP (ORDER BY first_anywhere - start_date) FILTER (WHERE conv_anywhere) AS median_anywhere,
	       percentile_cont(0.5) WITHIN GROUP (ORDER BY first_same_region - start_date) FILTER (WHERE conv_same_region) AS median_same_region
	FROM g GROUP BY scope_region_id, g_region, g_programme, g_clinical_area, g_innovation
	UNION ALL
	SELECT true, scope_region_id::text, NULL, NULL, NULL, NULL,
	       count(*), count(*) FILTER (WHERE conv_same_region), count(*) FILTER (WHERE conv_anywhere),
	       percentile_cont(0.5) WITHIN GROUP (ORDER BY first_anywhere - start_date) FILTER (WHERE conv_anywhere),
	       percentile_cont(0.5) WITHIN GROUP (ORDER BY first_same_region - start_date) FILTER (WHERE conv_same_region)
	FROM c GROUP BY scope_region_id
	ORDER BY 1, 2, 3, 4, 5, 6`
	a, err := newScaleArgs(q.Filter, q.RegionIDs)
	if err != nil {
		return nil, err
	}
	args := append(a.list(), q.Window.From, q.Window.To, pq.Array(enumStrings(q.Statuses)), q.WithinMonths,
		q.Groups(hin.DimRegion), q.Groups(hin.DimProgramme), q.Groups(hin.DimClinicalArea), q.Groups(hin.DimInnovation))
	rows := []hin.ConversionRow{}
	if err := s.selectAll(ctx, s.db, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("pilot conversion: %w", err)
	}
	return rows, nil
}

// SpreadTargets ranks, for every innovation with evidence, the regions and
// organisation kinds where it has been neither piloted nor adopted, by how
// many organisations of the kind there exist on the date ($6) and have
// not adopted it; a place where none is left (an adopter that moved
// region since) is dropped. Evidence is national: a positive pilot ($7), adoption in
// at least $8 regions, or outcomes of metric $9 about it, combined under
// its kind ($10) over the window ($11, $12) and the drafts allowed ($14,
// $15), above $13. The filter's region codes ($1) and the scope ($4) pick
// target regions; its programmes, innovations and clinical area pick
// innovations. Ranks run per scope region when scoped, nationally
// otherwise; the first $17 of each (at least one) are returned. Names and
// codes compare by code point (COLLATE "C"): the documented order, the same
// on every server, and fast to sort.
func (s *Store) SpreadTargets(ctx context.Context, q hin.SpreadQuery) ([]hin.SpreadTarget, error) {
	const query = `WITH inn AS (
		SELECT i.id, i.name FROM innovation i
		WHERE i.archived_at IS NULL
		  AND ($2::uuid[] IS NULL OR i.id IN (SELECT innovation_id FROM innovation_programme WHERE programme_id = ANY($2::uuid[])))
		  AND ($3::uuid[] IS NULL OR i.id = ANY($3::uuid[]))
		  AND ($5::text IS NULL OR i.clinical_area ILIKE $5::text)
	), positive AS (
		SELECT pl.innovation_id, count(*) AS n FROM pilot pl
		WHERE pl.evaluation_result = 'POSITIVE' AND pl.archived_at IS NULL GROUP BY pl.innovation_id
	), adopted AS (
		SELECT a.innovation_id, count(DISTINCT a.region_id) AS n FROM adoption a
		WHERE a.archived_at IS NULL GROUP BY a.innovation_id
	), measured AS (
		SELECT o.innovation_id, o.region_id, o.value, o.numerator, o.denominator, o.period_end,
		       max(o.period_end) OVER (PARTITION BY o.innovation_id, o.region_id) AS last_end
		FROM outcome o
		WHERE $9::uuid IS NOT NULL AND o.metric_id = $9::uuid AND o.innovation_id IS NOT NULL
		  AND ($11::date IS NULL OR o.period_start >= $11::date) AND ($12::date IS NULL OR o.period_end <= $12::date)
		  AND (o.status = 'PUBLISHED' OR (o.status = 'DRAFT' AND ($14 OR o.region_id = ANY($15::uuid[]))))
	), outcome_value AS (
		SELECT innovation_id, CASE $10::text
		         WHEN 'RATE' THEN sum(numerator) / nullif(sum(denominator), 0)
		         WHEN 'SNAPSHOT' THEN sum(value) FILTER (WHERE period_end = last_end)
		         ELSE sum(value) END AS v
		FROM measured GROUP BY innovation_id
	), proven AS (
		SELECT inn.id, inn.name, coalesce(positive.n, 0) AS positive_pilots, coalesce(adopted.n, 0) AS adoption_regions, ov.v AS outcome_value
		FROM inn LEFT JOIN positive ON positive.innovation_id = inn.id LEFT JOIN adopted ON adopted.innovation_id = inn.id
		LEFT JOIN outcome_value ov ON ov.innovation_id = inn.id
		WHERE ($7 AND positive.n > 0) OR ($8::int > 0 AND adopted.n >= $8::int) OR ov.v > $13::float8
	), orgs AS (
		SELECT o.id, o.region_id, o.kind FROM organisation o
		WHERE o.region_id IS NOT NULL AND o.archived_at IS NULL
		  AND (o.valid_from IS NULL OR o.valid_from <= $6::date) AND (o.valid_to IS NULL OR o.valid_to >= $6::date)
		  AND ($16::text[] IS NULL OR o.kind = ANY($16::text[]))
		  AND ($1::text[] IS NULL OR o.region_id IN (SELECT id FROM region WHERE code = ANY($1::text[])))
		  AND ($4::uuid[] IS NULL OR o.region_id = ANY($4::uuid[]))
	), cells AS (
		SELECT region_id, kind, count(*) AS organisations FROM orgs GROUP BY region_id, kind
	), reached AS (
		-- where each proven innovation has been, as region/kind keys
		SELECT innovation_id, array_agg(DISTINCT place) AS places FROM (
			SELECT pl.innovation_id, pl.region_id::text || '/' || site.kind AS place
			FROM pilot pl JOIN organisation site ON site.id = pl.site_id
			WHERE pl.archived_at IS NULL AND pl.innovation_id IN (SELECT id FROM proven)
			UNION ALL
			SELECT a.innovation_id, a.region_id::text || '/' || o.kind
			FROM adoption a JOIN organisation o ON o.id = a.organisation_id
			WHERE a.archived_at IS NULL AND a.innovation_id IN (SELECT id FROM proven)
		) x GROUP BY innovation_id
	), adopters AS (
		SELECT a.innovation_id, o.region_id, o.kind, count(DISTINCT o.id) AS n
		FROM adoption a JOIN orgs o ON o.id = a.organisation_id
		WHERE a.archived_at IS NULL AND a.innovation_id IN (SELECT id FROM proven)
		GROUP BY a.innovation_id, o.region_id, o.kind
	), targets AS (
		SELECT p.id AS innovation_id, p.name, c.region_id, r.code, c.kind, c.organisations,
		       c.organisations - coalesce(ad.n, 0) AS not_adopted, p.positive_pilots, p.adoption_regions, p.outcome_value,
		       CASE WHEN $4::uuid[] IS NOT NULL THEN c.region_id END AS scope_region_id
		FROM proven p CROSS JOIN cells c JOIN region r ON r.id = c.region_id
		LEFT JOIN adopters ad ON ad.innovation_id = p.id AND ad.region_id = c.region_id AND ad.kind = c.kind
		LEFT JOIN reached x ON x.innovation_id = p.id
		WHERE NOT coalesce(c.region_id::text || '/' || c.kind = ANY(x.places), false) AND c.organisations - coalesce(ad.n, 0) > 0
	), national AS (
		-- unscoped: the first few by a bounded sort, not a sort of every target
		SELECT t.* FROM targets t WHERE $4::uuid[] IS NULL
		ORDER BY not_adopted DESC, code COLLATE "C", array_position($18::text[], kind::text), name COLLATE "C", innovation_id
		LIMIT greatest($17::int, 1)
	), ranked AS (
		SELECT n.*, row_number() OVER w AS rank, (SELECT count(*) FROM targets) AS total_count FROM national n
		WINDOW w AS (ORDER BY not_adopted DESC, code COLLATE "C", array_position($18::text[], kind::text), name COLLATE "C", innovation_id)
		UNION ALL
		SELECT t.*, row_number() OVER w, count(*) OVER (PARTITION BY scope_region_id) FROM targets t WHERE $4::uuid[] IS NOT NULL
		WINDOW w AS (PARTITION BY scope_region_id ORDER BY not_adopted DESC, code COLLATE "C", array_position($18::text[], kind::text), name COLLATE "C", innovation_id)
	)
	SELECT rank, innovation_id::text, region_id::text, kind, organisations, not_adopted, positive_pilots, adoption_regions,
	       outcome_value, total_count
	FROM ranked WHERE rank <= greatest($17::int, 1)
	ORDER BY scope_region_id, rank`
	a, err := newScaleArgs(q.Filter, q.RegionIDs)
	if err != nil {
		return nil, err
	}
	var metricID, kind *string
	if q.Metric != nil {
		metricID, kind = &q.Metric.ID, (*string)(&q.Metric.Kind)
	}
	var from, to *time.Time
	if q.OutcomeWindow != nil {
		from, to = &q.OutcomeWindow.From, &q.OutcomeWindow.To
	}
	args := append(a.list(), q.On, q.PositivePilot, q.AdoptedInRegions, metricID, kind, from, to, q.Above,
		q.Drafts.All, pq.Array(q.Drafts.RegionIDs), pq.Array(nilIfEmpty(enumStrings(q.Kinds))), q.First, pq.Array(hin.KindOrder()))
	rows := []hin.SpreadTarget{}
	if err := s.selectAll(ctx, s.db, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("spread targets: %w", err)
	}
	return rows, nil
}
