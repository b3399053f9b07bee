-- migrate:up
-- The read model. The request workflow is its only writer (through the projection activity).
CREATE SEQUENCE handover_reference_seq;

CREATE TABLE handovers (
    id               uuid PRIMARY KEY,
    reference        text NOT NULL UNIQUE,
    kind             text NOT NULL,
    state            text NOT NULL,
    version          integer NOT NULL CHECK (version > 0),
    from_unit        text NOT NULL REFERENCES units (id),
    to_unit          text NOT NULL REFERENCES units (id),
    responsible_unit text NOT NULL REFERENCES units (id),
    -- every unit that is a party to the request: who may see it
    parties          text[] NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    doc              jsonb NOT NULL
);
-- keyset pagination, newest first
CREATE INDEX handovers_created_idx ON handovers (created_at DESC, id DESC);
CREATE INDEX handovers_state_created_idx ON handovers (state, created_at DESC, id DESC);
CREATE INDEX handovers_parties_idx ON handovers USING gin (parties);

-- Append-only, hash-chained event log; global_seq orders the feed across requests.
CREATE TABLE handover_events (
    global_seq   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    handover_id  uuid NOT NULL REFERENCES handovers (id),
    seq          integer NOT NULL CHECK (seq > 0),
    type         text NOT NULL,
    actor        jsonb NOT NULL,
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL,
    data         jsonb NOT NULL,
    request_id   text NOT NULL,
    prev_hash    text NOT NULL,
    hash         text NOT NULL,
    UNIQUE (handover_id, seq)
);

CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER handover_events_append_only
    BEFORE UPDATE OR DELETE ON handover_events
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Who read or wrote which person's data, when and why.
CREATE TABLE access_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    sub          text NOT NULL,
    org          text NOT NULL,
    unit         text NOT NULL,
    action       text NOT NULL,
    handover_ids uuid[] NOT NULL,
    purpose      text NOT NULL,
    request_id   text NOT NULL
);
CREATE INDEX access_log_handover_idx ON access_log USING gin (handover_ids);
CREATE INDEX access_log_sub_at_idx ON access_log (sub, at);
CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- migrate:down
DROP TABLE access_log;
DROP TABLE handover_events;
DROP FUNCTION forbid_change();
DROP TABLE handovers;
DROP SEQUENCE handover_reference_seq;
