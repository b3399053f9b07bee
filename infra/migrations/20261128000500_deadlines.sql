-- migrate:up
-- Deadlines and escalations, projected from each request's workflow.

-- National coordination units see their whole agency; regional ones their region.
ALTER TABLE units ADD COLUMN national boolean NOT NULL DEFAULT false;
UPDATE units SET national = true
WHERE id IN ('kv-samordning-nationell', 'pol-ledningscentral-nationell');
ALTER TABLE handovers ADD COLUMN next_due_at timestamptz;
ALTER TABLE handovers ADD COLUMN breached boolean NOT NULL DEFAULT false;
-- "what breaks next" across all requests, and "what broke"
CREATE INDEX handovers_next_due_idx ON handovers (next_due_at, id) WHERE next_due_at IS NOT NULL;
CREATE INDEX handovers_breached_idx ON handovers (created_at DESC, id DESC) WHERE breached;

CREATE TABLE deadlines (
    handover_id uuid NOT NULL REFERENCES handovers (id),
    id          text NOT NULL,
    name        text NOT NULL,
    legal       boolean NOT NULL,
    state       text NOT NULL,
    starts_at   timestamptz NOT NULL,
    due_at      timestamptz NOT NULL,
    warn_at     timestamptz NOT NULL,
    met_at      timestamptz,
    breached_at timestamptz,
    policy_version integer NOT NULL,
    PRIMARY KEY (handover_id, id)
);
CREATE INDEX deadlines_open_due_idx ON deadlines (due_at)
    WHERE state IN ('running', 'warned', 'extended');
CREATE INDEX deadlines_name_state_idx ON deadlines (name, state);

CREATE TABLE escalations (
    id              uuid PRIMARY KEY,
    handover_id     uuid NOT NULL REFERENCES handovers (id),
    reference       text NOT NULL,
    kind            text NOT NULL,
    level           text NOT NULL,
    subject         text NOT NULL,
    legal           boolean NOT NULL,
    at              timestamptz NOT NULL,
    detail          text NOT NULL,
    units           text[] NOT NULL,
    -- "org:region" of every party unit, for regional coordinators
    regions         text[] NOT NULL,
    orgs            text[] NOT NULL,
    acknowledged_at timestamptz,
    acknowledged_by jsonb,
    note            text
);
CREATE INDEX escalations_open_idx ON escalations (at DESC, id) WHERE acknowledged_at IS NULL;
CREATE INDEX escalations_at_idx ON escalations (at DESC, id);
CREATE INDEX escalations_units_idx ON escalations USING gin (units);
CREATE INDEX escalations_regions_idx ON escalations USING gin (regions);

-- migrate:down
DROP TABLE escalations;
DROP TABLE deadlines;
ALTER TABLE handovers DROP COLUMN breached;
ALTER TABLE handovers DROP COLUMN next_due_at;
ALTER TABLE units DROP COLUMN national;
