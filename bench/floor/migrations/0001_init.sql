-- The floor keeps one row per ingested message, nothing else.
CREATE TABLE messages (
  id          TEXT PRIMARY KEY,
  phase       TEXT NOT NULL,
  payload     TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
