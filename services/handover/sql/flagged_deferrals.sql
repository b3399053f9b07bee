-- The requests among :ids deferred for no capacity while the capacity data showed room
-- elsewhere in the region (`deferral.room_elsewhere`, a fact kept in the clear document).
SELECT id::text AS id
FROM handovers
WHERE id = ANY(:ids::uuid[])
  AND state = 'deferred'
  AND (doc -> 'deferral' ->> 'room_elsewhere')::boolean
