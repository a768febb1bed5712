-- +goose Up
-- The rollup refresh of migrations 00002 and 00004 grew with groups × rows.
-- EXPLAIN ANALYZE of one INSERT ... SELECT of 50,000 daily outcomes (two
-- metrics, one region) showed why: the changed groups went through
-- jsonb_agg(DISTINCT ...) (1.3 s) into a temporary table with no
-- statistics, and the outcomes were joined to it on metric and region only,
-- the month being a range filter: a merge join that removed 41 million
-- rows, twice (31 s and 17 s of a 56 s statement).
--
-- Now the statement trigger puts the changed groups straight from its
-- transition tables into the temporary table, which is analysed, and the
-- outcomes join their group on its whole key, month included: a large
-- refresh hashes (one pass over the outcomes of the changed metrics and
-- regions), a small one probes outcome_by_metric by period range.
-- refresh_outcome_rollups(jsonb) stays for the per-row replication trigger
-- and refresh_region_rollups (migration 00007).

-- The month an outcome's period starts in, as a date: the rollups' group.
-- +goose StatementBegin
CREATE FUNCTION outcome_month(d date) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT date_trunc('month', d::timestamp)::date
$$;
-- +goose StatementEnd

-- Refreshes the groups listed in rollup_group, a temporary table the
-- caller has filled in this transaction.
-- +goose StatementBegin
CREATE FUNCTION refresh_rollup_groups() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k bigint;
BEGIN
    ANALYZE rollup_group;
    -- One refresh per metric and region at a time, in a fixed order (see
    -- migration 00004).
    FOR k IN
        SELECT DISTINCT hashtextextended(metric_id::text || '/' || region_id::text, 0)
        FROM rollup_group ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(k);
    END LOOP;

    DELETE FROM outcome_region_month t USING rollup_group a
        WHERE t.metric_id = a.metric_id AND t.region_id = a.region_id AND t.start_month = a.start_month;
    DELETE FROM outcome_detail_month t USING rollup_group a
        WHERE t.metric_id = a.metric_id AND t.region_id = a.region_id AND t.start_month = a.start_month;

    INSERT INTO outcome_region_month
        SELECT metric_id, region_id, status, start_month, end_month, count(*), sum(value), sum(numerator), sum(denominator),
               max(period_end), sum(value) FILTER (WHERE period_end = group_last)
        FROM (
            SELECT o.metric_id, o.region_id, o.status, o.value, o.numerator, o.denominator, o.period_end,
                   a.start_month, outcome_month(o.period_end) AS end_month,
                   max(o.period_end) OVER (PARTITION BY o.metric_id, o.region_id, o.status, a.start_month,
                                                        outcome_month(o.period_end)) AS group_last
            FROM outcome o JOIN rollup_group a
              ON o.metric_id = a.metric_id AND o.region_id = a.region_id AND outcome_month(o.period_start) = a.start_month
             AND o.period_start >= a.start_month AND o.period_start < a.next_month
        ) x
        GROUP BY metric_id, region_id, status, start_month, end_month;

    INSERT INTO outcome_detail_month
        SELECT metric_id, region_id, programme_id, innovation_id, status, start_month, end_month, count(*), sum(value),
               sum(numerator), sum(denominator), max(period_end), sum(value) FILTER (WHERE period_end = group_last)
        FROM (
            SELECT o.metric_id, o.region_id, o.programme_id, o.innovation_id, o.status, o.value, o.numerator, o.denominator,
                   o.period_end, a.start_month, outcome_month(o.period_end) AS end_month,
                   max(o.period_end) OVER (PARTITION BY o.metric_id, o.region_id, o.programme_id, o.innovation_id, o.status,
                                                        a.start_month, outcome_month(o.period_end)) AS group_last
            FROM outcome o JOIN rollup_group a
              ON o.metric_id = a.metric_id AND o.region_id = a.region_id AND outcome_month(o.period_start) = a.start_month
             AND o.period_start >= a.start_month AND o.period_start < a.next_month
        ) x
        GROUP BY metric_id, region_id, programme_id, innovation_id, status, start_month, end_month;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION begin_rollup_groups() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS rollup_group (metric_id uuid, region_id uuid, start_month date, next_month date) ON COMMIT DROP;
    TRUNCATE rollup_group;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION refresh_outcome_rollups(affected_json jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- affected_json: [{"m": metric_id, "r": region_id, "s": start_month}, ...]
    PERFORM begin_rollup_groups();
    INSERT INTO rollup_group
        SELECT DISTINCT (a->>'m')::uuid, (a->>'r')::uuid, (a->>'s')::date, (a->>'s')::date + interval '1 month'
        FROM jsonb_array_elements(affected_json) a;
    PERFORM refresh_rollup_groups();
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION outcome_rollup_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM begin_rollup_groups();
    IF TG_OP = 'INSERT' THEN
        INSERT INTO rollup_group SELECT metric_id, region_id, m, m + interval '1 month'
            FROM (SELECT DISTINCT metric_id, region_id, outcome_month(period_start) AS m FROM new_rows) g;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO rollup_group SELECT metric_id, region_id, m, m + interval '1 month'
            FROM (SELECT DISTINCT metric_id, region_id, outcome_month(period_start) AS m FROM old_rows) g;
    ELSE
        INSERT INTO rollup_group SELECT metric_id, region_id, m, m + interval '1 month'
            FROM (SELECT metric_id, region_id, outcome_month(period_start) AS m FROM new_rows
                  UNION SELECT metric_id, region_id, outcome_month(period_start) FROM old_rows) g;
    END IF;
    PERFORM refresh_rollup_groups();
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION outcome_rollup_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    affected jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT jsonb_agg(DISTINCT jsonb_build_object('m', metric_id, 'r', region_id, 's', date_trunc('month', period_start)::date))
          INTO affected FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT jsonb_agg(DISTINCT jsonb_build_object('m', metric_id, 'r', region_id, 's', date_trunc('month', period_start)::date))
          INTO affected FROM old_rows;
    ELSE
        SELECT jsonb_agg(DISTINCT k) INTO affected FROM (
            SELECT jsonb_build_object('m', metric_id, 'r', region_id, 's', date_trunc('month', period_start)::date) AS k FROM new_rows
            UNION
            SELECT jsonb_build_object('m', metric_id, 'r', region_id, 's', date_trunc('month', period_start)::date) FROM old_rows
        ) u;
    END IF;
    IF affected IS NOT NULL THEN
        PERFORM refresh_outcome_rollups(affected);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION refresh_outcome_rollups(affected_json jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k bigint;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS rollup_affected (metric_id uuid, region_id uuid, start_month date) ON COMMIT DROP;
    TRUNCATE rollup_affected;
    INSERT INTO rollup_affected
        SELECT DISTINCT (a->>'m')::uuid, (a->>'r')::uuid, (a->>'s')::date FROM jsonb_array_elements(affected_json) a;
    FOR k IN
        SELECT DISTINCT hashtextextended(metric_id::text || '/' || region_id::text, 0)
        FROM rollup_affected ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(k);
    END LOOP;
    DELETE FROM outcome_region_month t USING rollup_affected a
        WHERE t.metric_id = a.metric_id AND t.region_id = a.region_id AND t.start_month = a.start_month;
    DELETE FROM outcome_detail_month t USING rollup_affected a
        WHERE t.metric_id = a.metric_id AND t.region_id = a.region_id AND t.start_month = a.start_month;
    INSERT INTO outcome_region_month
        SELECT metric_id, region_id, status, start_month, end_month, count(*), sum(value), sum(numerator), sum(denominator),
               max(period_end), sum(value) FILTER (WHERE period_end = group_last)
        FROM (
            SELECT o.*, a.start_month, date_trunc('month', o.period_end)::date AS end_month,
                   max(o.period_end) OVER (PARTITION BY o.metric_id, o.region_id, o.status, a.start_month,
                                                        date_trunc('month', o.period_end)) AS group_last
            FROM outcome o JOIN rollup_affected a
              ON o.metric_id = a.metric_id AND o.region_id = a.region_id
             AND o.period_start >= a.start_month AND o.period_start < (a.start_month + interval '1 month')
        ) x
        GROUP BY metric_id, region_id, status, start_month, end_month;
    INSERT INTO outcome_detail_month
        SELECT metric_id, region_id, programme_id, innovation_id, status, start_month, end_month, count(*), sum(value),
               sum(numerator), sum(denominator), max(period_end), sum(value) FILTER (WHERE period_end = group_last)
        FROM (
            SELECT o.*, a.start_month, date_trunc('month', o.period_end)::date AS end_month,
                   max(o.period_end) OVER (PARTITION BY o.metric_id, o.region_id, o.programme_id, o.innovation_id, o.status,
                                                        a.start_month, date_trunc('month', o.period_end)) AS group_last
            FROM outcome o JOIN rollup_affected a
              ON o.metric_id = a.metric_id AND o.region_id = a.region_id
             AND o.period_start >= a.start_month AND o.period_start < (a.start_month + interval '1 month')
        ) x
        GROUP BY metric_id, region_id, programme_id, innovation_id, status, start_month, end_month;
END
$$;
-- +goose StatementEnd
DROP FUNCTION begin_rollup_groups();
DROP FUNCTION refresh_rollup_groups();
DROP FUNCTION outcome_month(date);
