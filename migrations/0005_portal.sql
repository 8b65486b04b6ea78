-- The consumer portal (docs/ARCHITECTURE.md, "Consumer portal").
--
-- Origins that may frame an app's portal (a JSON array of origins; NULL: none, so no site may
-- frame it). On the apps row, so it moves with the app between shards.
ALTER TABLE apps ADD COLUMN portal_origins TEXT;

-- Portal sessions, used in the first database only, next to dashboard_sessions (like every
-- table, it exists on every shard; the others stay empty). The one-time code and the cookie id
-- are kept as SHA-256 only: a read of this table opens nothing. `cookie_hash` is NULL until the
-- code is traded, and the trade clears `code_hash`, so a code works once. `frame_origins` is the
-- app's portal_origins, copied at creation and kept current by PATCH /v1/apps/{appId}: portal
-- pages read nothing from D1 but their session.
CREATE TABLE portal_sessions (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL,
  code_hash TEXT UNIQUE,
  cookie_hash TEXT UNIQUE,
  capabilities TEXT NOT NULL,
  theme TEXT,
  frame_origins TEXT,
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  redeemed_at INTEGER,
  revoked_at INTEGER
) WITHOUT ROWID;

-- Revoking all of an app's sessions, and dropping expired ones when a new one opens.
CREATE INDEX portal_sessions_app ON portal_sessions (app_id, revoked_at);
CREATE INDEX portal_sessions_expiry ON portal_sessions (expires_at);
