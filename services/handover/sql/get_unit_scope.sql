SELECT national FROM units WHERE id = $1
