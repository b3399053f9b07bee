-- One subscription of the caller's unit (never its secret).
SELECT id::text AS id, org, unit, url, event_types, description, status, status_reason,
       status_changed_at, created_by, created_at
FROM webhook_subscriptions
WHERE id = :id::uuid AND org = :org AND unit = :unit
