INSERT INTO access_log (sub, org, unit, action, handover_ids, purpose, request_id)
VALUES ($1, $2, $3, $4, $5::uuid[], $6, $7)
