-- A live value, its expiry renewed when asked; an expired one is as good as absent.
UPDATE kv_store SET expires_at = coalesce(now() + make_interval(secs => :renew), expires_at)
WHERE key = :key AND (expires_at IS NULL OR expires_at > now())
RETURNING value
