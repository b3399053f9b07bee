-- Whether a caller may see one request, by the rule every list and the feed apply
-- (handover_visible); the scope parameters are those of list_handovers.sql.
SELECT EXISTS (
    SELECT 1
    FROM handovers h
    WHERE h.id = :handover_id
      AND handover_visible(h.parties, h.executing_org, h.orgs, h.regions,
                           :visible_units, :executing_org, :scope_org, :scope_region)
) AS visible
