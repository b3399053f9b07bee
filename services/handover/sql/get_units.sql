SELECT id, name, org, kind, region, municipality FROM units WHERE id = ANY($1::text[]) AND active
