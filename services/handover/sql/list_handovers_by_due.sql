-- What falls due next: only requests with an open deadline, soonest first; keyset on
-- (next_due_at, id). The same parameters as list_handovers.sql.
SELECT h.id::text AS id, h.reference, h.kind, h.state, h.version, h.requesting_unit,
       h.executing_unit, h.responsible_unit, h.created_at, h.updated_at, h.next_due_at,
       h.breached, h.doc -> 'person' -> 'identity' AS identity, h.identity_sealed, k.key, h.next_due_at AS sort_key
FROM handovers h
LEFT JOIN request_keys k ON k.handover_id = h.id
WHERE h.next_due_at IS NOT NULL
  AND handover_visible(h.parties, h.executing_org, h.orgs, h.regions,
                       :visible_units, :executing_org, :scope_org, :scope_region)
  AND (:state::text IS NULL OR h.state = :state)
  AND (:kind::text IS NULL OR h.kind = :kind)
  AND (:unit::text IS NULL OR h.parties @> ARRAY[:unit])
  AND (:after_key::timestamptz IS NULL OR (h.next_due_at, h.id) > (:after_key, :after_id::uuid))
  AND (:due_before::timestamptz IS NULL OR h.next_due_at < :due_before)
  AND (:breached::boolean IS NULL OR h.breached = :breached)
  AND (:legal_basis::text IS NULL OR h.doc -> 'assistance' ->> 'legal_basis' = :legal_basis)
ORDER BY h.next_due_at, h.id
LIMIT :limit
