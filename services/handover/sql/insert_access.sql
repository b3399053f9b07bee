INSERT INTO access_log (sub, org, unit, action, handover_ids, purpose, request_id, roles)
VALUES ($1, $2, $3, $4, $5::uuid[], $6, $7, $8::text[])
