import { entriesForRefsStatement, loggedEntries } from "../db/attempt-log";
import type { Pair } from "../db/open-deliveries";
import { enqueueTasks, wakeTasks } from "../delivery/enqueue";

/** A delivery of an app, by its pair. */
export interface AppPair extends Pair {
  appId: string;
}

/**
 * Starts a fresh attempt series for deliveries (same `webhook-id`: the message id): a dead one
 * gets an open row again and loses its dead letter; a failed one waiting for its retry is due
 * now with its series count back to 0. Either way it goes out on its endpoint's next wake,
 * sent at once. Deliveries in neither state are left alone. Returns how many were restarted.
 */
export async function restartDeliveries(
  env: Env,
  db: D1Database,
  pairs: AppPair[],
  now = Date.now(),
): Promise<number> {
  if (pairs.length === 0) return 0;
  // The log keeps numbering across series: the next attempt continues after the last one made.
  const logged = loggedEntries(
    await entriesForRefsStatement(
      db,
      pairs.map((p) => ({ appId: p.appId, messageId: p.messageId })),
    ).all(),
  );
  const made = new Map<string, number>();
  for (const l of logged) {
    const key = `${l.entry[0]}\u0000${l.endpointId}`;
    made.set(key, Math.max(made.get(key) ?? 0, l.entry[1]));
  }
  const rows = JSON.stringify(
    pairs.map((p) => [
      p.appId,
      p.messageId,
      p.endpointId,
      made.get(`${p.messageId}\u0000${p.endpointId}`) ?? 0,
    ]),
  );
  const [revived, retried] = await db.batch([
    db
      .prepare(
        `INSERT INTO open_deliveries (endpoint_id, message_id, app_id, state, attempts, total_attempts, due_at, created_at)
         SELECT d.endpoint_id, d.message_id, d.app_id, 'waiting', 0, p.value ->> 3, ?2, ?2
         FROM json_each(?1) p JOIN dead_letters d ON d.app_id = p.value ->> 0
           AND d.message_id = p.value ->> 1 AND d.endpoint_id = p.value ->> 2
         WHERE true ON CONFLICT (endpoint_id, message_id) DO NOTHING`,
      )
      .bind(rows, now),
    db
      .prepare(
        `UPDATE open_deliveries SET attempts = 0, first_attempt_at = NULL, due_at = ?2, last_error = NULL
         WHERE (app_id, message_id, endpoint_id) IN (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?1))
           AND state = 'waiting' AND attempts > 0`,
      )
      .bind(rows, now),
    db
      .prepare(
        `DELETE FROM dead_letters WHERE (app_id, message_id, endpoint_id) IN
           (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?1))`,
      )
      .bind(rows),
  ]);
  const restarted = (revived?.meta.changes ?? 0) + (retried?.meta.changes ?? 0);
  if (restarted > 0)
    await enqueueTasks(env, wakeTasks(pairs.map((p) => [p.endpointId, p.appId] as const)));
  return restarted;
}
