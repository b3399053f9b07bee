-- The custody chain as the workflow holds it; $2..$6 are parallel arrays. Runs after
-- delete_segments.sql in the same transaction.
INSERT INTO custody_segments (handover_id, position, unit, org, since, until)
SELECT $1, s.position, s.unit, s.org, s.since, s.until
FROM unnest($2::int[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])
    AS s (position, unit, org, since, until)
