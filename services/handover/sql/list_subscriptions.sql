-- The subscriptions of a unit, oldest first (never their secrets).
SELECT id::text AS id, org, unit, url, event_types, description, status, status_reason,
       status_changed_at, created_by, created_at
FROM webhook_subscriptions
WHERE org = :org AND unit = :unit
ORDER BY created_at, id
