-- The workflow's status changes, in its own order (a stale one changes nothing); stopped is final.
UPDATE webhook_subscriptions
SET status = $2, status_reason = $3, status_changed_at = now(), status_version = $4
WHERE id = $1 AND status_version < $4 AND status <> 'stopped'
