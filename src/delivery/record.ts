import { insertLogStatement, type LogGroup } from "../db/attempt-log";
import { insertDeadLettersStatement } from "../db/dead-letters";
import { closeStatement, parkStatement } from "../db/open-deliveries";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import type { Result } from "./results";

/** Attempts at writing a batch's outcomes before giving up on D1 for this batch. */
const WRITE_TRIES = 3;

/**
 * The statements that record a batch's results, few whatever its size: one attempt-log insert
 * (a row per endpoint and message second), one upsert for what is still open, one delete for
 * open rows that ended, one insert for dead letters.
 */
export function recordStatements(
  db: D1Database,
  results: Result[],
  now: number,
): D1PreparedStatement[] {
  const groups = new Map<string, LogGroup>();
  for (const r of results) {
    if (!r.entry) continue;
    const key = `${r.item.appId}\u0000${r.item.endpointId}`;
    const group = groups.get(key) ?? {
      appId: r.item.appId,
      endpointId: r.item.endpointId,
      entries: [],
    };
    group.entries.push(r.entry);
    groups.set(key, group);
  }
  const statements: D1PreparedStatement[] = [];
  const logged = insertLogStatement(db, [...groups.values()], () => newId("att", now));
  if (logged) statements.push(logged);
  const parks = results.flatMap((r) => (r.park ? [r.park] : []));
  if (parks.length > 0) statements.push(parkStatement(db, parks));
  const closed = results.filter((r) => r.ended && r.item.open);
  if (closed.length > 0)
    statements.push(
      closeStatement(
        db,
        closed.map((r) => r.item),
      ),
    );
  const dead = results.filter((r) => r.dead);
  if (dead.length > 0) {
    statements.push(
      insertDeadLettersStatement(
        db,
        dead.map((r) => ({
          app_id: r.item.appId,
          message_id: r.item.messageId,
          endpoint_id: r.item.endpointId,
          reason: r.dead ?? "",
          attempts: (r.item.open?.attempts ?? 0) + (r.entry && r.entry[1] > 0 ? 1 : 0),
          dead_at: now,
        })),
      ),
    );
  }
  return statements;
}

/** Writes statements as one transaction, trying again on a transient D1 error. */
export async function writeWithRetry(
  db: D1Database,
  statements: D1PreparedStatement[],
): Promise<void> {
  if (statements.length === 0) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await db.batch(statements);
      return;
    } catch (err) {
      if (attempt >= WRITE_TRIES) throw err;
      log("recording outcomes failed; trying again", { attempt, error: String(err) });
      await new Promise((r) => setTimeout(r, 100 * 3 ** attempt));
    }
  }
}
