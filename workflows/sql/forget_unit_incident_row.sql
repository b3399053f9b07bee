UPDATE unit_incidents SET sealed = NULL WHERE id = $1
