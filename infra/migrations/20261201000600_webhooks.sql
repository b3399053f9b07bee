-- migrate:up
-- Webhook subscriptions (one delivery workflow each, `webhook-<id>`) and every delivery
-- attempt. The secret is stored only sealed (AES-256-GCM with HANDOVER_WEBHOOK_KEY, or the
-- payload key when that is unset; `secret_key_id` names the key) and is never read back by
-- the API. The visibility scope is the creator's at creation, the arguments of
-- handover_visible(); deliveries start at the feed position of the creation (`start_tx`).
CREATE TABLE webhook_subscriptions (
    id                uuid PRIMARY KEY,
    org               text NOT NULL,
    unit              text NOT NULL,
    url               text NOT NULL,
    event_types       text[],
    description       text,
    secret_sealed     bytea NOT NULL,
    secret_key_id     text NOT NULL,
    roles             text[] NOT NULL,
    visible_units     text[] NOT NULL,
    executing_org     text,
    scope_org         text,
    scope_region      text,
    start_tx          xid8 NOT NULL DEFAULT pg_snapshot_xmin(pg_current_snapshot()),
    status            text NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'paused', 'stopped')),
    status_reason     text,
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    status_version    bigint NOT NULL DEFAULT 0,
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_unit_idx ON webhook_subscriptions (org, unit, created_at);

CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id),
    handover_id     uuid NOT NULL,
    seq             integer NOT NULL,
    attempt         integer NOT NULL CHECK (attempt > 0),
    redelivery      boolean NOT NULL DEFAULT false,
    attempted_at    timestamptz NOT NULL DEFAULT now(),
    outcome         text NOT NULL CHECK (outcome IN ('delivered', 'failed')),
    http_status     integer,
    error           text,
    duration_ms     integer,
    next_attempt_at timestamptz
);
CREATE INDEX webhook_deliveries_recent_idx
    ON webhook_deliveries (subscription_id, attempted_at DESC, id);

-- migrate:down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
