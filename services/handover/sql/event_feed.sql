-- Events after the cursor (transaction, sequence), oldest first, only of transactions that
-- can no longer be overtaken; visibility as in list_handovers.sql.
SELECT e.tx::text AS tx, e.global_seq, e.handover_id::text AS handover_id, h.reference, e.seq,
       e.type, e.actor, e.occurred_at, e.recorded_at, e.data, e.sealed, k.key
FROM handover_events e
JOIN handovers h ON h.id = e.handover_id
LEFT JOIN request_keys k ON k.handover_id = e.handover_id
WHERE e.tx < pg_snapshot_xmin(pg_current_snapshot())
  AND (:after_tx::text IS NULL OR (e.tx, e.global_seq) > (:after_tx::xid8, :after_seq::bigint))
  AND handover_visible(h.parties, h.executing_org, h.orgs, h.regions,
                       :visible_units, :executing_org, :scope_org, :scope_region)
ORDER BY e.tx, e.global_seq
LIMIT :limit
