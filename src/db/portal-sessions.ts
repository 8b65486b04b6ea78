/**
 * Consumer portal sessions, in the first database (`DB`) only. The one-time code and the cookie
 * id are stored as SHA-256 hashes; the row says which app, what the session may do and how it
 * looks (docs/ARCHITECTURE.md, "Consumer portal").
 */

/** A portal session as stored. */
export interface PortalSessionRow {
  id: string;
  app_id: string;
  /** SHA-256 of the one-time code; NULL once it was traded for a cookie. */
  code_hash: string | null;
  /** SHA-256 of the cookie id; NULL until the code is traded. */
  cookie_hash: string | null;
  /** JSON array of capability names. */
  capabilities: string;
  /** JSON theme object, or NULL for the default look. */
  theme: string | null;
  /** JSON array of origins that may frame the portal, or NULL for none. */
  frame_origins: string | null;
  csrf: string;
  created_at: number;
  expires_at: number;
  redeemed_at: number | null;
  revoked_at: number | null;
}

/** Stores a new session and drops sessions already past their expiry (one batch). */
export async function insertPortalSession(
  db: D1Database,
  row: PortalSessionRow,
  now: number,
): Promise<void> {
  await db.batch([
    db.prepare("DELETE FROM portal_sessions WHERE expires_at <= ?").bind(now),
    db
      .prepare(
        `INSERT INTO portal_sessions (id, app_id, code_hash, cookie_hash, capabilities, theme,
           frame_origins, csrf, created_at, expires_at, redeemed_at, revoked_at)
         VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
      )
      .bind(
        row.id,
        row.app_id,
        row.code_hash,
        row.capabilities,
        row.theme,
        row.frame_origins,
        row.csrf,
        row.created_at,
        row.expires_at,
      ),
  ]);
}

/**
 * Trades a one-time code for a cookie: one UPDATE that clears the code's hash and sets the
 * cookie's, so two trades of the same code cannot both succeed. Null when the code is unknown,
 * already used, expired or revoked.
 */
export async function redeemPortalCode(
  db: D1Database,
  codeHash: string,
  cookieHash: string,
  now: number,
): Promise<PortalSessionRow | null> {
  return db
    .prepare(
      `UPDATE portal_sessions SET code_hash = NULL, cookie_hash = ?2, redeemed_at = ?3
       WHERE code_hash = ?1 AND cookie_hash IS NULL AND revoked_at IS NULL AND expires_at > ?3
       RETURNING *`,
    )
    .bind(codeHash, cookieHash, now)
    .first<PortalSessionRow>();
}

/** The session a cookie stands for, live or not (the caller tells ended from live). */
export async function findPortalSession(
  db: D1Database,
  cookieHash: string,
): Promise<PortalSessionRow | null> {
  return db
    .prepare("SELECT * FROM portal_sessions WHERE cookie_hash = ?")
    .bind(cookieHash)
    .first<PortalSessionRow>();
}

/** One session by id (tests and diagnostics). */
export async function getPortalSession(
  db: D1Database,
  id: string,
): Promise<PortalSessionRow | null> {
  return db
    .prepare("SELECT * FROM portal_sessions WHERE id = ?")
    .bind(id)
    .first<PortalSessionRow>();
}

/** Revokes every live session of an app; returns how many. */
export async function revokeAppPortalSessions(
  db: D1Database,
  appId: string,
  now: number,
): Promise<number> {
  const res = await db
    .prepare(
      "UPDATE portal_sessions SET revoked_at = ?2 WHERE app_id = ?1 AND revoked_at IS NULL AND expires_at > ?2",
    )
    .bind(appId, now)
    .run();
  return res.meta.changes ?? 0;
}

/**
 * Keeps the framing origins of an app's live sessions in step with its setting (the app row is
 * in its shard; the sessions are in `DB`, read alone by portal pages).
 */
export function setPortalFrameOrigins(
  db: D1Database,
  appId: string,
  origins: string | null,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      "UPDATE portal_sessions SET frame_origins = ?2 WHERE app_id = ?1 AND revoked_at IS NULL AND expires_at > ?3",
    )
    .bind(appId, origins, now);
}
