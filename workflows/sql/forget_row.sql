UPDATE handovers SET sealed = NULL, identity_sealed = NULL, person_key = NULL,
       doc = jsonb_set(doc, '{erased_at}', to_jsonb($2::timestamptz)),
       version = greatest(version, $3), updated_at = greatest(updated_at, $2)
WHERE id = $1
