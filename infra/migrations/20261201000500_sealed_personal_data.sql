-- migrate:up
-- Crypto-shredding. Each request's personal data is stored only sealed (AES-256-GCM) with a
-- key of its own; erasure overwrites the key (a tombstone stays, so a late retry cannot
-- make a new one) and everything sealed with it becomes unreadable, in the append-only
-- event log too. The clear columns keep only non-personal facts (contracts/personal.py).
CREATE TABLE request_keys (
    handover_id uuid PRIMARY KEY,
    key         bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    erased_at   timestamptz,
    CHECK ((key IS NULL) = (erased_at IS NOT NULL)),
    CHECK (key IS NULL OR octet_length(key) = 32)
);

-- The whole record, and the identity lists show masked, sealed with the request's key;
-- `doc` holds the facts only.
ALTER TABLE handovers ADD COLUMN sealed bytea;
ALTER TABLE handovers ADD COLUMN identity_sealed bytea;

-- Events since canonical-json-v2: the data and its salt sealed (or, for the service's own
-- events that hold no personal data, in clear), the digest the hash chain covers in clear.
ALTER TABLE handover_events ALTER COLUMN data DROP NOT NULL;
ALTER TABLE handover_events ADD COLUMN hash_alg text NOT NULL DEFAULT 'msgspec-sorted-v1';
ALTER TABLE handover_events ADD COLUMN salt text;
ALTER TABLE handover_events ADD COLUMN data_digest text;
ALTER TABLE handover_events ADD COLUMN sealed bytea;

-- migrate:down
ALTER TABLE handover_events DROP COLUMN sealed;
ALTER TABLE handover_events DROP COLUMN data_digest;
ALTER TABLE handover_events DROP COLUMN salt;
ALTER TABLE handover_events DROP COLUMN hash_alg;
ALTER TABLE handovers DROP COLUMN identity_sealed;
ALTER TABLE handovers DROP COLUMN sealed;
DROP TABLE request_keys;
