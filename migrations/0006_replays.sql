-- Bulk replays, so the dashboard can show a replay's progress: which deliveries one call of
-- POST .../dead-letters/replay restarted (up to 1,000 delivery pairs as JSON) and when. One row
-- per operator action, never per delivery on the send path; a replay adds nothing to what a
-- delivery stores. Rows older than a day are dropped when the app replays again, and go with the
-- app (cascade). Not copied by a shard move: a replay's progress is lost by a move.
CREATE TABLE replays (
  app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  -- JSON array of [message_id, endpoint_id].
  deliveries  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (app_id, id)
) WITHOUT ROWID;
