/**
 * The sweeper's queries: messages not yet checked for lost first tries, open rows overdue,
 * and retention purges in bounded passes.
 */

import { bucketAfter, bucketOf, idFloor, timeOfId } from "../lib/ids";
import type { OpenRow } from "./open-deliveries";

/** A message the sweeper checks: did each of its deliveries get handed to a consumer? */
export interface UncheckedMessage {
  app_id: string;
  id: string;
  /** As stored (see `fanOutColumn`). */
  endpoints: string;
  /** Read from the id. */
  created_at: number;
}

/**
 * Messages past each app's mark and older than `before` (ms), oldest first per app: their
 * first tries should all have an outcome or an open row by now.
 */
export async function uncheckedMessages(
  db: D1Database,
  before: number,
  limit: number,
  skipApps: readonly string[] = [],
): Promise<UncheckedMessage[]> {
  const { results } = await db
    .prepare(
      `SELECT m.app_id, m.id, m.endpoints FROM apps a
         JOIN messages m ON m.app_id = a.id AND m.id > a.swept_to AND m.id < ?1
       WHERE a.deleted_at IS NULL AND a.id NOT IN (SELECT value FROM json_each(?3))
       ORDER BY m.app_id, m.id LIMIT ?2`,
    )
    .bind(idFloor("msg", before), limit, JSON.stringify(skipApps))
    .all<Omit<UncheckedMessage, "created_at">>();
  return results.map((m) => ({ ...m, created_at: timeOfId(m.id) }));
}

/** Moves apps' marks: every first try of their messages up to that id is accounted for. */
export function markSweptStatement(db: D1Database, marks: Map<string, string>) {
  return db
    .prepare(
      `UPDATE apps SET swept_to = m.value ->> 1
       FROM json_each(?) m WHERE apps.id = m.value ->> 0 AND apps.swept_to < m.value ->> 1`,
    )
    .bind(JSON.stringify([...marks]));
}

/**
 * Open rows that need settling, an endpoint at a time: handed out and unanswered since before
 * `before` (a lost consumer), or begun before `startedBefore` (their retry window has closed,
 * whenever they are next due: a row the gate keeps re-parking must still end).
 */
export async function overdueOpenRows(
  db: D1Database,
  before: number,
  startedBefore: number,
  limit: number,
  skipApps: readonly string[] = [],
): Promise<OpenRow[]> {
  const { results } = await db
    .prepare(
      `SELECT o.* FROM endpoints e JOIN open_deliveries o ON o.endpoint_id = e.id
       WHERE ((o.state = 'queued' AND o.due_at < ?1) OR coalesce(o.first_attempt_at, o.created_at) < ?2)
         AND e.app_id NOT IN (SELECT value FROM json_each(?4))
       LIMIT ?3`,
    )
    .bind(before, startedBefore, limit, JSON.stringify(skipApps))
    .all<OpenRow>();
  return results;
}

/** Endpoints with a waiting row due before `before`: their gate's wake did not come. */
export async function endpointsWaitingTooLong(
  db: D1Database,
  before: number,
): Promise<{ id: string; app_id: string }[]> {
  const { results } = await db
    .prepare(
      `SELECT e.id, e.app_id FROM endpoints e WHERE EXISTS (SELECT 1 FROM open_deliveries o
         WHERE o.endpoint_id = e.id AND o.due_at < ?1 AND o.state = 'waiting')`,
    )
    .bind(before)
    .all<{ id: string; app_id: string }>();
  return results;
}

/** Hands lost rows back: `waiting`, due now, one more loss counted. */
export function requeueLostStatement(
  db: D1Database,
  rows: Pick<OpenRow, "endpoint_id" | "message_id">[],
  now: number,
) {
  return db
    .prepare(
      `UPDATE open_deliveries SET state = 'waiting', due_at = ?2, lost = lost + 1
       WHERE (endpoint_id, message_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?1))`,
    )
    .bind(JSON.stringify(rows.map((r) => [r.endpoint_id, r.message_id])), now);
}

/** What one retention pass removed. */
export interface PurgeCounts {
  messages: number;
  logRows: number;
  deadLetters: number;
  idempotencyKeys: number;
}

/**
 * One bounded retention pass: up to `limit` messages older than `cutoff` that the sweeper has
 * checked and that have no open delivery (an open one is waited for), with their idempotency
 * keys; then up to `limit` attempt-log rows and dead letters of older message seconds. Each
 * statement picks its own rows, so a pass is a few index range reads whatever the backlog.
 */
export async function purgePass(db: D1Database, cutoff: number, limit: number) {
  const floor = idFloor("msg", cutoff);
  const expired = `SELECT m.app_id, m.id, m.idempotency_key FROM apps a
    JOIN messages m ON m.app_id = a.id AND m.id < ?1 AND m.id <= a.swept_to
    WHERE NOT EXISTS (SELECT 1 FROM json_each(m.endpoints) e JOIN open_deliveries o
      ON o.endpoint_id = 'ep_' || e.value AND o.message_id = m.id)
    ORDER BY m.app_id, m.id LIMIT ?2`;
  const [keys, messages, log, letters] = await db.batch([
    db
      .prepare(
        `DELETE FROM idempotency_keys WHERE (app_id, key) IN
           (SELECT app_id, idempotency_key FROM (${expired}) WHERE idempotency_key IS NOT NULL)`,
      )
      .bind(floor, limit),
    db
      .prepare(`DELETE FROM messages WHERE (app_id, id) IN (SELECT app_id, id FROM (${expired}))`)
      .bind(floor, limit),
    db
      .prepare(
        `DELETE FROM attempt_log WHERE (app_id, bucket, id) IN
           (SELECT l.app_id, l.bucket, l.id FROM apps a
              JOIN attempt_log l ON l.app_id = a.id AND l.bucket < ?1 LIMIT ?2)`,
      )
      // A row of the second before the floor's may also hold entries of the floor's second.
      .bind(bucketAfter(bucketOf(floor), -1), limit),
    db
      .prepare(
        `DELETE FROM dead_letters WHERE (app_id, message_id, endpoint_id) IN
           (SELECT d.app_id, d.message_id, d.endpoint_id FROM apps a
              JOIN dead_letters d ON d.app_id = a.id AND d.message_id < ?1 LIMIT ?2)`,
      )
      .bind(floor, limit),
  ]);
  return {
    messages: messages?.meta.changes ?? 0,
    logRows: log?.meta.changes ?? 0,
    deadLetters: letters?.meta.changes ?? 0,
    idempotencyKeys: keys?.meta.changes ?? 0,
  };
}

/** What the last sweep recorded about the backlog. */
export interface SweeperState {
  swept_at: number;
  oldest_open_at: number | null;
  open_count: number;
  stalled_runs: number;
  behind: number;
  report: string;
  notices_to?: string;
}

/** The open backlog now: how many deliveries are open and since when the oldest one. */
export async function openBacklog(db: D1Database) {
  const [backlog, previous] = await db.batch<{ n: number; oldest: number | null } | SweeperState>([
    db.prepare(
      "SELECT COUNT(*) AS n, min(coalesce(first_attempt_at, created_at)) AS oldest FROM open_deliveries",
    ),
    db.prepare("SELECT * FROM sweeper_state WHERE id = 1"),
  ]);
  const row = backlog?.results[0] as { n: number; oldest: number | null } | undefined;
  return {
    open: row?.n ?? 0,
    oldest: row?.oldest ?? null,
    previous: (previous?.results[0] as SweeperState | undefined) ?? null,
  };
}

/** Records what this sweep saw. */
export async function saveSweeperState(db: D1Database, s: SweeperState): Promise<void> {
  await db
    .prepare(
      `INSERT INTO sweeper_state (id, swept_at, oldest_open_at, open_count, stalled_runs, behind, report)
       VALUES (1, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET swept_at = excluded.swept_at, oldest_open_at = excluded.oldest_open_at,
         open_count = excluded.open_count, stalled_runs = excluded.stalled_runs, behind = excluded.behind,
         report = excluded.report`,
    )
    .bind(s.swept_at, s.oldest_open_at, s.open_count, s.stalled_runs, s.behind, s.report)
    .run();
}

/** What the last sweep recorded, or null before the first. */
export async function getSweeperState(db: D1Database): Promise<SweeperState | null> {
  return db.prepare("SELECT * FROM sweeper_state WHERE id = 1").first<SweeperState>();
}
