import type { AuthType } from "../schemas/resources";
import { iso } from "./page";

export interface AuthProfileRow {
  id: string;
  app_id: string;
  type: AuthType;
  name: string | null;
  private: number;
  created_at: number;
  updated_at: number;
}

export interface ProfileSecretRow {
  id: string;
  profile_id: string;
  secret_enc: string;
  public_key: string | null;
  created_at: number;
  expires_at: number | null;
}

/** Row to API shape; the secret is only passed in on create, rotate and reveal. */
export function toAuthProfile(row: AuthProfileRow, publicKey: string | null, secret?: string) {
  return {
    id: row.id,
    type: row.type,
    ...(row.name ? { name: row.name } : {}),
    ...(publicKey ? { publicKey } : {}),
    ...(secret ? { secret } : {}),
    createdAt: iso(row.created_at),
  };
}

export function insertAuthProfile(db: D1Database, row: AuthProfileRow) {
  return db
    .prepare(
      "INSERT INTO auth_profiles (id, app_id, type, name, private, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(row.id, row.app_id, row.type, row.name, row.private, row.created_at, row.updated_at);
}

export function insertProfileSecret(db: D1Database, row: ProfileSecretRow) {
  return db
    .prepare(
      "INSERT INTO auth_profile_secrets (id, profile_id, secret_enc, public_key, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(row.id, row.profile_id, row.secret_enc, row.public_key, row.created_at, row.expires_at);
}

/** A profile of an app with its current public key (ed25519). */
export async function getAuthProfile(
  db: D1Database,
  appId: string,
  id: string,
): Promise<(AuthProfileRow & { public_key: string | null }) | null> {
  return db
    .prepare(
      `SELECT p.*, (SELECT public_key FROM auth_profile_secrets s
                    WHERE s.profile_id = p.id AND s.expires_at IS NULL) AS public_key
       FROM auth_profiles p WHERE p.id = ? AND p.app_id = ?`,
    )
    .bind(id, appId)
    .first();
}

/** Profiles of an app (shared and endpoint-private), newest first. */
export async function listAuthProfiles(
  db: D1Database,
  appId: string,
  limit: number,
  before: string | null,
) {
  // '~' sorts after every id: the first page seeks like the others (see listApps).
  const { results } = await db
    .prepare(
      `SELECT p.*, (SELECT public_key FROM auth_profile_secrets s
                    WHERE s.profile_id = p.id AND s.expires_at IS NULL) AS public_key
       FROM auth_profiles p
       WHERE p.app_id = ?1 AND p.id < coalesce(?2, '~') ORDER BY p.id DESC LIMIT ?3`,
    )
    .bind(appId, before, limit + 1)
    .all<AuthProfileRow & { public_key: string | null }>();
  return results;
}

/** The current secret of a profile. */
export async function currentSecret(
  db: D1Database,
  profileId: string,
): Promise<ProfileSecretRow | null> {
  return db
    .prepare("SELECT * FROM auth_profile_secrets WHERE profile_id = ? AND expires_at IS NULL")
    .bind(profileId)
    .first<ProfileSecretRow>();
}

/** Statements that rotate a profile: the current secret expires after the grace, the new one is
 * current, and rotated-out secrets beyond the newest `keepOld` (or already expired) are dropped. */
export function rotateStatements(
  db: D1Database,
  next: ProfileSecretRow,
  now: number,
  graceMs: number,
  keepOld: number,
): D1PreparedStatement[] {
  return [
    db
      .prepare(
        "UPDATE auth_profile_secrets SET expires_at = ? WHERE profile_id = ? AND expires_at IS NULL",
      )
      .bind(now + graceMs, next.profile_id),
    insertProfileSecret(db, next),
    db
      .prepare(
        `DELETE FROM auth_profile_secrets WHERE profile_id = ?1 AND expires_at IS NOT NULL AND (
           expires_at <= ?2 OR id NOT IN (
             SELECT id FROM auth_profile_secrets WHERE profile_id = ?1 AND expires_at IS NOT NULL
             ORDER BY id DESC LIMIT ?3))`,
      )
      .bind(next.profile_id, now, keepOld),
    db.prepare("UPDATE auth_profiles SET updated_at = ? WHERE id = ?").bind(now, next.profile_id),
  ];
}

/** Renames a profile; its result has a row when the profile exists. */
export function updateAuthProfileStatement(
  db: D1Database,
  appId: string,
  id: string,
  name: string | null,
  now: number,
) {
  return db
    .prepare(
      "UPDATE auth_profiles SET name = ?, updated_at = ? WHERE id = ? AND app_id = ? RETURNING id",
    )
    .bind(name, now, id, appId);
}

/** Number of endpoints using a profile. */
export async function profileUsage(db: D1Database, id: string): Promise<number> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM endpoints WHERE auth_profile_id = ?")
    .bind(id)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export function deleteAuthProfileStatement(db: D1Database, appId: string, id: string) {
  return db.prepare("DELETE FROM auth_profiles WHERE id = ? AND app_id = ?").bind(id, appId);
}

/** Deletes a private profile once no endpoint uses it (its endpoint was deleted or re-pointed). */
export function dropPrivateProfileIfUnused(db: D1Database, appId: string, id: string) {
  return db
    .prepare(
      `DELETE FROM auth_profiles WHERE id = ?1 AND app_id = ?2 AND private = 1
         AND NOT EXISTS (SELECT 1 FROM endpoints WHERE auth_profile_id = ?1)`,
    )
    .bind(id, appId);
}

/**
 * A profile of an app with every secret row still stored (rotated-out ones included), for
 * rebuilding what an attempt sent; null when the profile is gone.
 */
export async function profileWithSecrets(
  db: D1Database,
  appId: string,
  profileId: string,
): Promise<{ profile: AuthProfileRow; secrets: ProfileSecretRow[] } | null> {
  const [profile, secrets] = await db.batch([
    db.prepare("SELECT * FROM auth_profiles WHERE id = ? AND app_id = ?").bind(profileId, appId),
    db.prepare("SELECT * FROM auth_profile_secrets WHERE profile_id = ?").bind(profileId),
  ]);
  const row = profile?.results[0] as AuthProfileRow | undefined;
  return row ? { profile: row, secrets: (secrets?.results ?? []) as ProfileSecretRow[] } : null;
}
