-- migrate:up
-- Free places that remand prisons and prisons publish, by category (`PUT /v1/units/{id}/
-- capacity`). Reference data about units: not personal data and not the state of any request,
-- so the API writes it here directly (the request workflows only ever see it as a copy passed
-- in a deferral's command). One row per unit: its last publication replaces the one before;
-- an older `as_of` than the stored one is refused.
CREATE TABLE unit_capacity (
    unit_id    text PRIMARY KEY REFERENCES units (id),
    categories jsonb NOT NULL CHECK (jsonb_typeof(categories) = 'array'),
    as_of      timestamptz NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE unit_capacity;
