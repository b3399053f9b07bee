-- The incident's key, made on its first projection; null once erased (the tombstone stays).
WITH made AS (
    INSERT INTO incident_keys (incident_id, key) VALUES ($1, $2)
    ON CONFLICT (incident_id) DO NOTHING
    RETURNING key
)
SELECT key FROM made
UNION ALL
SELECT key FROM incident_keys WHERE incident_id = $1
LIMIT 1
