-- migrate:up
-- Both kinds of request: the parties are the requesting and the executing unit; origin and
-- destination may lie outside both agencies (no unit), and nobody may hold the person yet.
ALTER TABLE handovers ALTER COLUMN from_unit DROP NOT NULL;
ALTER TABLE handovers ALTER COLUMN to_unit DROP NOT NULL;
ALTER TABLE handovers ALTER COLUMN responsible_unit DROP NOT NULL;
ALTER TABLE handovers ADD COLUMN requesting_unit text REFERENCES units (id);
ALTER TABLE handovers ADD COLUMN executing_unit text REFERENCES units (id);
-- Kriminalvården's transport units plan every transport their agency executes.
ALTER TABLE handovers ADD COLUMN executing_org text NOT NULL DEFAULT 'kriminalvarden';
CREATE INDEX handovers_executing_org_created_idx ON handovers (executing_org, created_at DESC, id DESC);
UPDATE handovers SET requesting_unit = from_unit, executing_unit = to_unit;
ALTER TABLE handovers ALTER COLUMN requesting_unit SET NOT NULL;
ALTER TABLE handovers ALTER COLUMN executing_unit SET NOT NULL;

-- Who held the person when: gapless, no overlap (the workflow guarantees it; the
-- exclusion constraint makes PostgreSQL refuse anything else).
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE custody_segments (
    handover_id uuid NOT NULL REFERENCES handovers (id),
    position    integer NOT NULL,
    unit        text NOT NULL REFERENCES units (id),
    org         text NOT NULL,
    since       timestamptz NOT NULL,
    until       timestamptz,
    PRIMARY KEY (handover_id, position),
    CHECK (until IS NULL OR until >= since),
    EXCLUDE USING gist (
        handover_id WITH =,
        tstzrange(since, until, '[)') WITH &&
    )
);
CREATE INDEX custody_segments_unit_idx ON custody_segments (unit, since);

-- Incidents per request, kept for follow-up and statistics per unit.
CREATE TABLE incidents (
    handover_id  uuid NOT NULL REFERENCES handovers (id),
    number       integer NOT NULL,
    kind         text NOT NULL,
    severity     text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL,
    unit         text NOT NULL,
    doc          jsonb NOT NULL,
    PRIMARY KEY (handover_id, number)
);
CREATE INDEX incidents_unit_idx ON incidents (unit, occurred_at);
CREATE INDEX incidents_severity_idx ON incidents (severity, occurred_at);

-- migrate:down
DROP TABLE incidents;
DROP TABLE custody_segments;
ALTER TABLE handovers DROP COLUMN executing_org;
ALTER TABLE handovers DROP COLUMN executing_unit;
ALTER TABLE handovers DROP COLUMN requesting_unit;
