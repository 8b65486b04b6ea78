import { z } from "zod";
import { log } from "../lib/log";
import { DeliveryTask } from "../schemas/queue";

/** What reaches the dead-letter queue: our own notices, or (the backstop) a delivery task the
 * `DELIVERIES` consumer failed on `max_retries` times. */
const DeadNotice = z.object({
  kind: z.literal("dead"),
  deliveryId: z.string().min(1).max(64),
  reason: z.string().max(500),
});

/**
 * The `hooklane-dlq` consumer. Recording is idempotent: a delivery already finished (succeeded,
 * dead, cancelled) is left alone, so a notice for a recorded dead letter changes nothing and a
 * backstop task for a delivery that did get through is ignored. A task that exhausted the queue's
 * own retries means the consumer kept crashing on it: it is recorded as `consumer_crash`.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const now = Date.now();
  const crashed: string[] = [];
  const notices: string[] = [];
  for (const message of batch.messages) {
    const task = DeliveryTask.safeParse(message.body);
    if (task.success) crashed.push(task.data.deliveryId);
    else if (DeadNotice.safeParse(message.body).success)
      notices.push((message.body as { deliveryId: string }).deliveryId);
    else log("unknown dead-letter message acked", { messageId: message.id });
  }
  if (crashed.length > 0) {
    const ids = JSON.stringify(crashed);
    // Only deliveries nobody is working on: waiting, or held by a lease that ran out.
    const open = `id IN (SELECT value FROM json_each(?1)) AND (status IN ('pending', 'failed') OR (status = 'delivering' AND lease_until < ?2))`;
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO dead_letters (delivery_id, app_id, message_id, endpoint_id, reason, attempts, dead_at)
         SELECT id, app_id, message_id, endpoint_id, 'consumer_crash', attempts, ?2 FROM deliveries WHERE ${open}
         ON CONFLICT (delivery_id) DO UPDATE SET reason = excluded.reason, attempts = excluded.attempts, dead_at = excluded.dead_at`,
      ).bind(ids, now),
      env.DB.prepare(
        `UPDATE deliveries SET status = 'dead', next_attempt_at = NULL, lease_until = NULL, last_error = 'consumer_crash', updated_at = ?2 WHERE ${open}`,
      ).bind(ids, now),
    ]);
    log("dead-lettered after consumer crashes", { deliveries: crashed.length });
  }
  if (notices.length > 0) log("dead letters recorded", { deliveries: notices.length });
  // Throwing above leaves every message unacked for the queue to retry; reaching here, all are handled.
  batch.ackAll();
}
