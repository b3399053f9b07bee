-- Coordinators' acknowledgement notes are free text; the escalation facts stay.
UPDATE escalations SET note = NULL WHERE handover_id = $1 AND note IS NOT NULL
