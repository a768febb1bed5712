-- +goose Up
-- Every statement that changes outcomes tells listeners which (metric,
-- region) groups it touched, over the periods it touched, on the channel
-- hin_outcome_changes. Subscriptions on every server process LISTEN there
-- (store.ListenOutcomeChanges), so a write through any process reaches them
-- all. A NOTIFY is delivered only when its transaction commits, and
-- PostgreSQL drops repeats of one payload within a transaction, so a return
-- of 5,000 rows sends one message per group, after it is acknowledged.

-- +goose StatementBegin
CREATE FUNCTION outcome_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    msg text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('hin_outcome_changes', '{"everything":true}');
        RETURN NULL;
    END IF;
    -- each transition table is read only in the events that have it
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        FOR msg IN
            SELECT json_build_object(
                'metric_id', g.metric_id, 'metric', m.code, 'region_id', g.region_id, 'region', r.code,
                'from', g.period_from, 'to', g.period_to, 'outcomes', g.n, 'statuses', g.statuses)::text
            FROM (SELECT metric_id, region_id, min(period_start) AS period_from, max(period_end) AS period_to,
                         count(*) AS n, array_agg(DISTINCT status ORDER BY status) AS statuses
                  FROM new_rows GROUP BY metric_id, region_id) g
            JOIN metric m ON m.id = g.metric_id JOIN region r ON r.id = g.region_id
        LOOP
            PERFORM pg_notify('hin_outcome_changes', msg);
        END LOOP;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        FOR msg IN
            SELECT json_build_object(
                'metric_id', g.metric_id, 'metric', m.code, 'region_id', g.region_id, 'region', r.code,
                'from', g.period_from, 'to', g.period_to, 'outcomes', g.n, 'statuses', g.statuses)::text
            FROM (SELECT metric_id, region_id, min(period_start) AS period_from, max(period_end) AS period_to,
                         count(*) AS n, array_agg(DISTINCT status ORDER BY status) AS statuses
                  FROM old_rows GROUP BY metric_id, region_id) g
            JOIN metric m ON m.id = g.metric_id JOIN region r ON r.id = g.region_id
        LOOP
            PERFORM pg_notify('hin_outcome_changes', msg);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- One trigger per event, since each event has its own transition tables.
CREATE TRIGGER outcome_notify_insert AFTER INSERT ON outcome
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outcome_notify_changes();
CREATE TRIGGER outcome_notify_update AFTER UPDATE ON outcome
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outcome_notify_changes();
CREATE TRIGGER outcome_notify_delete AFTER DELETE ON outcome
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION outcome_notify_changes();
CREATE TRIGGER outcome_notify_truncate AFTER TRUNCATE ON outcome
    FOR EACH STATEMENT EXECUTE FUNCTION outcome_notify_changes();

-- +goose Down
DROP TRIGGER outcome_notify_truncate ON outcome;
DROP TRIGGER outcome_notify_delete ON outcome;
DROP TRIGGER outcome_notify_update ON outcome;
DROP TRIGGER outcome_notify_insert ON outcome;
DROP FUNCTION outcome_notify_changes();
