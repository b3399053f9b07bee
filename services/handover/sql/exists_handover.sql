SELECT EXISTS (SELECT 1 FROM handovers WHERE id = :handover_id)
