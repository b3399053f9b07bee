DELETE FROM deadlines WHERE handover_id = $1
