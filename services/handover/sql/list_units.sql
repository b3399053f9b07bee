SELECT id, name, org, kind, region, municipality
FROM units
WHERE active AND ($1::text IS NULL OR org = $1) AND ($2::text IS NULL OR kind = $2)
ORDER BY org, kind, name
