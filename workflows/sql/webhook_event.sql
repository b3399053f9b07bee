-- One event as a subscription receives it, with what opens its data, where it goes and
-- whether the subscriber may (still) see it.
SELECT e.handover_id::text AS handover_id, h.reference, e.seq, e.type, e.occurred_at,
       e.recorded_at, e.data::text AS data, e.sealed, k.key,
       s.url, s.secret_sealed, s.secret_key_id, s.org, s.unit, s.roles, s.status,
       handover_visible(h.parties, h.executing_org, h.orgs, h.regions,
                        s.visible_units, s.executing_org, s.scope_org, s.scope_region) AS visible
FROM webhook_subscriptions s
JOIN handover_events e ON e.handover_id = $2 AND e.seq = $3
JOIN handovers h ON h.id = e.handover_id
LEFT JOIN request_keys k ON k.handover_id = e.handover_id
WHERE s.id = $1
