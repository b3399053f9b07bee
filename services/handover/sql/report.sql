-- A follow-up report for one unit and period, from the clear facts only (no sealed column is
-- read). The cohort: requests the unit is a party to, created in [:period_start, :period_end),
-- within the caller's scope by the rule of who may see a request (handover_visible; as the
-- escalations list: :org for a national coordination unit, :region "org:region" otherwise).
-- Incidents are those that occurred in the period, on any request of the unit in scope.
-- Durations are in seconds; percentiles interpolate linearly (percentile_cont).
WITH cohort AS (
    SELECT h.id, h.kind, h.state, h.executing_org, h.created_at, h.doc
    FROM handovers h
    WHERE h.parties @> ARRAY[:unit::text]
      AND h.created_at >= :period_start AND h.created_at < :period_end
      AND handover_visible(h.parties, NULL, h.orgs, h.regions, NULL, NULL, :org, :region)
),
-- The first reception by the executing organisation: Kriminalvården for a transfer.
handed AS (
    SELECT c.id, c.kind, c.created_at,
           (SELECT min(s.since) FROM custody_segments s
            WHERE s.handover_id = c.id AND s.org = c.executing_org) AS handed_at
    FROM cohort c
),
to_handover AS (
    SELECT extract(epoch FROM handed_at - created_at)::float8 AS seconds
    FROM handed WHERE handed_at IS NOT NULL
),
-- Remanded people: from the remand decision (the start of the remand clock) to the first
-- reception by Kriminalvården; those still held by the police count as waiting.
remand AS (
    SELECT d.starts_at,
           (SELECT min(s.since) FROM custody_segments s
            WHERE s.handover_id = c.id AND s.org = 'kriminalvarden') AS left_police_at,
           c.state
    FROM cohort c
    JOIN deadlines d ON d.handover_id = c.id AND d.name = 'remand_to_remand_prison'
),
clocks AS (
    SELECT d ->> 'name' AS name, d ->> 'state' AS state,
           d ->> 'warned_at' AS warned_at, d ->> 'breached_at' AS breached_at,
           d ->> 'met_at' AS met_at
    FROM cohort c, jsonb_array_elements(coalesce(c.doc -> 'deadlines', '[]'::jsonb)) d
),
incident_rows AS (
    SELECT i.kind, i.severity
    FROM incidents i JOIN handovers h ON h.id = i.handover_id
    WHERE h.parties @> ARRAY[:unit::text]
      AND i.occurred_at >= :period_start AND i.occurred_at < :period_end
      AND handover_visible(h.parties, NULL, h.orgs, h.regions, NULL, NULL, :org, :region)
),
-- Each deferral raises one `deferral` escalation whose detail the deadline engine writes
-- with the closed reason in brackets ("Deferred by <unit> (<reason>); ..."); the deferral
-- itself (event data, `deferral` on the record) is sealed or cleared on acceptance.
deferral_rows AS (
    SELECT substring(e.detail FROM '\(([a-z_]+)\)') AS reason
    FROM escalations e JOIN cohort c ON c.id = e.handover_id
    WHERE e.level = 'deferral'
)
SELECT
    (SELECT count(*) FROM cohort) AS requests,
    (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'legal_basis', legal_basis,
                                                  'count', n) ORDER BY kind, legal_basis), '[]')
     FROM (SELECT kind, doc -> 'assistance' ->> 'legal_basis' AS legal_basis, count(*) AS n
           FROM cohort GROUP BY 1, 2) k) AS by_kind,
    (SELECT coalesce(jsonb_object_agg(state, n), '{}')
     FROM (SELECT state, count(*) AS n FROM cohort GROUP BY 1) s) AS by_state,
    (SELECT jsonb_build_object(
                'count', count(*),
                'median_seconds', percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds),
                'p90_seconds', percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds),
                'waiting', (SELECT count(*) FROM handed WHERE handed_at IS NULL))
     FROM to_handover) AS to_handover,
    (SELECT jsonb_build_object(
                'count', count(left_police_at),
                'median_seconds', percentile_cont(0.5) WITHIN GROUP (
                    ORDER BY extract(epoch FROM left_police_at - starts_at)::float8),
                'p90_seconds', percentile_cont(0.9) WITHIN GROUP (
                    ORDER BY extract(epoch FROM left_police_at - starts_at)::float8),
                'max_seconds', max(extract(epoch FROM left_police_at - starts_at)::float8),
                'waiting', count(*) FILTER (
                    WHERE left_police_at IS NULL
                      AND state NOT IN ('rejected', 'cancelled', 'completed', 'not_executed')))
     FROM remand) AS remand_custody,
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'name', name, 'total', total, 'met', met, 'warned', warned,
                'breached', breached, 'open', open) ORDER BY name), '[]')
     FROM (SELECT name, count(*) AS total,
                  count(*) FILTER (WHERE met_at IS NOT NULL AND breached_at IS NULL) AS met,
                  count(*) FILTER (WHERE warned_at IS NOT NULL) AS warned,
                  count(*) FILTER (WHERE breached_at IS NOT NULL) AS breached,
                  count(*) FILTER (WHERE state IN ('running', 'warned', 'extended')) AS open
           FROM clocks GROUP BY name) d) AS deadlines,
    (SELECT count(*) FROM handover_events ev JOIN cohort c ON c.id = ev.handover_id
     WHERE ev.type = 'deferred') AS deferrals,
    (SELECT count(DISTINCT ev.handover_id) FROM handover_events ev
     JOIN cohort c ON c.id = ev.handover_id WHERE ev.type = 'deferred') AS deferred_requests,
    (SELECT coalesce(jsonb_object_agg(reason, n), '{}')
     FROM (SELECT coalesce(reason, 'unknown') AS reason, count(*) AS n
           FROM deferral_rows GROUP BY 1) r) AS deferral_reasons,
    (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'severity', severity,
                                                  'count', n) ORDER BY kind, severity), '[]')
     FROM (SELECT kind, severity, count(*) AS n FROM incident_rows GROUP BY 1, 2) i) AS incidents
