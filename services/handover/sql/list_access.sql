-- Reads of personal data, newest first, one row per (read, request). A read is outside the
-- reader's own cases when the reader's unit is no party and the reader no coordinator or
-- auditor. Keyset on (access id, handover id).
SELECT a.id, a.at, a.sub, a.org, a.unit, a.roles, a.action, a.purpose, a.request_id,
       h.id::text AS handover_id, h.reference,
       NOT (a.unit = ANY (h.parties))
           AND NOT (a.roles && ARRAY['coordinator', 'auditor']::text[]) AS outside_own_cases
FROM access_log a
CROSS JOIN LATERAL unnest(a.handover_ids) AS x (handover_id)
JOIN handovers h ON h.id = x.handover_id
WHERE (:handover_id::uuid IS NULL OR h.id = :handover_id)
  AND (:sub::text IS NULL OR a.sub = :sub)
  AND (:unit::text IS NULL OR a.unit = :unit)
  AND (:outside_own_cases::boolean IS NULL
       OR (NOT (a.unit = ANY (h.parties))
           AND NOT (a.roles && ARRAY['coordinator', 'auditor']::text[])) = :outside_own_cases)
  AND (:after_key::bigint IS NULL OR (a.id, h.id) < (:after_key, :after_id::uuid))
ORDER BY a.id DESC, h.id DESC
LIMIT :limit
