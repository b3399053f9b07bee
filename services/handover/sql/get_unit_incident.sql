-- One unit incident: its facts, its sealed record and the incident's key (null once erased).
SELECT i.id::text AS id, i.unit, i.org, i.region, i.version, i.sealed, k.key
FROM unit_incidents i
LEFT JOIN incident_keys k ON k.incident_id = i.id
WHERE i.id = :incident_id
