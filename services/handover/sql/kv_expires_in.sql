SELECT extract(epoch FROM expires_at - now()) AS seconds FROM kv_store WHERE key = :key
