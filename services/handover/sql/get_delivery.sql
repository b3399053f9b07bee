SELECT handover_id::text AS handover_id, seq
FROM webhook_deliveries
WHERE id = :id::uuid AND subscription_id = :subscription_id::uuid
