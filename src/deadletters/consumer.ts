import { z } from "zod";
import { entriesForRefsStatement, insertLogStatement, loggedEntries } from "../db/attempt-log";
import { insertDeadLettersStatement } from "../db/dead-letters";
import { openRowsStatement } from "../db/open-deliveries";
import { type Recordable, recordStatements } from "../delivery/record";
import { deliveryId, newId } from "../lib/ids";
import { log } from "../lib/log";
import { byShard, shardDb } from "../lib/topology";
import { type DeliveryTask, QueueTask, type RecordTask } from "../schemas/queue";

/** What reaches the dead-letter queue: our own notices, or (the backstop) a task the
 * `DELIVERIES` consumer failed on `max_retries` times. */
const DeadNotice = z.object({
  kind: z.literal("dead"),
  deliveryId: z.string().min(1).max(64),
  reason: z.string().max(500),
});

/**
 * The `hooklane-dlq` consumer. A notice only mirrors a dead letter already in D1. A first try
 * that exhausted the queue's own retries means the consumer threw on it every time (a D1 error
 * the consumer recognises as an outage is handed back without counting; anything else counts):
 * unless it has an outcome or an open row by now, it is recorded dead as `consumer_crash`. A
 * wake is dropped: the sweeper wakes endpoints whose deliveries wait too long. Deferred outcomes
 * get one last write.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const now = Date.now();
  const crashed: DeliveryTask[] = [];
  let notices = 0;
  const records: RecordTask[] = [];
  for (const message of batch.messages) {
    const task = QueueTask.safeParse(message.body);
    if (task.success && task.data.kind === "delivery") crashed.push(task.data);
    else if (task.success && task.data.kind === "record") records.push(task.data);
    // A wake or a wide message's range: the sweeper finds what they would have handed out.
    else if (task.success)
      log(`${task.data.kind} dropped by the dead-letter queue`, { ...task.data });
    else if (DeadNotice.safeParse(message.body).success) notices++;
    else log("unknown dead-letter message acked", { messageId: message.id });
  }
  // Each shard's crashed first tries are recorded there.
  const byShardTasks = await byShard(env, crashed, (t) => t.appId);
  await Promise.all(
    [...byShardTasks].map(([shard, tasks]) => deadLetterCrashed(shardDb(env, shard), tasks, now)),
  );
  // Outcomes that could not be recorded five times over: one last try, then they are dropped
  // (the deliveries they describe are found again by the sweeper, at worst sent once more).
  for (const r of records) {
    try {
      const db = shardDb(env, r.shard);
      await db.batch(recordStatements(db, r.results as unknown as Recordable[], r.at));
    } catch (err) {
      log("deferred outcomes dropped", { results: r.results.length, error: String(err) });
    }
  }
  if (notices > 0) log("dead letters recorded", { deliveries: notices });
  // Throwing above leaves every message unacked for the queue to retry; reaching here, all are handled.
  batch.ackAll();
}

/** Records first tries the queue gave up on as dead (`consumer_crash`), unless they went out. */
async function deadLetterCrashed(
  db: D1Database,
  crashed: DeliveryTask[],
  now: number,
): Promise<void> {
  const [logged, open] = await db.batch([
    entriesForRefsStatement(db, crashed),
    openRowsStatement(db, crashed),
  ]);
  const seen = new Set(loggedEntries(logged).map((l) => deliveryId(l.entry[0], l.endpointId)));
  for (const o of (open?.results ?? []) as { message_id: string; endpoint_id: string }[])
    seen.add(deliveryId(o.message_id, o.endpoint_id));
  // A batch may hold the same task twice (delivery is at least once): record it once.
  const dead = crashed.filter((t) => {
    const id = deliveryId(t.messageId, t.endpointId);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  if (dead.length > 0) {
    const statements = [
      insertDeadLettersStatement(
        db,
        dead.map((t) => ({
          app_id: t.appId,
          message_id: t.messageId,
          endpoint_id: t.endpointId,
          reason: "consumer_crash",
          attempts: 0,
          dead_at: now,
        })),
      ),
    ];
    const entries = insertLogStatement(
      db,
      dead.map((t) => ({
        appId: t.appId,
        endpointId: t.endpointId,
        entries: [[t.messageId, 0, "dead", now, 0, null, "consumer_crash", null]],
      })),
      () => newId("att", now),
    );
    if (entries) statements.push(entries);
    await db.batch(statements);
    log("dead-lettered after consumer crashes", { deliveries: dead.length });
  }
}
