-- Stop a subscription whose workflow is gone (the workflow writes the status otherwise).
UPDATE webhook_subscriptions
SET status = 'stopped', status_reason = :reason, status_changed_at = now()
WHERE id = :id::uuid AND status <> 'stopped'
