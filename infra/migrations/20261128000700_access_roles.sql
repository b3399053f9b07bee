-- migrate:up
-- The reader's roles, so auditors can tell a coordinator's read from a lookup outside one's
-- own cases (the "unauthorised lookup" pattern).
ALTER TABLE access_log ADD COLUMN roles text[] NOT NULL DEFAULT '{}';
CREATE INDEX access_log_unit_at_idx ON access_log (unit, at);

-- migrate:down
DROP INDEX access_log_unit_at_idx;
ALTER TABLE access_log DROP COLUMN roles;
