INSERT INTO revoked_tokens (jti, sub, until, reason, revoked_by)
VALUES ($1, $2, $3, $4, $5)
RETURNING id
