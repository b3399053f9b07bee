-- Erasure: the key goes (everything sealed with it is unreadable from now on), and so do the
-- clear traces that point at the person: the sealed copies and the pseudonym the access log
-- is searched by. The facts stay.
UPDATE request_keys SET key = NULL, erased_at = $2 WHERE handover_id = $1 AND key IS NOT NULL
