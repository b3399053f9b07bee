SELECT doc FROM handovers WHERE id = $1
