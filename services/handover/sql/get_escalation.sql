SELECT handover_id, orgs, regions FROM escalations WHERE id = $1
