-- Revocations still in force: what every API process keeps in memory for a few seconds.
SELECT jti, sub, until FROM revoked_tokens WHERE until > now()
