import { entriesForRefsStatement, firstOfEachAttempt, loggedEntries } from "./attempt-log";

/** How long a bulk replay's record is kept for its progress page. */
export const REPLAY_KEEP_MS = 24 * 3_600_000;

/** A bulk replay as stored: the pairs it restarted. */
export interface ReplayRow {
  app_id: string;
  id: string;
  deliveries: string;
  created_at: number;
}

/** Records a bulk replay and drops the app's records past {@link REPLAY_KEEP_MS}. */
export function recordReplayStatements(
  db: D1Database,
  appId: string,
  id: string,
  pairs: { messageId: string; endpointId: string }[],
  now: number,
): D1PreparedStatement[] {
  return [
    db
      .prepare("DELETE FROM replays WHERE app_id = ? AND created_at < ?")
      .bind(appId, now - REPLAY_KEEP_MS),
    db
      .prepare("INSERT INTO replays (app_id, id, deliveries, created_at) VALUES (?, ?, ?, ?)")
      .bind(appId, id, JSON.stringify(pairs.map((p) => [p.messageId, p.endpointId])), now),
  ];
}

/** A replay record of an app, or null. */
export function getReplay(db: D1Database, appId: string, id: string): Promise<ReplayRow | null> {
  return db
    .prepare("SELECT * FROM replays WHERE app_id = ? AND id = ?")
    .bind(appId, id)
    .first<ReplayRow>();
}

/** Where a replayed delivery is now. */
export interface ReplayProgress {
  total: number;
  /** Restarted, not tried yet (or waiting on its endpoint's gate). */
  pending: number;
  /** Tried since the replay, failed, waiting for a retry. */
  retrying: number;
  succeeded: number;
  /** Dead again since the replay. */
  dead: number;
  /** Ended otherwise (its endpoint or message deleted meanwhile). */
  other: number;
}

/**
 * What became of a replay's deliveries, in one D1 round trip: an open row means still going
 * (retrying once it has tried), a dead letter written after the replay means dead again,
 * otherwise the delivery's last log entry says how it ended.
 */
export async function replayProgress(db: D1Database, row: ReplayRow): Promise<ReplayProgress> {
  const pairs = JSON.parse(row.deliveries) as [string, string][];
  const json = JSON.stringify(pairs);
  const [open, dead, log] = await db.batch([
    db
      .prepare(
        `SELECT endpoint_id, message_id, attempts FROM open_deliveries
         WHERE (message_id, endpoint_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
      )
      .bind(json),
    db
      .prepare(
        `SELECT endpoint_id, message_id FROM dead_letters WHERE app_id = ?1 AND dead_at >= ?2
           AND (message_id, endpoint_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?3))`,
      )
      .bind(row.app_id, row.created_at, json),
    entriesForRefsStatement(
      db,
      pairs.map(([messageId, endpointId]) => ({ appId: row.app_id, messageId, endpointId })),
    ),
  ]);
  const key = (m: string, e: string) => `${m}\u0000${e}`;
  const openRows = new Map(
    ((open?.results ?? []) as { endpoint_id: string; message_id: string; attempts: number }[]).map(
      (r) => [key(r.message_id, r.endpoint_id), r.attempts],
    ),
  );
  const deadAgain = new Set(
    ((dead?.results ?? []) as { endpoint_id: string; message_id: string }[]).map((r) =>
      key(r.message_id, r.endpoint_id),
    ),
  );
  const last = new Map<string, string>();
  for (const l of firstOfEachAttempt(loggedEntries(log)))
    if (l.entry[3] >= row.created_at) last.set(key(l.entry[0], l.endpointId), l.entry[2]);
  const out: ReplayProgress = {
    total: pairs.length,
    pending: 0,
    retrying: 0,
    succeeded: 0,
    dead: 0,
    other: 0,
  };
  for (const [m, e] of pairs) {
    const k = key(m, e);
    const attempts = openRows.get(k);
    if (attempts !== undefined) {
      if (attempts > 0) out.retrying++;
      else out.pending++;
    } else if (deadAgain.has(k)) out.dead++;
    else if (last.get(k) === "succeeded") out.succeeded++;
    else out.other++;
  }
  return out;
}
