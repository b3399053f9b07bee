INSERT INTO revoked_tokens (jti, sub, until, reason, revoked_by)
VALUES (:jti, :sub, :until, :reason, :revoked_by)
RETURNING id
