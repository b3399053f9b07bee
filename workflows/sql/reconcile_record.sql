-- A finished reconciliation run; runs that repaired nothing are kept 30 days.
WITH pruned AS (
    DELETE FROM reconciliations
    WHERE repaired = 0 AND failed = 0 AND finished_at < now() - interval '30 days'
)
INSERT INTO reconciliations
    (workflow_id, trigger, started_at, finished_at, checked, skipped, busy, repaired,
     events_written, failed, repairs)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
