-- A subscription whose workflow could not be started (it has no deliveries yet).
DELETE FROM webhook_subscriptions WHERE id = :id::uuid
