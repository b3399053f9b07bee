-- The board's colours: which of these requests have an open deadline in its warning period.
SELECT d.handover_id::text AS handover_id, bool_or(d.state = 'warned') AS warned
FROM deadlines d
WHERE d.handover_id = ANY(:handover_ids::uuid[])
  AND d.state IN ('running', 'warned', 'extended')
GROUP BY d.handover_id
