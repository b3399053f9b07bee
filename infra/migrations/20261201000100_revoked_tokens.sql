-- migrate:up
-- Tokens refused before they expire (a lost phone, a leaked token): one token by its `jti`,
-- or every token of a subject while `until` lies ahead. Every API process re-reads the
-- rows still in force every few seconds.
CREATE TABLE revoked_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    jti         text,
    sub         text,
    until       timestamptz NOT NULL,
    reason      text NOT NULL,
    revoked_by  text NOT NULL,
    revoked_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((jti IS NULL) <> (sub IS NULL))
);
CREATE INDEX revoked_tokens_until_idx ON revoked_tokens (until);

-- migrate:down
DROP TABLE revoked_tokens;
