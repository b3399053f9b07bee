-- The requests of a unit's JO export: the unit is a party, created in
-- [:period_start, :period_end) or with a deadline breached then, within the caller's scope
-- (handover_visible, as inspection.sql). Keyset on (created_at, id), oldest first.
SELECT h.id::text AS id, h.created_at
FROM handovers h
WHERE h.parties @> ARRAY[:unit::text]
  AND handover_visible(h.parties, NULL, h.orgs, h.regions, NULL, NULL, :org, :region)
  AND ((h.created_at >= :period_start AND h.created_at < :period_end)
       OR EXISTS (SELECT 1 FROM deadlines d
                  WHERE d.handover_id = h.id
                    AND d.breached_at >= :period_start AND d.breached_at < :period_end))
  AND (:after_key::timestamptz IS NULL OR (h.created_at, h.id) > (:after_key, :after_id::uuid))
ORDER BY h.created_at, h.id
LIMIT :limit
