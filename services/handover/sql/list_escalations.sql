-- Newest first, keyset on (at, id). Scope: $1 org (national coordinator: every escalation
-- involving the agency), or $2 "org:region" (regional coordinator); null filters do not filter.
SELECT id, handover_id, reference, kind, level, subject, legal, at, detail, units,
       acknowledged_at, acknowledged_by, note
FROM escalations
WHERE ($1::text IS NULL OR $1 = ANY(orgs))
  AND ($2::text IS NULL OR $2 = ANY(regions))
  AND ($3::text IS NULL OR $3 = ANY(units))
  AND ($4::text IS NULL OR kind = $4)
  AND ($5::text IS NULL OR level = $5)
  AND ($6::boolean IS NULL OR (acknowledged_at IS NOT NULL) = $6)
  AND ($7::timestamptz IS NULL OR (at, id) < ($7, $8::uuid))
ORDER BY at DESC, id DESC
LIMIT $9
