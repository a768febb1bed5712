-- +goose Up
-- Rollups of outcomes so national figures cost the same whatever the number
-- of raw rows. Each row sums the outcomes of one group whose periods start
-- in start_month and end in end_month, and keeps, for snapshot metrics, the
-- latest period end in the group and the sum of values reported at it.
-- Both tables are rebuilt per (metric, region, month) from the outcome table
-- by statement-level triggers, so a bulk load recomputes each group once and
-- a single write touches one small group. They are never written otherwise.

CREATE TABLE outcome_region_month (
    metric_id   uuid NOT NULL,
    region_id   uuid NOT NULL,
    status      text NOT NULL,
    start_month date NOT NULL,
    end_month   date NOT NULL,
    n           bigint NOT NULL,
    sum_value   double precision,
    sum_num     double precision,
    sum_den     double precision,
    last_end    date NOT NULL,
    last_sum    double precision,
    PRIMARY KEY (metric_id, start_month, region_id, end_month, status)
);

CREATE TABLE outcome_detail_month (
    metric_id     uuid NOT NULL,
    region_id     uuid NOT NULL,
    programme_id  uuid,
    innovation_id uuid,
    status        text NOT NULL,
    start_month   date NOT NULL,
    end_month     date NOT NULL,
    n             bigint NOT NULL,
    sum_value     double precision,
    sum_num       double precision,
    sum_den       double precision,
    last_end      date NOT NULL,
    last_sum      double precision
);
CREATE INDEX outcome_detail_month_key ON outcome_detail_month (metric_id, start_month, region_id);

-- +goose StatementBegin
CREATE FUNCTION refresh_outcome_rollups(affected_json jsonb) RETURNS void LANGUAGE plpgsql AS $$
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

-- +goose StatementBegin
CREATE FUNCTION outcome_rollup_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER outcome_rollup_insert AFTER INSERT ON outcome
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outcome_rollup_trigger();
CREATE TRIGGER outcome_rollup_update AFTER UPDATE ON outcome
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outcome_rollup_trigger();
CREATE TRIGGER outcome_rollup_delete AFTER DELETE ON outcome
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION outcome_rollup_trigger();

-- TRUNCATE fires no row triggers: empty the rollups with it.
-- +goose StatementBegin
CREATE FUNCTION outcome_rollup_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE outcome_region_month, outcome_detail_month;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER outcome_rollup_truncate AFTER TRUNCATE ON outcome FOR EACH STATEMENT EXECUTE FUNCTION outcome_rollup_truncate();

-- Aggregates filter innovations by stage and clinical area, and count stage moves in a window.
CREATE INDEX innovation_stage_change_to ON innovation_stage_change (changed_on, to_stage);

-- +goose Down
DROP TRIGGER outcome_rollup_truncate ON outcome;
DROP TRIGGER outcome_rollup_delete ON outcome;
DROP TRIGGER outcome_rollup_update ON outcome;
DROP TRIGGER outcome_rollup_insert ON outcome;
DROP FUNCTION outcome_rollup_truncate();
DROP FUNCTION outcome_rollup_trigger();
DROP FUNCTION refresh_outcome_rollups(jsonb);
DROP TABLE outcome_detail_month, outcome_region_month;
DROP INDEX innovation_stage_change_to;
