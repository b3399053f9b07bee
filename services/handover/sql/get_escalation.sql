SELECT handover_id::text AS handover_id, orgs, regions FROM escalations WHERE id = :escalation_id
