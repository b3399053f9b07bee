SELECT id, name, org, kind, region, municipality FROM units WHERE id = ANY(:ids::text[]) AND active
