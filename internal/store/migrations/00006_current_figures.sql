-- +goose Up
-- One current figure per reported thing. A figure's key is its metric,
-- region, period start and end, and the innovation, pilot and programme it is
-- about; each key has at most one current PUBLISHED outcome and at most one
-- current DRAFT. A restatement changes the current row in place and moves the
-- state it replaces into outcome_history, with who, when and why, so a
-- figure can be answered as it stood at any moment (valid_from .. valid_to).
--
-- The rollup triggers are not changed: history rows are never rolled up, and
-- as-of figures read outcome and outcome_history directly.

-- When the row's present state (value and status) became current.
ALTER TABLE outcome ADD COLUMN valid_from timestamptz;
UPDATE outcome SET valid_from = CASE
    WHEN status = 'PUBLISHED' THEN coalesce(published_at, created_at)
    WHEN status = 'WITHDRAWN' THEN coalesce(withdrawn_at, updated_at)
    ELSE created_at END;
ALTER TABLE outcome ALTER COLUMN valid_from SET NOT NULL, ALTER COLUMN valid_from SET DEFAULT now();
-- as-of figures take back what changed since the moment asked about
CREATE INDEX outcome_by_valid_from ON outcome (valid_from);

CREATE TABLE outcome_history (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- the current outcome this state belongs to; no foreign key, so that
    -- a seed load may empty outcome (the TRUNCATE trigger below follows it)
    outcome_id    uuid NOT NULL,
    metric_id     uuid NOT NULL,
    region_id     uuid NOT NULL,
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    innovation_id uuid,
    pilot_id      uuid,
    programme_id  uuid,
    value         double precision,
    numerator     double precision,
    denominator   double precision,
    source        text NOT NULL DEFAULT '',
    status        text NOT NULL CHECK (status IN ('DRAFT', 'PUBLISHED')),
    valid_from    timestamptz NOT NULL,
    valid_to      timestamptz NOT NULL,
    -- what ended this state: RESTATED, PUBLISHED, UPDATED, WITHDRAWN, MIGRATED
    change        text NOT NULL,
    changed_by    text NOT NULL,
    changed_role  text NOT NULL DEFAULT '',
    reason        text,
    request_id    text NOT NULL DEFAULT '',
    CHECK (valid_to >= valid_from)
);
CREATE INDEX outcome_history_by_outcome ON outcome_history (outcome_id, valid_to DESC);
CREATE INDEX outcome_history_by_metric ON outcome_history (metric_id, period_start);
CREATE INDEX outcome_history_by_valid_to ON outcome_history (valid_to);

-- States that existed before this migration and are known from the row:
-- a withdrawn figure was published until withdrawn, and a figure published
-- after it was created was a draft until then.
INSERT INTO outcome_history (outcome_id, metric_id, region_id, period_start, period_end, innovation_id, pilot_id, programme_id,
    value, numerator, denominator, source, status, valid_from, valid_to, change, changed_by, reason)
SELECT id, metric_id, region_id, period_start, period_end, innovation_id, pilot_id, programme_id,
    value, numerator, denominator, source, 'PUBLISHED', coalesce(published_at, created_at), greatest(withdrawn_at, coalesce(published_at, created_at)),
    'WITHDRAWN', 'migration 00006', withdrawn_reason
FROM outcome WHERE status = 'WITHDRAWN' AND withdrawn_at IS NOT NULL;

-- Duplicates: where a key has several current outcomes of one status, the
-- latest stays current and the others become its history.
-- +goose StatementBegin
DO $$
DECLARE
    moved bigint;
    keys bigint;
BEGIN
    CREATE TEMP TABLE outcome_duplicate ON COMMIT DROP AS
    SELECT id, keep_id, valid_to FROM (
        SELECT id,
               first_value(id) OVER w AS keep_id,
               lag(valid_from) OVER w AS valid_to -- until the next newer one arrived
        FROM outcome WHERE status IN ('DRAFT', 'PUBLISHED')
        WINDOW w AS (PARTITION BY metric_id, region_id, period_start, period_end, innovation_id, pilot_id, programme_id, status
                     ORDER BY valid_from DESC, created_at DESC, id DESC)
    ) d WHERE id <> keep_id;

    INSERT INTO outcome_history (outcome_id, metric_id, region_id, period_start, period_end, innovation_id, pilot_id, programme_id,
        value, numerator, denominator, source, status, valid_from, valid_to, change, changed_by, reason)
    SELECT d.keep_id, o.metric_id, o.region_id, o.period_start, o.period_end, o.innovation_id, o.pilot_id, o.programme_id,
        o.value, o.numerator, o.denominator, o.source, o.status, o.valid_from, greatest(d.valid_to, o.valid_from),
        'MIGRATED', 'migration 00006', 'duplicate of outcome ' || d.keep_id || ': the latest was kept as current'
    FROM outcome_duplicate d JOIN outcome o ON o.id = d.id;
    GET DIAGNOSTICS moved = ROW_COUNT;
    SELECT count(DISTINCT keep_id) INTO keys FROM outcome_duplicate;

    DELETE FROM outcome o USING outcome_duplicate d WHERE o.id = d.id;
    RAISE NOTICE 'migration 00006: % duplicate outcome(s) of % key(s) moved to outcome_history; the latest of each key stays current', moved, keys;
END
$$;
-- +goose StatementEnd

-- The unique indexes also serve the store's look-ups of a key and of the
-- periods near it (equality up to the period, then a range on its start),
-- so the optional references are compared through coalesce: an absent
-- reference is equal to another absent one.
CREATE UNIQUE INDEX outcome_current_published ON outcome (metric_id, region_id,
    coalesce(innovation_id, '00000000-0000-0000-0000-000000000000'::uuid),
    coalesce(pilot_id, '00000000-0000-0000-0000-000000000000'::uuid),
    coalesce(programme_id, '00000000-0000-0000-0000-000000000000'::uuid), period_start, period_end)
    WHERE status = 'PUBLISHED';
CREATE UNIQUE INDEX outcome_current_draft ON outcome (metric_id, region_id,
    coalesce(innovation_id, '00000000-0000-0000-0000-000000000000'::uuid),
    coalesce(pilot_id, '00000000-0000-0000-0000-000000000000'::uuid),
    coalesce(programme_id, '00000000-0000-0000-0000-000000000000'::uuid), period_start, period_end)
    WHERE status = 'DRAFT';

-- A seed load empties outcome with TRUNCATE: its history goes with it.
-- +goose StatementBegin
CREATE FUNCTION outcome_history_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE outcome_history;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER outcome_history_truncate AFTER TRUNCATE ON outcome FOR EACH STATEMENT EXECUTE FUNCTION outcome_history_truncate();

-- +goose Down
DROP TRIGGER outcome_history_truncate ON outcome;
DROP FUNCTION outcome_history_truncate();
DROP INDEX outcome_current_draft, outcome_current_published;
DROP TABLE outcome_history;
ALTER TABLE outcome DROP COLUMN valid_from;
