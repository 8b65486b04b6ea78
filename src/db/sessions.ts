/** A dashboard session as stored: the id's hash, never the id. */
export interface SessionRow {
  id_hash: string;
  csrf: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** Stores a new session and drops the ones already past their expiry (one batch). */
export async function openSession(db: D1Database, row: SessionRow, now: number): Promise<void> {
  await db.batch([
    db.prepare("DELETE FROM dashboard_sessions WHERE expires_at <= ?").bind(now),
    db
      .prepare(
        "INSERT INTO dashboard_sessions (id_hash, csrf, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, NULL)",
      )
      .bind(row.id_hash, row.csrf, row.created_at, row.expires_at),
  ]);
}

/** A session that is neither expired nor revoked at `now`, or null. */
export async function findLiveSession(
  db: D1Database,
  idHash: string,
  now: number,
): Promise<SessionRow | null> {
  return db
    .prepare(
      "SELECT * FROM dashboard_sessions WHERE id_hash = ? AND expires_at > ? AND revoked_at IS NULL",
    )
    .bind(idHash, now)
    .first<SessionRow>();
}

/** Any session by hash, live or not (tests and diagnostics). */
export async function getSession(db: D1Database, idHash: string): Promise<SessionRow | null> {
  return db
    .prepare("SELECT * FROM dashboard_sessions WHERE id_hash = ?")
    .bind(idHash)
    .first<SessionRow>();
}

/** Marks a session revoked; later requests with its cookie are sent to sign-in. */
export async function revokeSession(db: D1Database, idHash: string, now: number): Promise<void> {
  await db
    .prepare(
      "UPDATE dashboard_sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
    )
    .bind(now, idHash)
    .run();
}
