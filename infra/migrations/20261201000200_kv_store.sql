-- migrate:up
-- Short-lived shared state of the API processes (the per-client rate-limit windows), so that
-- no process holds state another replica needs.
CREATE TABLE kv_store (
    key         text PRIMARY KEY,
    value       bytea NOT NULL,
    expires_at  timestamptz
);

-- migrate:down
DROP TABLE kv_store;
