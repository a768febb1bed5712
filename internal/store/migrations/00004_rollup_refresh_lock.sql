-- +goose Up
-- Concurrent writes to the same (metric, region, month) group raced in
-- refresh_outcome_rollups: each deleted the group's rollup rows and inserted
-- them again, and the second failed with a duplicate key or a deadlock.
-- The refresh now first takes a transaction-level advisory lock per metric
-- and region it refreshes.

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION refresh_outcome_rollups(affected_json jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k bigint;
BEGIN
    -- affected_json: [{"m": metric_id, "r": region_id, "s": start_month}, ...]
    CREATE TEMP TABLE IF NOT EXISTS rollup_affected (metric_id uuid, region_id uuid, start_month date) ON COMMIT DROP;
    TRUNCATE rollup_affected;
    INSERT INTO rollup_affected
        SELECT DISTINCT (a->>'m')::uuid, (a->>'r')::uuid, (a->>'s')::date FROM jsonb_array_elements(affected_json) a;

    -- One refresh per metric and region at a time: the lock is held to
    -- commit, so the next writer's DELETE and INSERT below (each with a
    -- fresh snapshot) see the rows the previous one committed. Without it
    -- two concurrent writes to a group both delete, then both insert: a
    -- duplicate key (23505) or a deadlock. Per metric and region rather than
    -- per month keeps a bulk load to a few hundred locks (each takes a slot
    -- of the shared lock table). Taken in a fixed order, so two
    -- transactions refreshing several groups cannot deadlock on them.
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

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION refresh_outcome_rollups(affected_json jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- affected_json: [{"m": metric_id, "r": region_id, "s": start_month}, ...]
    CREATE TEMP TABLE IF NOT EXISTS rollup_affected (metric_id uuid, region_id uuid, start_month date) ON COMMIT DROP;
    TRUNCATE rollup_affected;
    INSERT INTO rollup_affected
        SELECT DISTINCT (a->>'m')::uuid, (a->>'r')::uuid, (a->>'s')::date FROM jsonb_array_elements(affected_json) a;

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
