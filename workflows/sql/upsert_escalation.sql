INSERT INTO escalations AS e
    (id, handover_id, reference, kind, level, subject, legal, at, detail, units, regions, orgs,
     acknowledged_at, acknowledged_by, note)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
       coalesce((SELECT array_agg(DISTINCT u.org || ':' || u.region) FROM units u
                 WHERE u.id = ANY($10::text[])), '{}'),
       coalesce((SELECT array_agg(DISTINCT u.org) FROM units u WHERE u.id = ANY($10::text[])),
                '{}'),
       $11, $12, $13
ON CONFLICT (id) DO UPDATE SET
    acknowledged_at = excluded.acknowledged_at,
    acknowledged_by = excluded.acknowledged_by,
    note = excluded.note
