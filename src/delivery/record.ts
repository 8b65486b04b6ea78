import { insertLogStatement, type LogGroup } from "../db/attempt-log";
import { insertDeadLettersStatement } from "../db/dead-letters";
import { closeStatement, parkStatement } from "../db/open-deliveries";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import type { Result } from "./results";

/** Attempts at writing a batch's outcomes before giving up on D1 for this batch. */
const WRITE_TRIES = 3;

/** What recording needs of a result: the pair, whether it had an open row, and what to write. */
export type Recordable = Pick<Result, "entry" | "park" | "ended" | "dead"> & {
  item: Pick<Result["item"], "appId" | "messageId" | "endpointId"> & {
    open: { attempts: number } | null;
    createdAt?: number;
  };
};

/**
 * The statements that record a batch's results, few whatever its size: one attempt-log insert
 * (a row per endpoint and message second), one upsert for what is still open, one delete for
 * open rows that ended, one insert for dead letters. Writing them twice changes nothing a
 * reader sees (upserts, deletes, and the log keeps the first record of each attempt).
 * `sweptBefore`: first tries of messages created before it may have been expired by the
 * sweeper meanwhile; a success among them clears that dead letter.
 */
export function recordStatements(
  db: D1Database,
  results: Recordable[],
  now: number,
  sweptBefore = Number.POSITIVE_INFINITY,
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
  // A success that raced the sweeper (it expired the delivery while this send was out) ends
  // succeeded: no dead letter may stay behind to be replayed. Only messages the sweeper may
  // already have looked at (older than `sweptBefore`) can have one.
  const succeeded = results.filter(
    (r) => r.entry?.[2] === "succeeded" && (r.item.createdAt ?? 0) < sweptBefore,
  );
  if (succeeded.length > 0) {
    statements.push(
      db
        .prepare(
          `DELETE FROM dead_letters WHERE (app_id, message_id, endpoint_id) IN
             (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?))`,
        )
        .bind(
          JSON.stringify(succeeded.map((r) => [r.item.appId, r.item.messageId, r.item.endpointId])),
        ),
    );
  }
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
): Promise<D1Result[]> {
  if (statements.length === 0) return [];
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.batch(statements);
    } catch (err) {
      if (attempt >= WRITE_TRIES) throw err;
      log("recording outcomes failed; trying again", { attempt, error: String(err) });
      await new Promise((r) => setTimeout(r, 100 * 3 ** attempt));
    }
  }
}

/** A queue message stays well under the 128 KB cap. */
const RECORD_CHUNK_CHARS = 96_000;

/**
 * What to write, compacted for a `record` task: when D1 refuses a batch's outcomes after its
 * requests went out, they travel through the queue and are written later, so nothing is sent
 * again. Split so each task fits in a queue message.
 */
export function recordTasks(results: Recordable[], at: number, shard: number) {
  const tasks: { kind: "record"; at: number; shard: number; results: Recordable[] }[] = [];
  let chunk: Recordable[] = [];
  let size = 0;
  for (const r of results) {
    if (!r.entry && !r.park && !r.ended && !r.dead) continue;
    const compact: Recordable = {
      item: {
        appId: r.item.appId,
        messageId: r.item.messageId,
        endpointId: r.item.endpointId,
        open: r.item.open ? { attempts: r.item.open.attempts } : null,
      },
      ...(r.entry ? { entry: r.entry } : {}),
      ...(r.park ? { park: r.park } : {}),
      ...(r.ended ? { ended: true } : {}),
      ...(r.dead ? { dead: r.dead } : {}),
    };
    const length = JSON.stringify(compact).length;
    if (chunk.length > 0 && size + length > RECORD_CHUNK_CHARS) {
      tasks.push({ kind: "record", at, shard, results: chunk });
      chunk = [];
      size = 0;
    }
    chunk.push(compact);
    size += length;
  }
  if (chunk.length > 0) tasks.push({ kind: "record", at, shard, results: chunk });
  return tasks;
}
