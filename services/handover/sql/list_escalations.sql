-- Newest first, keyset on (at, id). Scope, by the rule of who may see a request
-- (handover_visible): :org (national coordinator: every escalation involving the agency), or
-- :region "org:region" (regional coordinator); the other filters, when null, do not filter.
SELECT e.id::text AS id, e.handover_id::text AS handover_id, e.reference, e.kind, e.level,
       e.subject, e.legal, e.at, e.detail, e.units, e.acknowledged_at, e.acknowledged_by, e.note
FROM escalations e
WHERE handover_visible(e.units, NULL, e.orgs, e.regions, NULL, NULL, :org, :region)
  AND (:unit::text IS NULL OR :unit = ANY(e.units))
  AND (:kind::text IS NULL OR e.kind = :kind)
  AND (:level::text IS NULL OR e.level = :level)
  AND (:acknowledged::boolean IS NULL OR (e.acknowledged_at IS NOT NULL) = :acknowledged)
  AND (:after_key::timestamptz IS NULL OR (e.at, e.id) < (:after_key, :after_id::uuid))
ORDER BY e.at DESC, e.id DESC
LIMIT :limit
