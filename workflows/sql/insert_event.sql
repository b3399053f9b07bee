-- An event is written once: a retried projection finds it there and moves on.
INSERT INTO handover_events
    (handover_id, seq, type, actor, occurred_at, recorded_at, data, request_id, prev_hash, hash,
     hash_alg, salt, data_digest, sealed)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (handover_id, seq) DO NOTHING
