SELECT seq, type, actor, occurred_at, recorded_at, data, request_id, prev_hash, hash
FROM handover_events
WHERE handover_id = :handover_id
ORDER BY seq
