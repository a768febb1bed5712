-- +goose Up
-- A federated network: regional nodes own their region's rows, the
-- national node combines them through PostgreSQL logical replication.
-- Which tables replicate, and the publications and subscriptions, are set
-- up from the list in internal/store/federation.go; this migration holds
-- what every node needs whatever that list is.

-- This node's role; no row means a national node (today's behaviour).
CREATE TABLE federation_node (
    only_row     boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    role         text NOT NULL CHECK (role IN ('NATIONAL', 'REGIONAL')),
    region_id    uuid,                    -- a regional node's region
    node_url     text NOT NULL DEFAULT '', -- this node's API, named in errors
    national_url text NOT NULL DEFAULT '', -- the national node's API
    CHECK ((role = 'REGIONAL') = (region_id IS NOT NULL))
);

-- Who writes a region's rows, when it is not the default (the national
-- node on a national node; nobody else on a regional node). is_local: this
-- node is the one writer. On the national node a row with is_local false
-- names the regional node and the subscription that brings its rows.
CREATE TABLE region_owner (
    region_id    uuid PRIMARY KEY,
    node_url     text NOT NULL,
    is_local     boolean NOT NULL,
    conninfo     text NOT NULL DEFAULT '', -- the owning node's database, as the national node reaches it
    subscription text NOT NULL DEFAULT '', -- the subscription bringing its rows here
    since        timestamptz NOT NULL DEFAULT now()
);

-- One writer per region, enforced where every write lands: a row of a
-- region owned by another node is refused (SQLSTATE HN001, the owner's URL
-- in DETAIL). The trigger is enabled in the default (origin) mode, so rows
-- applied by logical replication (session_replication_role = replica) pass.
-- TG_ARGV[0] names the table's region column.
-- +goose StatementBegin
CREATE FUNCTION region_writer_guard() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    r     uuid;
    owner region_owner%ROWTYPE;
    node  federation_node%ROWTYPE;
    code  text;
BEGIN
    -- the new row's region and, for UPDATE and DELETE, the old row's
    FOR r IN SELECT DISTINCT x FROM unnest(CASE TG_OP
        WHEN 'INSERT' THEN ARRAY[(to_jsonb(NEW) ->> TG_ARGV[0])::uuid]
        WHEN 'DELETE' THEN ARRAY[(to_jsonb(OLD) ->> TG_ARGV[0])::uuid]
        ELSE ARRAY[(to_jsonb(NEW) ->> TG_ARGV[0])::uuid, (to_jsonb(OLD) ->> TG_ARGV[0])::uuid] END) x
    LOOP
        SELECT * INTO owner FROM region_owner WHERE region_id = r;
        IF FOUND THEN
            IF owner.is_local THEN
                CONTINUE;
            END IF;
            SELECT region.code INTO code FROM region WHERE id = r;
            RAISE EXCEPTION USING ERRCODE = 'HN001', DETAIL = owner.node_url,
                MESSAGE = format('region %s is written at its own node, %s; send this change there', coalesce(code, r::text), owner.node_url);
        END IF;
        SELECT * INTO node FROM federation_node;
        IF FOUND AND node.role = 'REGIONAL' AND r IS DISTINCT FROM node.region_id THEN
            SELECT region.code INTO code FROM region WHERE id = r;
            RAISE EXCEPTION USING ERRCODE = 'HN001', DETAIL = node.national_url,
                MESSAGE = format('this regional node writes only its own region; %s is written at the national node, %s',
                                 coalesce(code, 'a record with no region'), node.national_url);
        END IF;
        IF FOUND AND node.role = 'REGIONAL' THEN
            -- the node's own region, not yet handed over by a move
            RAISE EXCEPTION USING ERRCODE = 'HN001', DETAIL = node.national_url,
                MESSAGE = format('this regional node does not write its region yet (the move has not finished); write at the national node, %s', node.national_url);
        END IF;
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
-- +goose StatementEnd

-- The reference catalogue is read-only on a regional node (SQLSTATE HN002).
-- Statement-level and origin-enabled: replication writes it freely.
-- +goose StatementBegin
CREATE FUNCTION catalogue_guard() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    node federation_node%ROWTYPE;
BEGIN
    SELECT * INTO node FROM federation_node;
    IF FOUND AND node.role = 'REGIONAL' THEN
        RAISE EXCEPTION USING ERRCODE = 'HN002', DETAIL = node.national_url,
            MESSAGE = format('the reference catalogue (%s) is read-only at a regional node; change it at the national node, %s', TG_TABLE_NAME, node.national_url);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Rollups of replicated outcomes. The apply worker of a subscription runs
-- with session_replication_role = replica: the statement-level rollup
-- triggers of 00002 do not fire for it (and it fires no statement triggers
-- at all), so the national rollups would miss every replicated outcome.
-- This row-level trigger fires only in replica mode and refreshes the groups
-- of the row the apply worker applied; local writes keep the
-- statement-level path. Exactly one of the two sees each change. An initial
-- table copy is refreshed once when it is done (refresh_region_rollups).
-- Replication workers run with an empty search_path: the function brings
-- the schema's own, and the rollup refresh it calls runs under it.
-- +goose StatementBegin
CREATE FUNCTION outcome_rollup_replicated() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    affected jsonb := '[]'::jsonb;
BEGIN
    -- A table-sync worker (the initial copy of a subscription, relid set)
    -- copies a whole table: refreshing per row would cost a group refresh
    -- for every row. The copy is followed by one refresh of every group
    -- copied (MoveOut calls refresh_region_rollups).
    IF EXISTS (SELECT 1 FROM pg_stat_get_subscription(NULL) s WHERE s.pid = pg_backend_pid() AND s.relid IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        affected := affected || jsonb_build_object('m', NEW.metric_id, 'r', NEW.region_id, 's', date_trunc('month', NEW.period_start)::date);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        affected := affected || jsonb_build_object('m', OLD.metric_id, 'r', OLD.region_id, 's', date_trunc('month', OLD.period_start)::date);
    END IF;
    PERFORM refresh_outcome_rollups(affected);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- After an initial copy: the rollups of every group of a region, at once.
-- +goose StatementBegin
CREATE FUNCTION refresh_region_rollups(region uuid) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    affected jsonb;
BEGIN
    SELECT jsonb_agg(DISTINCT jsonb_build_object('m', metric_id, 'r', region_id, 's', date_trunc('month', period_start)::date))
      INTO affected FROM outcome WHERE region_id = region;
    IF affected IS NOT NULL THEN
        PERFORM refresh_outcome_rollups(affected);
    END IF;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER outcome_rollup_replicated AFTER INSERT OR UPDATE OR DELETE ON outcome
    FOR EACH ROW EXECUTE FUNCTION outcome_rollup_replicated();
ALTER TABLE outcome ENABLE REPLICA TRIGGER outcome_rollup_replicated;

-- +goose Down
DROP TRIGGER outcome_rollup_replicated ON outcome;
DROP FUNCTION refresh_region_rollups(uuid);
DROP FUNCTION outcome_rollup_replicated();
DROP FUNCTION catalogue_guard();
DROP FUNCTION region_writer_guard();
DROP TABLE region_owner, federation_node;
