INSERT INTO webhook_deliveries
    (id, subscription_id, handover_id, seq, attempt, redelivery, outcome, http_status, error,
     duration_ms, next_attempt_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
