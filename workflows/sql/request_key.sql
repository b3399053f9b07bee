-- The request's key, made on its first projection; null once erased (the tombstone stays,
-- so a late retry never makes a new key for an erased request).
WITH made AS (
    INSERT INTO request_keys (handover_id, key) VALUES ($1, $2)
    ON CONFLICT (handover_id) DO NOTHING
    RETURNING key
)
SELECT key FROM made
UNION ALL
SELECT key FROM request_keys WHERE handover_id = $1
LIMIT 1
