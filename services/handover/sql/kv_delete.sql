DELETE FROM kv_store WHERE (:key::text IS NULL OR key = :key)
