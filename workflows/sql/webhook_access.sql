-- A delivery sent a person's data to the subscriber: audited like a read by its unit.
INSERT INTO access_log (sub, org, unit, action, handover_ids, purpose, request_id, roles)
VALUES ($1, $2, $3, 'webhook_delivery', $4::uuid[], $5, $6, $7::text[])
