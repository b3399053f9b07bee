SELECT national FROM units WHERE id = :unit
