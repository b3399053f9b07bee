-- Where the event feed stands now: the newest event it may hand out (see event_feed.sql), so
-- a live view that starts now resumes from here and replays nothing older.
SELECT e.tx::text AS tx, e.global_seq
FROM handover_events e
WHERE e.tx < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY e.tx DESC, e.global_seq DESC
LIMIT 1
