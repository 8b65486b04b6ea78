-- Hooklane schema. Times are unix milliseconds (INTEGER); ids are prefixed, time-sortable
-- strings, so "ORDER BY id" is creation order and doubles as the pagination cursor.

CREATE TABLE apps (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  uid         TEXT UNIQUE,
  -- Messages per second this app may ingest; NULL = unlimited.
  ingest_rate_limit INTEGER,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- App API keys: only the SHA-256 of the token is kept.
CREATE TABLE api_keys (
  id          TEXT PRIMARY KEY,
  app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  name        TEXT,
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL
);
CREATE INDEX api_keys_app ON api_keys(app_id, id);

CREATE TABLE event_types (
  app_id       TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  description  TEXT,
  schema       TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (app_id, name)
);

-- Reusable signing/auth profiles. `private` = created implicitly for one endpoint.
CREATE TABLE auth_profiles (
  id          TEXT PRIMARY KEY,
  app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  type        TEXT NOT NULL CHECK (type IN ('hmac-sha256', 'ed25519', 'bearer')),
  name        TEXT,
  private     INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX auth_profiles_app ON auth_profiles(app_id, id);

-- Secrets of a profile: the current one has expires_at NULL; rotated-out ones stay valid
-- (and are signed with) until expires_at. Secret material is AES-GCM encrypted at rest.
CREATE TABLE auth_profile_secrets (
  id           TEXT PRIMARY KEY,
  profile_id   TEXT NOT NULL REFERENCES auth_profiles(id) ON DELETE CASCADE,
  secret_enc   TEXT NOT NULL,
  public_key   TEXT,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER
);
CREATE INDEX auth_profile_secrets_profile ON auth_profile_secrets(profile_id, created_at);
-- The sweeper's expiry purge. Partial: only rotated-out secrets (a few per rotation) carry an
-- entry, so creating a profile writes no extra row and the every-minute sweep reads only what
-- expired instead of scanning every profile's current secret.
CREATE INDEX auth_profile_secrets_expiry ON auth_profile_secrets(expires_at)
  WHERE expires_at IS NOT NULL;

CREATE TABLE endpoints (
  id               TEXT PRIMARY KEY,
  app_id           TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  url              TEXT NOT NULL,
  description      TEXT,
  event_types      TEXT NOT NULL DEFAULT '[]',
  auth_profile_id  TEXT NOT NULL REFERENCES auth_profiles(id),
  headers          TEXT,
  rate_limit       INTEGER,
  max_concurrency  INTEGER,
  success_rule     TEXT NOT NULL DEFAULT '2xx' CHECK (success_rule IN ('2xx', '200')),
  ordering         TEXT NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'fifo')),
  disabled         INTEGER NOT NULL DEFAULT 0,
  disabled_reason  TEXT,
  disabled_at      INTEGER,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX endpoints_app ON endpoints(app_id, id);
CREATE INDEX endpoints_profile ON endpoints(auth_profile_id);

-- The hot tables below are shaped by what D1 bills: every row written, index entries
-- included. They are WITHOUT ROWID where the key is the natural lookup (one B-tree, so one
-- write per insert instead of row + key index) and carry only the indexes a query needs.
-- Retention works on the ids, which start with their creation time.
CREATE TABLE messages (
  app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  event_type  TEXT NOT NULL,
  payload     TEXT NOT NULL,
  event_id    TEXT,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (app_id, id)
) WITHOUT ROWID;

-- One row per idempotency key and app; the primary key makes concurrent duplicates collide
-- inside the ingest transaction, so exactly one message is created.
CREATE TABLE idempotency_keys (
  app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (app_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

-- One message to one endpoint. `attempts` counts HTTP tries of the current series (it drives the
-- retry schedule; gate deferrals do not count; a replay starts a new series), `total_attempts`
-- every try ever made (it numbers the attempt log). `next_attempt_at` is NULL once the delivery
-- is finished (succeeded, dead, cancelled): the two partial indexes hold unfinished rows only,
-- and a claim (status and lease) touches no index at all.
CREATE TABLE deliveries (
  id                TEXT PRIMARY KEY,
  app_id            TEXT NOT NULL,
  message_id        TEXT NOT NULL,
  endpoint_id       TEXT NOT NULL,
  status            TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed', 'dead', 'cancelled')),
  attempts          INTEGER NOT NULL DEFAULT 0,
  total_attempts    INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   INTEGER,
  first_attempt_at  INTEGER,
  lease_until       INTEGER,
  -- Times the sweeper found this delivery's claim expired (its consumer died holding it).
  lease_expiries    INTEGER NOT NULL DEFAULT 0,
  last_status_code  INTEGER,
  last_error        TEXT,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  CHECK ((next_attempt_at IS NULL) = (status IN ('succeeded', 'dead', 'cancelled')))
) WITHOUT ROWID;
CREATE INDEX deliveries_message ON deliveries(message_id);
-- An endpoint's unfinished deliveries in message order: FIFO heads, backlog counts, cancel.
CREATE INDEX deliveries_open ON deliveries(endpoint_id, message_id) WHERE next_attempt_at IS NOT NULL;
-- Unfinished deliveries by due time: the sweeper's lost-message scan.
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE next_attempt_at IS NOT NULL;

-- One row per HTTP attempt, keyed by its delivery; a message's attempts are found through its
-- deliveries. `id` is the public id and the per-endpoint cursor.
CREATE TABLE attempts (
  delivery_id       TEXT NOT NULL,
  attempt           INTEGER NOT NULL,
  id                TEXT NOT NULL,
  message_id        TEXT NOT NULL,
  endpoint_id       TEXT NOT NULL,
  app_id            TEXT NOT NULL,
  started_at        INTEGER NOT NULL,
  duration_ms       INTEGER NOT NULL,
  status_code       INTEGER,
  error             TEXT,
  response_excerpt  TEXT,
  PRIMARY KEY (delivery_id, attempt)
) WITHOUT ROWID;
CREATE INDEX attempts_endpoint ON attempts(endpoint_id, id);

CREATE TABLE dead_letters (
  delivery_id  TEXT PRIMARY KEY,
  app_id       TEXT NOT NULL,
  message_id   TEXT NOT NULL,
  endpoint_id  TEXT NOT NULL,
  reason       TEXT NOT NULL,
  attempts     INTEGER NOT NULL,
  dead_at      INTEGER NOT NULL
);
CREATE INDEX dead_letters_app ON dead_letters(app_id, delivery_id);
CREATE INDEX dead_letters_app_time ON dead_letters(app_id, dead_at);
CREATE INDEX dead_letters_endpoint ON dead_letters(endpoint_id, dead_at);

-- Things an operator should know about that no API call caused: an endpoint disabled after
-- 410 Gone or after failing for days.
CREATE TABLE operator_events (
  id           TEXT PRIMARY KEY,
  app_id       TEXT NOT NULL,
  type         TEXT NOT NULL,
  endpoint_id  TEXT,
  detail       TEXT,
  created_at   INTEGER NOT NULL
);
CREATE INDEX operator_events_app ON operator_events(app_id, id);

-- Every management change: who (admin or key id), what, when.
CREATE TABLE audit_log (
  id             TEXT PRIMARY KEY,
  app_id         TEXT NOT NULL,
  actor          TEXT NOT NULL,
  action         TEXT NOT NULL,
  resource_type  TEXT NOT NULL,
  resource_id    TEXT,
  detail         TEXT,
  created_at     INTEGER NOT NULL
);
CREATE INDEX audit_log_app ON audit_log(app_id, id);
CREATE INDEX audit_log_created ON audit_log(created_at);
