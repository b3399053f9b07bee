-- migrate:up
-- The feed of all events for polling clients. An identity value is assigned before commit,
-- so a reader could pass a smaller one that commits later; each event therefore carries its
-- writing transaction, and the feed hands out only events of transactions older than every
-- transaction still in progress, in (transaction, sequence) order.
ALTER TABLE handover_events ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX handover_events_feed_idx ON handover_events (tx, global_seq);

-- migrate:down
DROP INDEX handover_events_feed_idx;
ALTER TABLE handover_events DROP COLUMN tx;
