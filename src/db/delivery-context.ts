import type { AuthType } from "../schemas/resources";
import type { DeliveryRow } from "./deliveries";
import type { EndpointRow } from "./endpoints";
import type { MessageRow } from "./messages";

export interface SecretForEndpoint {
  endpoint_id: string;
  type: AuthType;
  id: string;
  secret_enc: string;
}

type DeliveryState = Pick<DeliveryRow, "id" | "status" | "lease_until" | "next_attempt_at">;

export interface ClaimedBatch {
  /** Deliveries this consumer now holds (`delivering`, with a lease). */
  claimed: DeliveryRow[];
  /** The state of every id asked for; a missing id is unknown (poison). */
  states: Map<string, DeliveryState>;
  endpoints: Map<string, EndpointRow>;
  messages: Map<string, MessageRow>;
  /** Per endpoint: its profile's valid secrets, newest first. */
  secrets: Map<string, SecretForEndpoint[]>;
}

/** A queue message may run a delivery this early (queue delays are whole seconds). */
const EARLY_SLACK_MS = 1000;

/**
 * One D1 round trip per queue batch: claims the deliveries and loads everything sending them
 * needs (endpoints, messages, signing secrets). A delivery is claimable when it waits
 * (`pending`/`failed`) and is due, or when a previous claim's lease ran out (a crashed
 * consumer); claimed rows become `delivering` with a lease. The claim changes no indexed
 * column, so it costs one row written. Context is read for every id asked for (through the
 * delivery rows, so a tampered queue message cannot point elsewhere); ids that were not
 * claimed cost a few rows read, never a write.
 */
export async function claimWithContext(
  db: D1Database,
  ids: string[],
  now: number,
  leaseMs: number,
): Promise<ClaimedBatch> {
  const idsJson = JSON.stringify(ids);
  const ofIds = "SELECT value FROM json_each(?1)";
  const [claim, states, endpoints, messages, secrets] = await db.batch<
    DeliveryRow | DeliveryState | EndpointRow | MessageRow | SecretForEndpoint
  >([
    db
      .prepare(
        `UPDATE deliveries SET status = 'delivering', lease_until = ?2, updated_at = ?3
         WHERE id IN (${ofIds}) AND (
           (status IN ('pending', 'failed') AND next_attempt_at <= ?4)
           OR (status = 'delivering' AND lease_until < ?3))
         RETURNING *`,
      )
      .bind(idsJson, now + leaseMs, now, now + EARLY_SLACK_MS),
    db
      .prepare(
        `SELECT id, status, lease_until, next_attempt_at FROM deliveries WHERE id IN (${ofIds})`,
      )
      .bind(idsJson),
    db
      .prepare(
        `SELECT * FROM endpoints WHERE id IN (SELECT endpoint_id FROM deliveries WHERE id IN (${ofIds}))`,
      )
      .bind(idsJson),
    db
      .prepare(
        `SELECT * FROM messages
         WHERE (app_id, id) IN (SELECT app_id, message_id FROM deliveries WHERE id IN (${ofIds}))`,
      )
      .bind(idsJson),
    db
      .prepare(
        `SELECT e.id AS endpoint_id, p.type AS type, s.id AS id, s.secret_enc AS secret_enc
         FROM endpoints e JOIN auth_profiles p ON p.id = e.auth_profile_id
           JOIN auth_profile_secrets s ON s.profile_id = p.id
         WHERE e.id IN (SELECT endpoint_id FROM deliveries WHERE id IN (${ofIds}))
           AND (s.expires_at IS NULL OR s.expires_at > ?2)
         ORDER BY s.id DESC`,
      )
      .bind(idsJson, now),
  ]);
  const bySecret = new Map<string, SecretForEndpoint[]>();
  for (const row of (secrets?.results ?? []) as SecretForEndpoint[]) {
    const list = bySecret.get(row.endpoint_id) ?? [];
    list.push(row);
    bySecret.set(row.endpoint_id, list);
  }
  return {
    claimed: (claim?.results ?? []) as DeliveryRow[],
    states: new Map(((states?.results ?? []) as DeliveryState[]).map((r) => [r.id, r])),
    endpoints: new Map(((endpoints?.results ?? []) as EndpointRow[]).map((r) => [r.id, r])),
    messages: new Map(((messages?.results ?? []) as MessageRow[]).map((r) => [r.id, r])),
    secrets: bySecret,
  };
}

/**
 * Gives back claims a crashed run still holds: the lease is made to have run out, so the next
 * claim takes them at once. Only rows still held under that run's exact lease are touched; a
 * delivery whose outcome was already written is left alone.
 */
export async function releaseClaims(
  db: D1Database,
  ids: string[],
  leaseUntil: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries SET lease_until = 0 WHERE id IN (SELECT value FROM json_each(?1))
         AND status = 'delivering' AND lease_until = ?2`,
    )
    .bind(JSON.stringify(ids), leaseUntil)
    .run();
}
