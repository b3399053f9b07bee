-- Events after the cursor ($1 transaction, $2 sequence), oldest first, only of transactions
-- that can no longer be overtaken; visibility as in list_handovers.sql.
SELECT e.tx::text AS tx, e.global_seq, e.handover_id, h.reference, e.seq, e.type, e.actor,
       e.occurred_at, e.recorded_at, e.data
FROM handover_events e
JOIN handovers h ON h.id = e.handover_id
WHERE e.tx < pg_snapshot_xmin(pg_current_snapshot())
  AND ($1::text IS NULL OR (e.tx, e.global_seq) > ($1::xid8, $2::bigint))
  AND (
      ($3::text[] IS NULL AND $5::text IS NULL AND $6::text IS NULL)
      OR h.parties && $3
      OR h.executing_org = $4
      OR $5 = ANY(h.orgs)
      OR $6 = ANY(h.regions)
  )
ORDER BY e.tx, e.global_seq
LIMIT $7
