INSERT INTO deadlines
    (handover_id, id, name, legal, state, starts_at, due_at, warn_at, met_at, breached_at,
     policy_version)
SELECT $1, d.id, d.name, d.legal, d.state, d.starts_at, d.due_at, d.warn_at, d.met_at,
       d.breached_at, d.policy_version
FROM unnest($2::text[], $3::text[], $4::bool[], $5::text[], $6::timestamptz[],
            $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[],
            $11::int[])
    AS d (id, name, legal, state, starts_at, due_at, warn_at, met_at, breached_at,
          policy_version)
