-- The directory: which D1 database (shard) holds each app, and which app an API key opens.
-- It lives in the first database (binding DB) and is read there only; every shard, the first
-- included, holds its apps' own rows (apps, keys, endpoints, messages, ...) with this same
-- schema. With one shard the directory and the data share a database.
CREATE TABLE app_directory (
  app_id        TEXT PRIMARY KEY,
  -- Index of the shard binding: 0 = DB, k = DB_k.
  shard         INTEGER NOT NULL,
  -- Placed by the operator: rebalancing leaves it where it is.
  pinned        INTEGER NOT NULL DEFAULT 0,
  -- The app's external id, unique across shards.
  uid           TEXT UNIQUE,
  -- Set while the app is copied to another shard: ingest answers 503 and consumers hand its
  -- deliveries back until the copy is done and `shard` says where it now lives.
  moving_to     INTEGER,
  moving_since  INTEGER,
  -- How far the copy got (JSON: table index, key of the last row copied, rows copied).
  move_cursor   TEXT,
  deleted_at    INTEGER,
  created_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX app_directory_shard ON app_directory(shard, app_id);

-- API key lookups without knowing the shard: the SHA-256 of the token -> the app and key.
CREATE TABLE key_directory (
  token_hash  TEXT PRIMARY KEY,
  app_id      TEXT NOT NULL,
  key_id      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX key_directory_app ON key_directory(app_id);

-- What existed before the directory lives on the first shard.
INSERT INTO app_directory (app_id, shard, uid, deleted_at, created_at)
  SELECT id, 0, uid, deleted_at, created_at FROM apps;
INSERT INTO key_directory (token_hash, app_id, key_id)
  SELECT token_hash, app_id, id FROM api_keys;
