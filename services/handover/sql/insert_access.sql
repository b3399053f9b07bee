INSERT INTO access_log (sub, org, unit, action, handover_ids, purpose, request_id, roles)
VALUES (:sub, :org, :unit, :action, :handover_ids::uuid[], :purpose, :request_id, :roles::text[])
