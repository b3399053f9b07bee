-- Reads of personal data, newest first, one row per (read, request). A read is outside the
-- reader's own cases when the reader's unit is no party and the reader no coordinator or
-- auditor. Keyset on (access id, handover id).
SELECT a.id, a.at, a.sub, a.org, a.unit, a.roles, a.action, a.purpose, a.request_id,
       h.id AS handover_id, h.reference,
       NOT (a.unit = ANY (h.parties))
           AND NOT (a.roles && ARRAY['coordinator', 'auditor']::text[]) AS outside_own_cases
FROM access_log a
CROSS JOIN LATERAL unnest(a.handover_ids) AS x (handover_id)
JOIN handovers h ON h.id = x.handover_id
WHERE ($1::uuid IS NULL OR h.id = $1)
  AND ($2::text IS NULL OR a.sub = $2)
  AND ($3::text IS NULL OR a.unit = $3)
  AND ($4::boolean IS NULL
       OR (NOT (a.unit = ANY (h.parties))
           AND NOT (a.roles && ARRAY['coordinator', 'auditor']::text[])) = $4)
  AND ($5::bigint IS NULL OR (a.id, h.id) < ($5, $6::uuid))
ORDER BY a.id DESC, h.id DESC
LIMIT $7
