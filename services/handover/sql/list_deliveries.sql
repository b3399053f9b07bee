-- A subscription's recent delivery attempts, newest first.
SELECT d.id::text AS id, d.handover_id::text || ':' || d.seq AS event_id,
       d.handover_id::text AS handover_id, d.seq, d.attempt, d.redelivery, d.attempted_at,
       d.outcome, d.http_status, d.error, d.duration_ms, d.next_attempt_at
FROM webhook_deliveries d
WHERE d.subscription_id = :subscription_id::uuid
  AND (:outcome::text IS NULL OR d.outcome = :outcome)
ORDER BY d.attempted_at DESC, d.id
LIMIT :limit
