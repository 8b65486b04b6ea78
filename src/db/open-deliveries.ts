/**
 * Deliveries off the first-try path while they are open (retrying, parked by the gate, FIFO).
 * A row is `waiting` until a wake hands it out (`queued`, with `due_at` as the lease), and goes
 * when its delivery ends.
 */

import { idFloor } from "../lib/ids";

export interface OpenRow {
  endpoint_id: string;
  message_id: string;
  app_id: string;
  state: "waiting" | "queued";
  attempts: number;
  total_attempts: number;
  first_attempt_at: number | null;
  due_at: number;
  lost: number;
  last_error: string | null;
  created_at: number;
  /** The batch it was last sent in (a batching endpoint's retry re-forms it); null: none. */
  batch_id?: string | null;
}

/** Where an open delivery goes next: wait until `dueAt` with these counters. */
export interface OpenUpdate {
  endpointId: string;
  messageId: string;
  appId: string;
  attempts: number;
  totalAttempts: number;
  firstAttemptAt: number | null;
  dueAt: number;
  lastError: string | null;
  createdAt: number;
  /** The batch whose retry it waits for; absent: none. */
  batchId?: string | null;
}

/** A delivery by its pair. */
export interface Pair {
  endpointId: string;
  messageId: string;
}

/** Parks deliveries as `waiting` until `dueAt` (new rows, or rows handed back), in one statement. */
export function parkStatement(db: D1Database, updates: OpenUpdate[]) {
  const values = updates.map((u) => [
    u.endpointId,
    u.messageId,
    u.appId,
    u.attempts,
    u.totalAttempts,
    u.firstAttemptAt,
    u.dueAt,
    u.lastError,
    u.createdAt,
    u.batchId ?? null,
  ]);
  return db
    .prepare(
      `INSERT INTO open_deliveries (endpoint_id, message_id, app_id, state, attempts, total_attempts,
         first_attempt_at, due_at, last_error, created_at, batch_id)
       SELECT value ->> 0, value ->> 1, value ->> 2, 'waiting', value ->> 3, value ->> 4, value ->> 5,
         value ->> 6, value ->> 7, value ->> 8, value ->> 9 FROM json_each(?)
       WHERE true
       ON CONFLICT (endpoint_id, message_id) DO UPDATE SET state = 'waiting', attempts = excluded.attempts,
         total_attempts = excluded.total_attempts, first_attempt_at = excluded.first_attempt_at,
         due_at = excluded.due_at, last_error = excluded.last_error, batch_id = excluded.batch_id`,
    )
    .bind(JSON.stringify(values));
}

/** Removes the rows of deliveries that ended, in one statement. */
export function closeStatement(db: D1Database, pairs: Pair[]) {
  return db
    .prepare(
      `DELETE FROM open_deliveries WHERE (endpoint_id, message_id) IN
         (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
    )
    .bind(JSON.stringify(pairs.map((p) => [p.endpointId, p.messageId])));
}

/** The open rows of these pairs, for one D1 batch. */
export function openRowsStatement(db: D1Database, pairs: Pair[]) {
  return db
    .prepare(
      `SELECT * FROM open_deliveries WHERE (endpoint_id, message_id) IN
         (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
    )
    .bind(JSON.stringify(pairs.map((p) => [p.endpointId, p.messageId])));
}

/** What a wake handed out, and when the endpoint's next waiting delivery is due (null: none). */
export interface Released {
  rows: OpenRow[];
  nextDue: number | null;
}

const NEXT_DUE =
  "SELECT min(due_at) AS next FROM open_deliveries WHERE endpoint_id = ? AND state = 'waiting'";

/**
 * Hands out up to `limit` of an endpoint's waiting rows that are due, earliest first: they
 * become `queued` until `leaseUntil`. The caller holds the gate's slots for them.
 */
export async function releaseDue(
  db: D1Database,
  endpointId: string,
  now: number,
  limit: number,
  leaseUntil: number,
): Promise<Released> {
  if (limit <= 0) return { rows: [], nextDue: null };
  const [updated, next] = await db.batch<OpenRow | { next: number | null }>([
    db
      .prepare(
        `UPDATE open_deliveries SET state = 'queued', due_at = ?4
         WHERE endpoint_id = ?1 AND message_id IN (
           SELECT message_id FROM open_deliveries WHERE endpoint_id = ?1 AND state = 'waiting' AND due_at <= ?2
           ORDER BY due_at LIMIT ?3)
         RETURNING *`,
      )
      .bind(endpointId, now, limit, leaseUntil),
    db.prepare(NEXT_DUE).bind(endpointId),
  ]);
  const rows = (updated?.results ?? []) as OpenRow[];
  rows.sort((a, b) => a.due_at - b.due_at || (a.message_id < b.message_id ? -1 : 1));
  return { rows, nextDue: (next?.results[0] as { next: number | null } | undefined)?.next ?? null };
}

/**
 * For a FIFO endpoint (whose single slot the caller holds): its oldest open deliveries in
 * message order, handed out from the head while they wait, when the head is due. Nothing when
 * the head is not due yet or is out with another consumer; `nextDue` then says when it is.
 */
export async function releaseFifo(
  db: D1Database,
  endpointId: string,
  now: number,
  limit: number,
  leaseUntil: number,
): Promise<Released> {
  if (limit <= 0) return { rows: [], nextDue: null };
  const { results } = await db
    .prepare("SELECT * FROM open_deliveries WHERE endpoint_id = ? ORDER BY message_id LIMIT ?")
    .bind(endpointId, limit + 1)
    .all<OpenRow>();
  const head = results[0];
  if (!head) return { rows: [], nextDue: null };
  if (head.due_at > now) return { rows: [], nextDue: head.due_at };
  const run: OpenRow[] = [];
  for (const r of results.slice(0, limit)) {
    if (r.state === "queued" && r.due_at > now) break;
    run.push(r);
  }
  await db
    .prepare(
      `UPDATE open_deliveries SET state = 'queued', due_at = ?2
       WHERE endpoint_id = ?1 AND message_id IN (SELECT value FROM json_each(?3))`,
    )
    .bind(endpointId, leaseUntil, JSON.stringify(run.map((r) => r.message_id)))
    .run();
  // What is behind the run goes next, once the walk reports.
  return {
    rows: run.map((r) => ({ ...r, state: "queued" as const, due_at: leaseUntil })),
    nextDue: results.length > run.length ? now : null,
  };
}

/** A batch still filling: first tries parked under one id, and when its oldest has waited. */
export interface FillingGroup {
  batchId: string;
  count: number;
  until: number;
}

/**
 * The endpoint's batch that is filling, if any: its waiting first tries parked under a batch
 * id (the earliest due, should two consumers have started one each). Reads the group's rows
 * through the partial index `open_deliveries_filling`.
 */
export async function fillingGroup(
  db: D1Database,
  endpointId: string,
): Promise<FillingGroup | null> {
  const row = await db
    .prepare(
      `SELECT batch_id AS batchId, COUNT(*) AS count, MIN(due_at) AS until FROM open_deliveries
       WHERE endpoint_id = ? AND attempts = 0 AND batch_id IS NOT NULL AND state = 'waiting'
       GROUP BY batch_id ORDER BY until LIMIT 1`,
    )
    .bind(endpointId)
    .first<FillingGroup>();
  return row ?? null;
}

/**
 * Makes the endpoint's filling first tries due now when there are `maxEvents` of them, so the
 * wake the gate is then told about hands them out at once. Run in the same D1 batch as the
 * park that joined them, after it: D1 runs batches one at a time, so of two consumers filling
 * one endpoint side by side, the later one counts both and never misses a full batch.
 */
export function hurryFullStatement(
  db: D1Database,
  endpointId: string,
  maxEvents: number,
  now: number,
) {
  const filling =
    "endpoint_id = ?1 AND attempts = 0 AND batch_id IS NOT NULL AND state = 'waiting'";
  return db
    .prepare(
      `UPDATE open_deliveries SET due_at = ?2 WHERE ${filling}
         AND (SELECT COUNT(*) FROM open_deliveries WHERE ${filling}) >= ?3`,
    )
    .bind(endpointId, now, maxEvents);
}

/** An endpoint's open deliveries (its backlog). */
export async function openCount(db: D1Database, endpointId: string): Promise<number> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM open_deliveries WHERE endpoint_id = ?")
    .bind(endpointId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/**
 * An endpoint's deliveries to recover since a time, oldest first: failed ones waiting for a
 * retry (open rows with tries) and dead ones (their letters), of messages created since then.
 */
export async function recoverablePairs(
  db: D1Database,
  appId: string,
  endpointId: string,
  since: number,
  limit: number,
): Promise<{ appId: string; messageId: string; endpointId: string }[]> {
  const { results } = await db
    .prepare(
      `SELECT message_id FROM open_deliveries
         WHERE endpoint_id = ?1 AND app_id = ?2 AND state = 'waiting' AND attempts > 0 AND created_at >= ?3
       UNION
       SELECT d.message_id FROM dead_letters d JOIN messages m ON m.app_id = d.app_id AND m.id = d.message_id
         WHERE d.endpoint_id = ?1 AND d.app_id = ?2 AND d.dead_at >= ?3 AND m.id >= ?5
       ORDER BY message_id LIMIT ?4`,
    )
    .bind(endpointId, appId, since, limit, idFloor("msg", since))
    .all<{ message_id: string }>();
  return results.map((r) => ({ appId, messageId: r.message_id, endpointId }));
}
