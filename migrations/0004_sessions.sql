-- Operator dashboard sessions (docs/ARCHITECTURE.md, "Dashboard sessions"). Kept in the first
-- database, next to the directory. The browser holds the session id; only its SHA-256 is stored,
-- so a read of this table cannot be replayed as a cookie. `csrf` is echoed in every form.
CREATE TABLE dashboard_sessions (
  id_hash TEXT PRIMARY KEY,
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
) WITHOUT ROWID;

-- Sign-in drops sessions past their expiry by this index.
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
