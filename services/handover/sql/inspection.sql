-- A JO inspection of one unit and period, from the clear facts only (no sealed column). The
-- requests: the unit is a party, created in [:period_start, :period_end) or with a deadline
-- breached then, within the caller's scope (handover_visible; :org for a national
-- coordination unit, :region "org:region" otherwise). One row of JSON arrays.
WITH cohort AS (
    SELECT h.id, h.reference, h.kind, h.state, h.created_at, h.doc, h.parties, h.breached,
           h.requesting_unit, h.executing_unit
    FROM handovers h
    WHERE h.parties @> ARRAY[:unit::text]
      AND handover_visible(h.parties, NULL, h.orgs, h.regions, NULL, NULL, :org, :region)
      AND ((h.created_at >= :period_start AND h.created_at < :period_end)
           OR EXISTS (SELECT 1 FROM deadlines d
                      WHERE d.handover_id = h.id
                        AND d.breached_at >= :period_start AND d.breached_at < :period_end))
),
breach_rows AS (
    SELECT c.id, c.reference, d.name, d.legal, d.starts_at, d.due_at, d.breached_at, d.met_at,
           (SELECT ev.type FROM handover_events ev
            WHERE ev.handover_id = c.id AND ev.occurred_at <= d.breached_at
              AND ev.type IN ('requested', 'accepted', 'deferred', 'rejected', 'scheduled',
                              'rescheduled', 'released', 'received', 'placed', 'completed',
                              'cancelled', 'not_executed')
            ORDER BY ev.seq DESC LIMIT 1) AS state_at_breach,
           (SELECT s.unit FROM custody_segments s
            WHERE s.handover_id = c.id AND s.since <= d.breached_at
              AND (s.until IS NULL OR s.until > d.breached_at)
            ORDER BY s.since DESC LIMIT 1) AS held_by,
           (SELECT coalesce(array_agg(coalesce(substring(e.detail FROM '\(([a-z_]+)\)'),
                                               'unknown') ORDER BY e.at), '{}')
            FROM escalations e
            WHERE e.handover_id = c.id AND e.level = 'deferral' AND e.at <= d.breached_at)
               AS deferral_reasons,
           EXISTS (SELECT 1 FROM handover_events ev
                   WHERE ev.handover_id = c.id AND ev.type = 'deadline_extended'
                     AND ev.occurred_at <= d.breached_at) AS extended
    FROM cohort c JOIN deadlines d ON d.handover_id = c.id
    WHERE d.breached_at IS NOT NULL
),
request_incidents AS (
    SELECT i.handover_id, c.reference, i.number, i.unit, i.kind, i.severity, i.occurred_at
    FROM incidents i JOIN cohort c ON c.id = i.handover_id
),
own_incidents AS (
    SELECT i.* FROM unit_incidents i
    WHERE i.unit = :unit
      AND (:org::text IS NULL OR i.org = :org)
      AND (:region::text IS NULL OR i.org || ':' || i.region = :region)
      AND i.occurred_at >= :period_start AND i.occurred_at < :period_end
),
reads AS (
    SELECT a.id, a.sub, a.unit, a.action, a.purpose, a.at,
           bool_or(NOT (a.unit = ANY (c.parties))) AS outside
    FROM access_log a
    CROSS JOIN LATERAL unnest(a.handover_ids) AS x (handover_id)
    JOIN cohort c ON c.id = x.handover_id
    GROUP BY a.id, a.sub, a.unit, a.action, a.purpose, a.at
    UNION ALL
    SELECT a.id, a.sub, a.unit, a.action, a.purpose, a.at, a.unit <> :unit AS outside
    FROM access_log a
    WHERE a.incident_ids && (SELECT coalesce(array_agg(o.id), '{}') FROM own_incidents o)
)
SELECT
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', c.id, 'reference', c.reference, 'kind', c.kind,
                'legal_basis', c.doc -> 'assistance' ->> 'legal_basis', 'state', c.state,
                'requesting_unit', c.requesting_unit, 'executing_unit', c.executing_unit,
                'created_at', c.created_at, 'breached', c.breached)
            ORDER BY c.created_at, c.id), '[]')
     FROM cohort c) AS requests,
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'handover_id', b.id, 'reference', b.reference, 'deadline', b.name,
                'legal', b.legal, 'starts_at', b.starts_at, 'due_at', b.due_at,
                'breached_at', b.breached_at, 'met_at', b.met_at,
                'state_at_breach', b.state_at_breach, 'held_by', b.held_by,
                'deferral_reasons', to_jsonb(b.deferral_reasons), 'extended', b.extended)
            ORDER BY b.breached_at, b.id, b.name), '[]')
     FROM breach_rows b) AS breaches,
    (SELECT coalesce(jsonb_agg(x ORDER BY x ->> 'occurred_at'), '[]') FROM (
        SELECT jsonb_build_object(
                   'source', 'request', 'handover_id', r.handover_id, 'reference', r.reference,
                   'number', r.number, 'unit', r.unit, 'kind', r.kind, 'severity', r.severity,
                   'occurred_at', r.occurred_at) AS x
        FROM request_incidents r
        UNION ALL
        SELECT jsonb_build_object(
                   'source', 'unit', 'id', o.id, 'unit', o.unit, 'kind', o.kind,
                   'severity', o.severity, 'occurred_at', o.occurred_at,
                   'investigation', o.investigation, 'measures', o.measures,
                   'measures_done', o.measures_done, 'closed_at', o.closed_at,
                   'report_due_at', o.report_due_at, 'reported_at', o.reported_at)
        FROM own_incidents o
    ) found) AS incidents,
    jsonb_build_object(
        'reads', (SELECT count(*) FROM reads),
        'readers', (SELECT count(DISTINCT sub) FROM reads),
        'by_action', (SELECT coalesce(jsonb_object_agg(action, n), '{}')
                      FROM (SELECT action, count(*) AS n FROM reads GROUP BY 1) a),
        'by_reader_unit', (SELECT coalesce(jsonb_object_agg(unit, n), '{}')
                           FROM (SELECT unit, count(*) AS n FROM reads GROUP BY 1) u),
        'outside_own_cases', (SELECT count(*) FROM reads WHERE outside),
        'outside_own_cases_without_purpose',
            (SELECT count(*) FROM reads WHERE outside AND purpose = 'unstated'),
        'unusual_hour', (SELECT count(*) FROM reads
                         WHERE extract(hour FROM at AT TIME ZONE 'Europe/Stockholm')
                               NOT BETWEEN 6 AND 21)
    ) AS access
