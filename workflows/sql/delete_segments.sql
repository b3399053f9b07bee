DELETE FROM custody_segments WHERE handover_id = $1
