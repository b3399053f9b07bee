-- The read model's view of the given requests: the row's version (null: no row) and the
-- events it holds (how many, the highest seq), to compare with each request's workflow.
SELECT i.id::text AS id, h.version, e.events, e.last_seq
FROM unnest($1::uuid[]) AS i (id)
LEFT JOIN handovers h ON h.id = i.id
LEFT JOIN LATERAL (
    SELECT count(*)::int AS events, max(seq) AS last_seq
    FROM handover_events
    WHERE handover_id = i.id
) e ON true
