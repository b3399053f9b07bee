-- Within a repair's transaction: the row's version, locked against a concurrent projection
-- of the same request (no row: null), and the seqs of the events already written.
SELECT (SELECT version FROM handovers WHERE id = $1 FOR UPDATE) AS version,
       (SELECT coalesce(array_agg(seq), '{}') FROM handover_events WHERE handover_id = $1)
           AS seqs
