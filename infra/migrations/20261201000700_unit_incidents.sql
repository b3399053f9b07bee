-- migrate:up
-- Incidents of a unit outside any request (in a cell, at a hearing, on the premises) and
-- their follow-up. Each is written only by its own workflow (`unit-incident-<id>`); the
-- texts are sealed with the incident's own key (erased at retention, as a request's), and
-- the columns keep the facts follow-up and JO inspections need.
CREATE TABLE incident_keys (
    incident_id uuid PRIMARY KEY,
    key         bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    erased_at   timestamptz,
    CHECK ((key IS NULL) = (erased_at IS NOT NULL)),
    CHECK (key IS NULL OR octet_length(key) = 32)
);

CREATE TABLE unit_incidents (
    id              uuid PRIMARY KEY,
    version         integer NOT NULL,
    unit            text NOT NULL,
    org             text NOT NULL,
    region          text NOT NULL,
    kind            text NOT NULL,
    severity        text NOT NULL,
    setting         text NOT NULL,
    staff_injured   boolean NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    investigation   text NOT NULL,
    measures        integer NOT NULL,
    measures_done   integer NOT NULL,
    opened_at       timestamptz,
    closed_at       timestamptz,
    report_due_at   timestamptz,
    reported_at     timestamptz,
    updated_at      timestamptz NOT NULL,
    sealed          bytea
);
CREATE INDEX unit_incidents_unit_idx ON unit_incidents (unit, occurred_at);
CREATE INDEX unit_incidents_open_idx ON unit_incidents (investigation, occurred_at);

-- Reads of a unit incident's texts are logged like reads of a request.
ALTER TABLE access_log ADD COLUMN incident_ids uuid[] NOT NULL DEFAULT '{}';

-- migrate:down
ALTER TABLE access_log DROP COLUMN incident_ids;
DROP TABLE unit_incidents;
DROP TABLE incident_keys;
