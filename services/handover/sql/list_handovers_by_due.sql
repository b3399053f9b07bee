-- What falls due next: only requests with an open deadline, soonest first; keyset on
-- (next_due_at, id). Same parameters as list_handovers.sql.
SELECT id, reference, kind, state, version, requesting_unit, executing_unit, responsible_unit,
       created_at, updated_at, next_due_at, breached,
       doc -> 'person' -> 'identity' AS identity
FROM handovers
WHERE next_due_at IS NOT NULL
  AND (
      ($1::text[] IS NULL AND $11::text IS NULL AND $12::text IS NULL)  -- auditors: all
      OR parties && $1
      OR executing_org = $8        -- Kriminalvården's transport units plan every transport
      OR $11 = ANY(orgs)           -- national coordinators: their agency
      OR $12 = ANY(regions)        -- regional coordinators: "org:region"
  )
  AND ($2::text IS NULL OR state = $2)
  AND ($3::text IS NULL OR kind = $3)
  AND ($4::text IS NULL OR parties @> ARRAY[$4])
  AND ($5::timestamptz IS NULL OR (next_due_at, id) > ($5, $6::uuid))
  AND ($9::timestamptz IS NULL OR next_due_at < $9)
  AND ($10::boolean IS NULL OR breached = $10)
ORDER BY next_due_at, id
LIMIT $7
