-- A row only moves forward in version, whatever order retries arrive in; RETURNING tells
-- whether this projection is the newest, so child tables are rewritten only then.
INSERT INTO handovers AS h
    (id, reference, kind, state, version, from_unit, to_unit, responsible_unit, parties,
     created_at, updated_at, doc, requesting_unit, executing_unit, executing_org,
     next_due_at, breached, person_key, sealed, identity_sealed, orgs, regions)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
       coalesce((SELECT array_agg(DISTINCT u.org) FROM units u WHERE u.id = ANY($9::text[])),
                '{}'),
       coalesce((SELECT array_agg(DISTINCT u.org || ':' || u.region) FROM units u
                 WHERE u.id = ANY($9::text[])), '{}')
ON CONFLICT (id) DO UPDATE SET
    state = excluded.state,
    version = excluded.version,
    responsible_unit = excluded.responsible_unit,
    parties = excluded.parties,
    updated_at = excluded.updated_at,
    doc = excluded.doc,
    next_due_at = excluded.next_due_at,
    breached = excluded.breached,
    person_key = excluded.person_key,
    sealed = excluded.sealed,
    identity_sealed = excluded.identity_sealed,
    orgs = excluded.orgs,
    regions = excluded.regions
WHERE h.version < excluded.version
RETURNING version
