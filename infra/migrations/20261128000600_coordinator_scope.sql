-- migrate:up
-- Coordinators see their agency's region: every request carries the organisations and the
-- "org:region" of the units that are party to it (national coordination units use orgs).
ALTER TABLE handovers ADD COLUMN orgs text[] NOT NULL DEFAULT '{}';
ALTER TABLE handovers ADD COLUMN regions text[] NOT NULL DEFAULT '{}';
UPDATE handovers h SET
    orgs = coalesce((SELECT array_agg(DISTINCT u.org) FROM units u WHERE u.id = ANY(h.parties)), '{}'),
    regions = coalesce((SELECT array_agg(DISTINCT u.org || ':' || u.region) FROM units u
                        WHERE u.id = ANY(h.parties)), '{}');
CREATE INDEX handovers_orgs_idx ON handovers USING gin (orgs);
CREATE INDEX handovers_regions_idx ON handovers USING gin (regions);

-- migrate:down
DROP INDEX handovers_regions_idx;
DROP INDEX handovers_orgs_idx;
ALTER TABLE handovers DROP COLUMN regions;
ALTER TABLE handovers DROP COLUMN orgs;
