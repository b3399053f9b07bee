SELECT id, name, org, kind, region, municipality
FROM units
WHERE active AND (:org::text IS NULL OR org = :org) AND (:kind::text IS NULL OR kind = :kind)
ORDER BY org, kind, name
