-- +goose Up
-- Writes: a version on every updatable record (optimistic concurrency), soft
-- archiving, withdrawn outcomes, idempotency keys and the audit trail.

ALTER TABLE region ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE organisation ADD COLUMN version integer NOT NULL DEFAULT 1, ADD COLUMN archived_at timestamptz;
ALTER TABLE programme ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE metric ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE innovation ADD COLUMN version integer NOT NULL DEFAULT 1, ADD COLUMN archived_at timestamptz;
ALTER TABLE pilot ADD COLUMN version integer NOT NULL DEFAULT 1, ADD COLUMN archived_at timestamptz;
ALTER TABLE adoption ADD COLUMN version integer NOT NULL DEFAULT 1, ADD COLUMN archived_at timestamptz;
ALTER TABLE outcome
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN published_at timestamptz,
    ADD COLUMN withdrawn_at timestamptz,
    ADD COLUMN withdrawn_reason text;
ALTER TABLE outcome DROP CONSTRAINT outcome_status_check;
ALTER TABLE outcome ADD CONSTRAINT outcome_status_check CHECK (status IN ('DRAFT', 'PUBLISHED', 'WITHDRAWN'));
ALTER TABLE outcome ADD CONSTRAINT outcome_withdrawn_reason CHECK ((status = 'WITHDRAWN') = (withdrawn_reason IS NOT NULL));
UPDATE outcome SET published_at = created_at WHERE status = 'PUBLISHED';

-- A create retried with the same key returns what the first one made.
CREATE TABLE idempotency_key (
    subject      text NOT NULL,
    key          text NOT NULL,
    operation    text NOT NULL,
    request_hash text NOT NULL,
    result_id    uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, key)
);

CREATE TABLE audit_event (
    id          uuid PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text NOT NULL,
    actor_role  text NOT NULL,
    action      text NOT NULL,
    entity_kind text NOT NULL,
    entity_id   uuid,
    region_id   uuid REFERENCES region (id),
    before      jsonb,
    after       jsonb,
    request_id  text NOT NULL DEFAULT ''
);
CREATE INDEX audit_event_by_at ON audit_event (at, id);
CREATE INDEX audit_event_by_region ON audit_event (region_id, at, id);
CREATE INDEX audit_event_by_entity ON audit_event (entity_id, at, id);

-- +goose Down
DROP TABLE audit_event, idempotency_key;
ALTER TABLE outcome DROP CONSTRAINT outcome_withdrawn_reason, DROP CONSTRAINT outcome_status_check;
DELETE FROM outcome WHERE status = 'WITHDRAWN';
ALTER TABLE outcome ADD CONSTRAINT outcome_status_check CHECK (status IN ('DRAFT', 'PUBLISHED'));
ALTER TABLE outcome DROP COLUMN version, DROP COLUMN updated_at, DROP COLUMN published_at, DROP COLUMN withdrawn_at, DROP COLUMN withdrawn_reason;
ALTER TABLE adoption DROP COLUMN version, DROP COLUMN archived_at;
ALTER TABLE pilot DROP COLUMN version, DROP COLUMN archived_at;
ALTER TABLE innovation DROP COLUMN version, DROP COLUMN archived_at;
ALTER TABLE metric DROP COLUMN version;
ALTER TABLE programme DROP COLUMN version;
ALTER TABLE organisation DROP COLUMN version, DROP COLUMN archived_at;
ALTER TABLE region DROP COLUMN version;
