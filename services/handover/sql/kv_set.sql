-- The rate-limit store (services/handover/ratelimit.py): write a value with its expiry.
INSERT INTO kv_store (key, value, expires_at)
VALUES (:key, :value, now() + make_interval(secs => :seconds))
ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
