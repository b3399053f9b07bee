-- migrate:up
CREATE TABLE units (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name        text NOT NULL,
    org         text NOT NULL CHECK (org IN ('polisen', 'kriminalvarden')),
    kind        text NOT NULL CHECK (kind IN ('police_custody', 'remand_prison', 'prison', 'transport', 'coordination')),
    region      text NOT NULL,
    municipality text,
    active      boolean NOT NULL DEFAULT true
);
CREATE INDEX units_org_kind_idx ON units (org, kind);

-- migrate:down
DROP TABLE units;
