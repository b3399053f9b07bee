-- What falls due next: only requests with an open deadline, soonest first; keyset on
-- (next_due_at, id). The same parameters as list_handovers.sql.
SELECT h.id::text AS id, h.reference, h.kind, h.state, h.version, h.requesting_unit,
       h.executing_unit, h.responsible_unit, h.created_at, h.updated_at, h.next_due_at,
       h.breached, h.doc -> 'person' -> 'identity' AS identity, h.next_due_at AS sort_key
FROM handovers h
WHERE h.next_due_at IS NOT NULL
  AND (
      h.parties && :visible_units      -- the units that are parties
      OR h.executing_org = :executing_org -- Kriminalvården's transport units: every transport
      OR :scope_org = ANY(h.orgs)         -- national coordinators: their agency
      OR :scope_region = ANY(h.regions)   -- regional coordinators: "org:region"
  )
  AND (:state::text IS NULL OR h.state = :state)
  AND (:kind::text IS NULL OR h.kind = :kind)
  AND (:unit::text IS NULL OR h.parties @> ARRAY[:unit])
  AND (:after_key::timestamptz IS NULL OR (h.next_due_at, h.id) > (:after_key, :after_id::uuid))
  AND (:due_before::timestamptz IS NULL OR h.next_due_at < :due_before)
  AND (:breached::boolean IS NULL OR h.breached = :breached)
ORDER BY h.next_due_at, h.id
LIMIT :limit
