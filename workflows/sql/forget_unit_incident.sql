-- Erasure of a unit incident: the key goes; the sealed texts with it. The facts stay.
UPDATE incident_keys SET key = NULL, erased_at = $2 WHERE incident_id = $1 AND key IS NOT NULL
