-- The next events a subscription may see, after its cursor (or from its start), oldest first,
-- only of transactions that can no longer be overtaken (as services/handover/sql/event_feed.sql).
SELECT e.tx::text AS tx, e.global_seq, e.handover_id::text AS handover_id, e.seq
FROM webhook_subscriptions s
JOIN handover_events e
  ON (e.tx, e.global_seq) > (COALESCE($2::xid8, s.start_tx), COALESCE($3::bigint, 0))
JOIN handovers h ON h.id = e.handover_id
WHERE s.id = $1
  AND e.tx < pg_snapshot_xmin(pg_current_snapshot())
  AND (s.event_types IS NULL OR e.type = ANY (s.event_types))
  AND handover_visible(h.parties, h.executing_org, h.orgs, h.regions,
                       s.visible_units, s.executing_org, s.scope_org, s.scope_region)
ORDER BY e.tx, e.global_seq
LIMIT $4
