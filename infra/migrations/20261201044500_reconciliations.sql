-- migrate:up
-- One row per run of the reconciliation workflow (workflows/reconcile.py): how many open
-- requests it compared with the read model and which it repaired (ids and versions only,
-- never personal data). /metrics reads it (services/handover/sql/metrics.sql).
CREATE TABLE reconciliations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_id     text NOT NULL,
    trigger         text NOT NULL,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    checked         integer NOT NULL,
    skipped         integer NOT NULL,
    busy            integer NOT NULL,
    repaired        integer NOT NULL,
    events_written  integer NOT NULL,
    failed          integer NOT NULL,
    -- [{handover_id, workflow_version, read_version, events_written, row_moved}]
    repairs         jsonb NOT NULL
);
CREATE INDEX reconciliations_finished_idx ON reconciliations (finished_at DESC);

-- migrate:down
DROP TABLE reconciliations;
