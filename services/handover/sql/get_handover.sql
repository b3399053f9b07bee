SELECT doc FROM handovers WHERE id = :handover_id
