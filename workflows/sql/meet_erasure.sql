UPDATE deadlines SET state = 'met', met_at = $3, breached_at = NULL
WHERE handover_id = $1 AND id = $2
