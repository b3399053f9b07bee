-- Unit incidents as facts (no text), newest first, in the caller's scope: its own units,
-- its agency (national coordination) or its region ("org:region"). Keyset on
-- (occurred_at, id); optional unit, investigation state and period filters.
SELECT i.id::text AS id, i.unit, i.kind, i.severity, i.setting, i.staff_injured, i.occurred_at,
       i.recorded_at, i.investigation, i.measures, i.measures_done, i.opened_at, i.closed_at,
       i.report_due_at, i.reported_at,
       (i.report_due_at IS NOT NULL AND coalesce(i.reported_at, now()) > i.report_due_at)
           AS report_overdue
FROM unit_incidents i
WHERE (i.unit = ANY (:units::text[])
       OR (:org::text IS NOT NULL AND i.org = :org)
       OR (:region::text IS NOT NULL AND i.org || ':' || i.region = :region))
  AND (:unit::text IS NULL OR i.unit = :unit)
  AND (:investigation::text[] IS NULL OR i.investigation = ANY (:investigation::text[]))
  AND (:occurred_from::timestamptz IS NULL OR i.occurred_at >= :occurred_from)
  AND (:occurred_to::timestamptz IS NULL OR i.occurred_at < :occurred_to)
  AND (:after_key::timestamptz IS NULL OR (i.occurred_at, i.id) < (:after_key, :after_id::uuid))
ORDER BY i.occurred_at DESC, i.id DESC
LIMIT :limit
