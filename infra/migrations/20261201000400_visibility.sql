-- migrate:up
-- Who may see a request: the one rule every list, the feed, the escalations and the check of a
-- single request use. A row is visible to a caller when any of these holds (a null or empty
-- scope value grants nothing):
--   * the caller's unit is a party to it (`parties && visible_units`);
--   * Kriminalvården's transport units: their agency executes it (`executing_org`);
--   * national coordinators: their agency is involved (`orgs` holds `scope_org`);
--   * regional coordinators: a party unit lies in their region (`regions` holds "org:region").
-- One SQL expression, no STRICT, no SET, IMMUTABLE: PostgreSQL inlines it into the calling
-- query, so the planner sees the plain OR and can still combine the GIN index on parties, the
-- btree on executing_org and the GIN indexes on orgs and regions. PARALLEL SAFE: the planner
-- decides whether a query may run in parallel before it inlines, and an unmarked function
-- (PARALLEL UNSAFE) would rule parallel plans out for every query that calls it.
-- `@> ARRAY[x]` rather than `x = ANY(...)`: the same rows (a null x matches nothing either
-- way), and the form a GIN index answers.
CREATE FUNCTION handover_visible(
    parties text[],
    executing_org text,
    orgs text[],
    regions text[],
    visible_units text[],
    scope_executing_org text,
    scope_org text,
    scope_region text
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN parties && visible_units
    OR executing_org = scope_executing_org
    OR orgs @> ARRAY[scope_org]
    OR regions @> ARRAY[scope_region];

-- migrate:down
DROP FUNCTION handover_visible(text[], text, text[], text[], text[], text, text, text);
