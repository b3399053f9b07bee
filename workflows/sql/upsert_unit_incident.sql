-- A unit incident's row only moves forward in version, whatever order retries arrive in.
INSERT INTO unit_incidents AS i
    (id, version, unit, org, region, kind, severity, setting, staff_injured, occurred_at,
     recorded_at, investigation, measures, measures_done, opened_at, closed_at, report_due_at,
     reported_at, updated_at, sealed)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20)
ON CONFLICT (id) DO UPDATE SET
    version = excluded.version,
    investigation = excluded.investigation,
    measures = excluded.measures,
    measures_done = excluded.measures_done,
    opened_at = excluded.opened_at,
    closed_at = excluded.closed_at,
    reported_at = excluded.reported_at,
    updated_at = excluded.updated_at,
    sealed = excluded.sealed
WHERE i.version < excluded.version
