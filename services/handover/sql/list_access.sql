-- Reads of personal data, newest first, one row per (read, request). A read is outside the
-- reader's own cases when the reader's unit is no party to the request, whatever the role
-- (a coordinator's read is legitimate, but it says why with X-Purpose). Flags name the
-- patterns of an unauthorised lookup: outside one's cases without a stated purpose, at an
-- unusual hour in Stockholm (22-06), and many distinct requests read one by one by a user
-- within the hour up to the read (lists are masked and the feed is for systems). The last
-- is counted for the rows of the page only, and stops counting at the threshold.
-- Keyset on (access id, handover id).
WITH page AS (
    SELECT a.id, a.at, a.sub, a.org, a.unit, a.roles, a.action, a.purpose, a.request_id,
           h.id AS hid, h.reference, r.outside_own_cases,
           array_remove(ARRAY[
               CASE WHEN r.outside_own_cases AND a.purpose = 'unstated'
                    THEN 'outside_own_cases_without_purpose' END,
               CASE WHEN r.unusual_hour THEN 'unusual_hour' END
           ], NULL) AS flags
    FROM access_log a
    CROSS JOIN LATERAL unnest(a.handover_ids) AS x (handover_id)
    JOIN handovers h ON h.id = x.handover_id
    CROSS JOIN LATERAL (
        SELECT NOT (a.unit = ANY (h.parties)) AS outside_own_cases,
               extract(hour FROM a.at AT TIME ZONE 'Europe/Stockholm')
                   NOT BETWEEN 6 AND 21 AS unusual_hour
    ) AS r
    WHERE (:handover_id::uuid IS NULL OR h.id = :handover_id)
      AND (:person_key::text IS NULL OR h.person_key = :person_key)
      AND (:sub::text IS NULL OR a.sub = :sub)
      AND (:unit::text IS NULL OR a.unit = :unit)
      AND (:outside_own_cases::boolean IS NULL OR r.outside_own_cases = :outside_own_cases)
      AND (:flagged::boolean IS NULL OR :flagged = (
            (r.outside_own_cases AND a.purpose = 'unstated') OR r.unusual_hour))
      AND (:after_key::bigint IS NULL OR (a.id, h.id) < (:after_key, :after_id::uuid))
    ORDER BY a.id DESC, h.id DESC
    LIMIT :limit
)
SELECT p.id, p.at, p.sub, p.org, p.unit, p.roles, p.action, p.purpose, p.request_id,
       p.hid::text AS handover_id, p.reference, p.outside_own_cases,
       p.flags || CASE WHEN (
           SELECT count(*) FROM (
               SELECT DISTINCT y.handover_id
               FROM access_log b CROSS JOIN LATERAL unnest(b.handover_ids) AS y (handover_id)
               WHERE b.sub = p.sub AND b.at > p.at - interval '1 hour' AND b.at <= p.at
                 AND b.action NOT IN ('list', 'read_feed')
               LIMIT :many_persons + 1
           ) AS distinct_reads
       ) > :many_persons THEN ARRAY['many_persons'] ELSE ARRAY[]::text[] END AS flags
FROM page p
ORDER BY p.id DESC, p.hid DESC
