-- +goose Up
-- Keys are UUIDs so that regions' data can later be merged without collisions.
-- Enumerations are text with CHECK constraints: the values are the GraphQL
-- enum values, and adding one is a one-line migration.

CREATE TABLE region (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z][A-Z0-9-]{1,19}$'),
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    former_name text NOT NULL DEFAULT '',
    summary     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organisation (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    kind       text NOT NULL CHECK (kind IN ('ICB','NHS_TRUST','PRIMARY_CARE','CARE_HOME','INDUSTRY','ACADEMIA','CHARITY','OTHER')),
    region_id  uuid REFERENCES region (id),
    valid_from date,
    valid_to   date,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from)
);
CREATE INDEX organisation_by_region ON organisation (region_id, name, id);
CREATE INDEX organisation_by_name ON organisation (name, id);
CREATE INDEX organisation_by_kind ON organisation (region_id, kind);

CREATE TABLE collaborative (
    id             uuid PRIMARY KEY,
    code           text NOT NULL UNIQUE,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    kind           text NOT NULL CHECK (kind IN ('PATIENT_SAFETY','OTHER')),
    host_region_id uuid NOT NULL REFERENCES region (id),
    description    text NOT NULL DEFAULT ''
);
CREATE INDEX collaborative_by_host ON collaborative (host_region_id, name, id);

CREATE TABLE collaborative_region (
    collaborative_id uuid NOT NULL REFERENCES collaborative (id) ON DELETE CASCADE,
    region_id        uuid NOT NULL REFERENCES region (id),
    PRIMARY KEY (collaborative_id, region_id)
);
CREATE INDEX collaborative_region_by_region ON collaborative_region (region_id, collaborative_id);

CREATE TABLE programme (
    id            uuid PRIMARY KEY,
    code          text NOT NULL UNIQUE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    kind          text NOT NULL CHECK (kind IN ('PATIENT_SAFETY','NATIONAL_ADOPTION','OTHER')),
    clinical_area text NOT NULL DEFAULT '',
    description   text NOT NULL DEFAULT '',
    start_date    date,
    end_date      date,
    parent_id     uuid REFERENCES programme (id),
    status        text NOT NULL CHECK (status IN ('ACTIVE','COMPLETED','WITHDRAWN')),
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date),
    CHECK (parent_id <> id)
);
CREATE INDEX programme_by_name ON programme (name, id);
CREATE INDEX programme_by_parent ON programme (parent_id, name, id);

CREATE TABLE programme_region (
    programme_id uuid NOT NULL REFERENCES programme (id) ON DELETE CASCADE,
    region_id    uuid NOT NULL REFERENCES region (id),
    PRIMARY KEY (programme_id, region_id)
);
CREATE INDEX programme_region_by_region ON programme_region (region_id, programme_id);

CREATE TABLE innovation (
    id               uuid PRIMARY KEY,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    description      text NOT NULL DEFAULT '',
    innovator_id     uuid REFERENCES organisation (id),
    clinical_area    text NOT NULL DEFAULT '',
    lead_region_id   uuid REFERENCES region (id),
    stage            text NOT NULL CHECK (stage IN ('IDENTIFY_NEED','SELECT_AND_REFINE','DEVELOP_AND_TEST','REAL_WORLD_PILOT','EVIDENCE_INTO_PRACTICE','ADOPTION','SYSTEM_CHANGE')),
    -- the journey's order, so lists can sort by how far an innovation has come
    stage_rank       smallint GENERATED ALWAYS AS (CASE stage
                         WHEN 'IDENTIFY_NEED' THEN 1 WHEN 'SELECT_AND_REFINE' THEN 2
                         WHEN 'DEVELOP_AND_TEST' THEN 3 WHEN 'REAL_WORLD_PILOT' THEN 4
                         WHEN 'EVIDENCE_INTO_PRACTICE' THEN 5 WHEN 'ADOPTION' THEN 6
                         ELSE 7 END) STORED,
    stage_changed_on date NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX innovation_by_region ON innovation (lead_region_id, name, id);
CREATE INDEX innovation_by_name ON innovation (name, id);
CREATE INDEX innovation_by_innovator ON innovation (innovator_id, name, id);
CREATE INDEX innovation_by_stage ON innovation (stage, lead_region_id);

CREATE TABLE innovation_programme (
    innovation_id uuid NOT NULL REFERENCES innovation (id) ON DELETE CASCADE,
    programme_id  uuid NOT NULL REFERENCES programme (id),
    PRIMARY KEY (innovation_id, programme_id)
);
CREATE INDEX innovation_programme_by_programme ON innovation_programme (programme_id, innovation_id);

CREATE TABLE innovation_stage_change (
    id            uuid PRIMARY KEY,
    innovation_id uuid NOT NULL REFERENCES innovation (id) ON DELETE CASCADE,
    from_stage    text,
    to_stage      text NOT NULL,
    changed_on    date NOT NULL
);
CREATE INDEX stage_change_by_innovation ON innovation_stage_change (innovation_id, changed_on, id);
CREATE INDEX stage_change_by_date ON innovation_stage_change (changed_on);

CREATE TABLE pilot (
    id                 uuid PRIMARY KEY,
    innovation_id      uuid NOT NULL REFERENCES innovation (id),
    site_id            uuid NOT NULL REFERENCES organisation (id),
    region_id          uuid NOT NULL REFERENCES region (id),
    status             text NOT NULL CHECK (status IN ('PLANNED','RUNNING','EVALUATING','COMPLETED','STOPPED')),
    start_date         date NOT NULL,
    end_date           date,
    evaluation_summary text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX pilot_by_region ON pilot (region_id, start_date, id);
CREATE INDEX pilot_by_innovation ON pilot (innovation_id, start_date, id);
CREATE INDEX pilot_by_site ON pilot (site_id, start_date, id);
CREATE INDEX pilot_by_start ON pilot (start_date, id);

CREATE TABLE adoption (
    id              uuid PRIMARY KEY,
    innovation_id   uuid NOT NULL REFERENCES innovation (id),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    region_id       uuid NOT NULL REFERENCES region (id),
    adopted_on      date NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (innovation_id, organisation_id)
);
CREATE INDEX adoption_by_region ON adoption (region_id, adopted_on, id);
CREATE INDEX adoption_by_innovation ON adoption (innovation_id, adopted_on, id);
CREATE INDEX adoption_by_organisation ON adoption (organisation_id, adopted_on, id);
CREATE INDEX adoption_by_date ON adoption (adopted_on, id);

CREATE TABLE metric (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]{1,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    unit        text NOT NULL CHECK (length(unit) BETWEEN 1 AND 50),
    kind        text NOT NULL CHECK (kind IN ('COUNT','RATE','SNAPSHOT'))
);

CREATE TABLE outcome (
    id            uuid PRIMARY KEY,
    metric_id     uuid NOT NULL REFERENCES metric (id),
    region_id     uuid NOT NULL REFERENCES region (id),
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    value         double precision,
    numerator     double precision,
    denominator   double precision,
    innovation_id uuid REFERENCES innovation (id),
    pilot_id      uuid REFERENCES pilot (id),
    programme_id  uuid REFERENCES programme (id),
    source        text NOT NULL DEFAULT '',
    status        text NOT NULL CHECK (status IN ('DRAFT','PUBLISHED')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (period_end >= period_start),
    -- a value, or a numerator/denominator pair, never both and never neither
    CHECK ((value IS NOT NULL AND numerator IS NULL AND denominator IS NULL)
        OR (value IS NULL AND numerator IS NOT NULL AND denominator IS NOT NULL)),
    CHECK (value IS NULL OR value NOT IN ('NaN', 'Infinity', '-Infinity')),
    CHECK (numerator IS NULL OR (numerator >= 0 AND denominator > 0 AND numerator <= denominator
        AND denominator <> 'Infinity'))
);
CREATE INDEX outcome_by_region ON outcome (region_id, period_start, id);
CREATE INDEX outcome_by_metric ON outcome (metric_id, period_start, id);
CREATE INDEX outcome_by_pilot ON outcome (pilot_id, period_start, id) WHERE pilot_id IS NOT NULL;
CREATE INDEX outcome_by_innovation ON outcome (innovation_id, period_start, id) WHERE innovation_id IS NOT NULL;
CREATE INDEX outcome_by_programme ON outcome (programme_id, period_start, id) WHERE programme_id IS NOT NULL;
CREATE INDEX outcome_by_period ON outcome (period_start, id);

-- What the seed command last loaded, so re-running it is a no-op.
CREATE TABLE seed_info (
    key       text PRIMARY KEY,
    value     text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE seed_info, outcome, metric, adoption, pilot, innovation_stage_change, innovation_programme,
    innovation, programme_region, programme, collaborative_region, collaborative, organisation, region;
