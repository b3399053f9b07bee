-- A read or write of a unit incident's texts (no request involved).
INSERT INTO access_log (sub, org, unit, action, handover_ids, incident_ids, purpose, request_id,
                        roles)
VALUES (:sub, :org, :unit, :action, '{}', :incident_ids::uuid[], :purpose, :request_id,
        :roles::text[])
