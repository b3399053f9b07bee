-- migrate:up
-- "Who read this person": each request row carries a keyed pseudonym of the person's
-- identity number (HMAC-SHA256; the key is outside the database), so the access log can be
-- searched by person without ever holding a number in clear. Searches by reader and by hour
-- find the patterns of an unauthorised lookup.
ALTER TABLE handovers ADD COLUMN person_key text;
CREATE INDEX handovers_person_key_idx ON handovers (person_key) WHERE person_key IS NOT NULL;
CREATE INDEX access_log_at_idx ON access_log (at);

-- migrate:down
DROP INDEX access_log_at_idx;
DROP INDEX handovers_person_key_idx;
ALTER TABLE handovers DROP COLUMN person_key;
