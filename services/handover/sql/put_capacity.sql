-- A unit's free places (not personal data, not request state): the newest publication wins;
-- one older than the stored `as_of` changes nothing and returns no row.
INSERT INTO unit_capacity (unit_id, categories, as_of, updated_by)
VALUES (:unit, :categories::jsonb, :as_of, :updated_by)
ON CONFLICT (unit_id) DO UPDATE
    SET categories = excluded.categories,
        as_of = excluded.as_of,
        updated_by = excluded.updated_by,
        updated_at = now()
    WHERE unit_capacity.as_of <= excluded.as_of
RETURNING unit_id
