-- Hooklane schema. Times are unix milliseconds (INTEGER); ids are prefixed, time-sortable
-- strings, so "ORDER BY id" is creation order and doubles as the pagination cursor.

CREATE TABLE apps (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  uid         TEXT UNIQUE,
  -- Messages per second this app may ingest; NULL = unlimited.
  ingest_rate_limit INTEGER,
  -- The sweeper's mark: every delivery of this app's messages with a smaller id has been
  -- handed to a consumer at least once (it has an outcome or an open row).
  swept_to    TEXT NOT NULL DEFAULT '',
  -- Set when the app is deleted: it is gone for the API at once, and the sweeper purges what
  -- it held (messages, log, dead letters) in chunks before dropping the row.
  deleted_at  INTEGER,
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
-- included (docs/ARCHITECTURE.md, "Storage per delivery"). A message that every endpoint takes
-- at the first try writes its own row at ingest and a share of one attempt-log row per consumer
-- batch, nothing else: a delivery is the pair (message, endpoint), its status is read from the
-- log. Only deliveries off that path (retrying, waiting on the gate, FIFO) get a row of their
-- own in `open_deliveries` while they are open. Retention works on the ids, which start with
-- their creation time; so does a message's `createdAt`, which is read from its id, not stored.
CREATE TABLE messages (
  app_id           TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  id               TEXT NOT NULL,
  event_type       TEXT NOT NULL,
  -- The `payload` member exactly as the sender wrote it (never parsed and re-serialized).
  payload          TEXT NOT NULL,
  event_id         TEXT,
  idempotency_key  TEXT,
  -- JSON array of the endpoints the message fans out to, one delivery each: their ids without
  -- the `ep_` prefix they all share.
  endpoints        TEXT NOT NULL,
  PRIMARY KEY (app_id, id)
) WITHOUT ROWID;

-- One row per idempotency key and app; the primary key makes concurrent duplicates collide
-- inside the ingest transaction, so exactly one message is created. Purged with its message.
CREATE TABLE idempotency_keys (
  app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  PRIMARY KEY (app_id, key)
) WITHOUT ROWID;

-- What happened to deliveries, one row per consumer batch, endpoint and two message seconds:
-- `entries` is a JSON array of [message_id, attempt, status, at, duration_ms, status_code,
-- error, response_excerpt] (attempt 0: settled without a request), packed (src/db/attempt-log.ts:
-- ids without `msg_`, one-letter statuses, times relative to the message's). `bucket` is the
-- creation second (the first 12 characters of the ids) of the row's earliest message; the row
-- also holds the next second's messages of its batch, so a message's history is two key ranges.
-- The index serves an endpoint's history by time. An attempt's public id is the row id followed
-- by its two-character index in `entries`.
CREATE TABLE attempt_log (
  app_id       TEXT NOT NULL,
  bucket       TEXT NOT NULL,
  id           TEXT NOT NULL,
  endpoint_id  TEXT NOT NULL,
  entries      TEXT NOT NULL,
  PRIMARY KEY (app_id, bucket, id)
) WITHOUT ROWID;
CREATE INDEX attempt_log_endpoint ON attempt_log(endpoint_id, id);

-- Deliveries off the first-try path while they are open: failed and waiting for a retry,
-- parked by the gate (breaker open, no slot, paced), FIFO ones (all of them, from ingest, so
-- the head is known). `waiting` rows are handed out by a wake from the endpoint's gate once
-- `due_at` has come; `queued` rows were handed out and count as lost once `due_at` (the lease)
-- has passed by the sweep grace. The row goes when the delivery ends.
CREATE TABLE open_deliveries (
  endpoint_id       TEXT NOT NULL,
  message_id        TEXT NOT NULL,
  app_id            TEXT NOT NULL,
  state             TEXT NOT NULL CHECK (state IN ('waiting', 'queued')),
  -- HTTP tries in the current series (drives the retry schedule; a replay starts over).
  attempts          INTEGER NOT NULL DEFAULT 0,
  -- Every try ever made: the next attempt's number in the log.
  total_attempts    INTEGER NOT NULL DEFAULT 0,
  first_attempt_at  INTEGER,
  due_at            INTEGER NOT NULL,
  -- Times a hand-out was found lost (its consumer died holding it): dead after a few.
  lost              INTEGER NOT NULL DEFAULT 0,
  last_error        TEXT,
  created_at        INTEGER NOT NULL,
  PRIMARY KEY (endpoint_id, message_id)
) WITHOUT ROWID;
CREATE INDEX open_deliveries_due ON open_deliveries(endpoint_id, due_at);

CREATE TABLE dead_letters (
  app_id       TEXT NOT NULL,
  message_id   TEXT NOT NULL,
  endpoint_id  TEXT NOT NULL,
  reason       TEXT NOT NULL,
  attempts     INTEGER NOT NULL,
  dead_at      INTEGER NOT NULL,
  PRIMARY KEY (app_id, message_id, endpoint_id)
) WITHOUT ROWID;
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

-- What the last sweep saw, for /healthz: the oldest open delivery, how many are open, and how
-- many sweeps in a row handed deliveries out again without the open count falling.
CREATE TABLE sweeper_state (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  swept_at        INTEGER NOT NULL,
  oldest_open_at  INTEGER,
  open_count      INTEGER NOT NULL,
  stalled_runs    INTEGER NOT NULL,
  behind          INTEGER NOT NULL,
  report          TEXT NOT NULL,
  -- The last operator event sent to OPERATOR_APP_ID as a message.
  notices_to      TEXT NOT NULL DEFAULT ''
);

-- Deletes that answer at once and finish in the background: the sweeper removes an app's or an
-- endpoint's rows in bounded chunks, then the job.
CREATE TABLE purge_jobs (
  kind        TEXT NOT NULL CHECK (kind IN ('app', 'endpoint')),
  id          TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
