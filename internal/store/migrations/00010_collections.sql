-- +goose Up
-- National collections (internal/hin/collection.go). A collection names the
-- metrics every region reports for each of its periods; a region's
-- submission for a period moves from its draft figures to SUBMITTED, then
-- APPROVED (which publishes them) or RETURNED. The collection, its metrics,
-- exemptions and periods are catalogue (written at the national node);
-- submissions and their notes are the region's own (written where the
-- region is written, replicated like its outcomes).
--
-- A figure a collection expects (its metric, a region not exempt, a period
-- overlapping a collection period) is published only by approving the
-- region's submission: collection_guard refuses any other publication,
-- restatement or withdrawal of it (COLLECTION_CONTROLLED), and any change
-- at all while the submission is SUBMITTED or APPROVED (SUBMISSION_FROZEN).
-- Approval marks its transaction with hin.collection_approving, the
-- submission's ID, for which the guard steps aside.

CREATE TABLE collection (
    id            uuid PRIMARY KEY,
    code          text NOT NULL UNIQUE,
    name          text NOT NULL,
    description   text NOT NULL DEFAULT '',
    cadence       text NOT NULL CHECK (cadence IN ('MONTHLY', 'QUARTERLY')),
    deadline_days int NOT NULL DEFAULT 15 CHECK (deadline_days BETWEEN 0 AND 366),
    close_days    int NOT NULL DEFAULT 30 CHECK (close_days BETWEEN 0 AND 366),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    version       int NOT NULL DEFAULT 1
);

CREATE TABLE collection_metric (
    collection_id      uuid NOT NULL REFERENCES collection (id) ON DELETE CASCADE,
    metric_id          uuid NOT NULL REFERENCES metric (id),
    position           int NOT NULL,
    median_factor      float8 CHECK (median_factor > 1),
    denominator_factor float8 CHECK (denominator_factor > 1),
    flag_zero          boolean NOT NULL DEFAULT false,
    PRIMARY KEY (collection_id, metric_id)
);
CREATE INDEX collection_metric_by_metric ON collection_metric (metric_id);

CREATE TABLE collection_exemption (
    collection_id uuid NOT NULL REFERENCES collection (id) ON DELETE CASCADE,
    region_id     uuid NOT NULL REFERENCES region (id),
    reason        text NOT NULL,
    PRIMARY KEY (collection_id, region_id)
);

CREATE TABLE collection_period (
    id            uuid PRIMARY KEY,
    collection_id uuid NOT NULL REFERENCES collection (id),
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    deadline      date NOT NULL,
    close_date    date NOT NULL,
    opened_at     timestamptz NOT NULL DEFAULT now(),
    opened_by     text NOT NULL DEFAULT '',
    UNIQUE (collection_id, period_start),
    CHECK (period_end >= period_start AND deadline > period_end AND close_date >= deadline)
);
CREATE INDEX collection_period_by_end ON collection_period (collection_id, period_end);

-- A submission's ID is derived from its period and region, so it is the
-- same before its row exists (hin.SubmissionID computes the same).
CREATE FUNCTION submission_id(period uuid, region uuid) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT md5(period::text || '/' || region::text)::uuid $$;

-- A region's submission, stored from its first step (a note, a submit);
-- before that it is NOT_STARTED, or DRAFT once it has draft figures.
CREATE TABLE collection_submission (
    id                 uuid PRIMARY KEY,
    period_id          uuid NOT NULL REFERENCES collection_period (id),
    region_id          uuid NOT NULL REFERENCES region (id),
    state              text NOT NULL CHECK (state IN ('DRAFT', 'SUBMITTED', 'RETURNED', 'APPROVED')),
    submitted_by       text,
    submitted_role     text,
    submitted_at       timestamptz,
    approved_by        text,
    approved_at        timestamptz,
    returned_by        text,
    returned_at        timestamptz,
    return_comment     text,
    restatement        boolean NOT NULL DEFAULT false,
    restatement_reason text,
    reopened_by        text,
    reopened_at        timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    version            int NOT NULL DEFAULT 1,
    UNIQUE (period_id, region_id),
    CHECK (id = submission_id(period_id, region_id))
);

-- What a region says with its figures: a metric not available (subject is
-- the metric's code) or a warning explained (subject is the warning's key).
CREATE TABLE collection_note (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    submission_id uuid NOT NULL REFERENCES collection_submission (id) ON DELETE CASCADE,
    region_id     uuid NOT NULL REFERENCES region (id),
    kind          text NOT NULL CHECK (kind IN ('NOT_AVAILABLE', 'EXPLANATION')),
    metric_id     uuid NOT NULL REFERENCES metric (id),
    subject       text NOT NULL,
    text          text NOT NULL,
    written_by    text NOT NULL,
    written_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (submission_id, kind, subject)
);

-- collection_guard checks the outcome rows a statement wrote (new) and
-- replaced (old) against the collections. One statement for the whole
-- statement's rows; nothing at all while no period is open.
-- +goose StatementBegin
CREATE FUNCTION collection_guard() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    src text;
    bad record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM collection_period) THEN
        RETURN NULL;
    END IF;
    src := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT metric_id, region_id, period_start, period_end, status FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT metric_id, region_id, period_start, period_end, status FROM old_rows'
        ELSE 'SELECT metric_id, region_id, period_start, period_end, status FROM new_rows
              UNION ALL SELECT metric_id, region_id, period_start, period_end, status FROM old_rows' END;
    -- one row per distinct figure shape: a return repeats metric, region and period many times
    src := 'SELECT DISTINCT metric_id, region_id, period_start, period_end, status FROM (' || src || ') t';
    -- Each row probes the periods of its metric's collections through the
    -- index on period_end: a period lasts at most three months, so the
    -- periods a row overlaps end within 92 days after it does. Only the
    -- few cells found are then checked against submissions and exemptions.
    EXECUTE format($q$
        WITH x AS (%s),
        cells AS (
            SELECT DISTINCT cp.id AS period_id, cp.collection_id, cp.period_start, cp.period_end, x.region_id, x.metric_id,
                   x.status <> 'DRAFT' AS published
            FROM x JOIN collection_metric cm ON cm.metric_id = x.metric_id
            CROSS JOIN LATERAL (SELECT p.id, p.collection_id, p.period_start, p.period_end FROM collection_period p
                WHERE p.collection_id = cm.collection_id AND p.period_end >= x.period_start
                  AND p.period_end <= x.period_end + 92 AND p.period_start <= x.period_end) cp
        )
        SELECT c.code AS collection, k.period_start, k.period_end, r.code AS region, m.code AS metric,
               s.state, coalesce(s.state IN ('SUBMITTED', 'APPROVED'), false) AS frozen
        FROM cells k
        JOIN collection c ON c.id = k.collection_id
        JOIN region r ON r.id = k.region_id
        JOIN metric m ON m.id = k.metric_id
        LEFT JOIN collection_submission s ON s.period_id = k.period_id AND s.region_id = k.region_id
        WHERE (k.published OR s.state IN ('SUBMITTED', 'APPROVED'))
          AND NOT EXISTS (SELECT 1 FROM collection_exemption e WHERE e.collection_id = k.collection_id AND e.region_id = k.region_id)
          AND coalesce(current_setting('hin.collection_approving', true), '') <> submission_id(k.period_id, k.region_id)::text
        ORDER BY frozen DESC
        LIMIT 1 $q$, src) INTO bad;
    IF bad IS NULL THEN
        RETURN NULL;
    END IF;
    IF bad.frozen THEN
        RAISE EXCEPTION USING ERRCODE = 'HN003', MESSAGE = format(
            '%s''s %s figures for %s to %s are %s in the collection %s and frozen: %s',
            bad.region, bad.metric, bad.period_start, bad.period_end, lower(bad.state), bad.collection,
            CASE bad.state WHEN 'APPROVED' THEN 'reopen the submission as a restatement, with a reason, to correct them'
                 ELSE 'an approver approves or returns them first' END);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'HN004', MESSAGE = format(
        '%s''s %s figures for %s to %s are collected by %s: enter them as drafts, and they are published when the region''s submission is approved',
        bad.region, bad.metric, bad.period_start, bad.period_end, bad.collection);
END
$$;
-- +goose StatementEnd

CREATE TRIGGER collection_guard_insert AFTER INSERT ON outcome
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION collection_guard();
CREATE TRIGGER collection_guard_update AFTER UPDATE ON outcome
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION collection_guard();
CREATE TRIGGER collection_guard_delete AFTER DELETE ON outcome
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION collection_guard();

-- A submission's change of state is announced on hin_collection_changes,
-- as outcome changes are on hin_outcome_changes (migration 00008), so the
-- tracker subscriptions of every process hear it. The apply worker fires no
-- ordinary triggers: a replica trigger announces the rows replicated from a
-- regional node.
-- +goose StatementBegin
CREATE FUNCTION collection_submission_notify() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    s collection_submission%ROWTYPE;
BEGIN
    IF TG_OP = 'DELETE' THEN
        s := OLD;
    ELSE
        s := NEW;
    END IF;
    PERFORM pg_notify('hin_collection_changes', json_build_object(
        'period_id', s.period_id, 'region_id', s.region_id, 'state', s.state)::text);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER collection_submission_notify AFTER INSERT OR UPDATE OR DELETE ON collection_submission
    FOR EACH ROW EXECUTE FUNCTION collection_submission_notify();
CREATE TRIGGER collection_submission_notify_replica AFTER INSERT OR UPDATE OR DELETE ON collection_submission
    FOR EACH ROW EXECUTE FUNCTION collection_submission_notify();
ALTER TABLE collection_submission ENABLE REPLICA TRIGGER collection_submission_notify_replica;

-- +goose Down
DROP TABLE collection_note;
DROP TABLE collection_submission;
DROP FUNCTION collection_submission_notify();
DROP TRIGGER collection_guard_delete ON outcome;
DROP TRIGGER collection_guard_update ON outcome;
DROP TRIGGER collection_guard_insert ON outcome;
DROP FUNCTION collection_guard();
DROP FUNCTION submission_id(uuid, uuid);
DROP TABLE collection_period;
DROP TABLE collection_exemption;
DROP TABLE collection_metric;
DROP TABLE collection;
