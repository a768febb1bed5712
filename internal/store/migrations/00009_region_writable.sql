-- +goose Up
-- The one-writer rule of 00007 as a function the store calls before an
-- outcome write, not only as a trigger on rows written: a figure resent
-- unchanged writes no row, and must still be refused at a node that does
-- not write its region. The trigger now calls the same function.

-- +goose StatementBegin
CREATE FUNCTION assert_region_writable(r uuid) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    owner region_owner%ROWTYPE;
    node  federation_node%ROWTYPE;
    code  text;
BEGIN
    SELECT * INTO owner FROM region_owner WHERE region_id = r;
    IF FOUND THEN
        IF owner.is_local THEN
            RETURN;
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
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION region_writer_guard() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    r uuid;
BEGIN
    -- the new row's region and, for UPDATE and DELETE, the old row's
    FOR r IN SELECT DISTINCT x FROM unnest(CASE TG_OP
        WHEN 'INSERT' THEN ARRAY[(to_jsonb(NEW) ->> TG_ARGV[0])::uuid]
        WHEN 'DELETE' THEN ARRAY[(to_jsonb(OLD) ->> TG_ARGV[0])::uuid]
        ELSE ARRAY[(to_jsonb(NEW) ->> TG_ARGV[0])::uuid, (to_jsonb(OLD) ->> TG_ARGV[0])::uuid] END) x
    LOOP
        PERFORM assert_region_writable(r);
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION region_writer_guard() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    r     uuid;
    owner region_owner%ROWTYPE;
    node  federation_node%ROWTYPE;
    code  text;
BEGIN
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
            RAISE EXCEPTION USING ERRCODE = 'HN001', DETAIL = node.national_url,
                MESSAGE = format('this regional node does not write its region yet (the move has not finished); write at the national node, %s', node.national_url);
        END IF;
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
-- +goose StatementEnd
DROP FUNCTION assert_region_writable(uuid);
