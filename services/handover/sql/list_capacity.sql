-- What each remand prison and prison published last, optionally of one region or one unit.
SELECT u.id AS unit, u.name, u.org, u.kind, u.region, c.categories, c.as_of, c.updated_at,
       c.updated_by
FROM unit_capacity c
JOIN units u ON u.id = c.unit_id
WHERE u.active
  AND (:region::text IS NULL OR u.region = :region)
  AND (:unit::text IS NULL OR u.id = :unit)
ORDER BY u.region, u.name
