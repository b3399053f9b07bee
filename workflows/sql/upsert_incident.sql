INSERT INTO incidents (handover_id, number, kind, severity, occurred_at, recorded_at, unit, doc)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (handover_id, number) DO NOTHING
