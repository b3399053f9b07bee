-- Operational gauges for /metrics, from the read model's clear facts (one row, one scan each).
-- projection_lag_seconds: how far the read model is behind the workflows' own clocks: the
-- age of the oldest deadline that is past due yet still open in PostgreSQL (the workflow
-- breaches it at its due time and projects the breach at once; 0 when none is overdue).
-- reconcile_*: what the reconciliation runs repaired (rows of `reconciliations`).
-- webhook_lag_seconds: the age of the oldest event a subscription (not stopped) has tried
-- and failed to deliver and not delivered since (0 when none).
WITH pending AS (
    SELECT d.subscription_id, d.handover_id, d.seq, min(d.attempted_at) AS first_attempt
    FROM webhook_deliveries d
    JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.status <> 'stopped'
    GROUP BY d.subscription_id, d.handover_id, d.seq
    HAVING NOT bool_or(d.outcome = 'delivered')
)
SELECT
    (SELECT coalesce(jsonb_agg(jsonb_build_object('state', state, 'kind', kind, 'count', n)),
                     '[]')
     FROM (SELECT state, kind, count(*) AS n FROM handovers GROUP BY 1, 2) r) AS requests,
    (SELECT coalesce(jsonb_agg(jsonb_build_object('name', name, 'state', state, 'count', n)),
                     '[]')
     FROM (SELECT name, state, count(*) AS n FROM deadlines GROUP BY 1, 2) d) AS deadlines,
    (SELECT coalesce(jsonb_agg(jsonb_build_object('name', name, 'count', n)), '[]')
     FROM (SELECT name, count(*) AS n FROM deadlines WHERE breached_at IS NOT NULL
           GROUP BY 1) b) AS breaches,
    (SELECT coalesce(jsonb_agg(jsonb_build_object('level', level, 'count', n)), '[]')
     FROM (SELECT level, count(*) AS n FROM escalations WHERE acknowledged_at IS NULL
           GROUP BY 1) e) AS escalations_waiting,
    (SELECT coalesce(extract(epoch FROM now() - min(due_at)), 0)::float8 FROM deadlines
     WHERE state IN ('running', 'warned', 'extended') AND due_at < now()) AS projection_lag,
    -- the newest event by its position in the log (the primary key's index, no scan)
    (SELECT coalesce((SELECT extract(epoch FROM now() - recorded_at) FROM handover_events
                      ORDER BY global_seq DESC LIMIT 1), 0)::float8) AS last_event_age,
    (SELECT coalesce(jsonb_agg(jsonb_build_object('status', status, 'count', n)), '[]')
     FROM (SELECT status, count(*) AS n FROM webhook_subscriptions GROUP BY 1) w)
        AS subscriptions,
    (SELECT count(*) FROM pending) AS webhook_pending,
    (SELECT coalesce(extract(epoch FROM now() - min(first_attempt)), 0)::float8 FROM pending)
        AS webhook_lag,
    -- reconciliation (workflows/reconcile.py): every repair ever made, and the last run
    (SELECT coalesce(sum(repaired), 0)::float8 FROM reconciliations) AS reconcile_repaired,
    (SELECT coalesce(sum(events_written), 0)::float8 FROM reconciliations)
        AS reconcile_events_written,
    (SELECT to_jsonb(r) FROM (
        SELECT extract(epoch FROM now() - finished_at)::float8 AS age, repaired, failed
        FROM reconciliations ORDER BY finished_at DESC LIMIT 1) r) AS reconcile_last
