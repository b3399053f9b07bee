-- Events after the cursor (transaction, sequence), oldest first, only of transactions that
-- can no longer be overtaken; visibility as in list_handovers.sql.
SELECT e.tx::text AS tx, e.global_seq, e.handover_id::text AS handover_id, h.reference, e.seq,
       e.type, e.actor, e.occurred_at, e.recorded_at, e.data
FROM handover_events e
JOIN handovers h ON h.id = e.handover_id
WHERE e.tx < pg_snapshot_xmin(pg_current_snapshot())
  AND (:after_tx::text IS NULL OR (e.tx, e.global_seq) > (:after_tx::xid8, :after_seq::bigint))
  AND (
      h.parties && :visible_units
      OR h.executing_org = :executing_org
      OR :scope_org = ANY(h.orgs)
      OR :scope_region = ANY(h.regions)
  )
ORDER BY e.tx, e.global_seq
LIMIT :limit
