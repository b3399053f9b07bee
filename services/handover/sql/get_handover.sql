SELECT h.id::text AS id, h.doc, h.sealed, k.key
FROM handovers h
LEFT JOIN request_keys k ON k.handover_id = h.id
WHERE h.id = :handover_id
