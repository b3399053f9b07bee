SELECT e.handover_id::text AS handover_id, e.seq, e.type, e.actor, e.occurred_at,
       e.recorded_at, e.data, e.request_id, e.prev_hash, e.hash, e.hash_alg, e.salt,
       e.data_digest, e.sealed, k.key
FROM handover_events e
LEFT JOIN request_keys k ON k.handover_id = e.handover_id
WHERE e.handover_id = :handover_id
ORDER BY e.seq
