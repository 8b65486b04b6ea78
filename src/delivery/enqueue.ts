import { LIMITS } from "../config";
import type { MessageRow } from "../db/messages";
import { log } from "../lib/log";
import { deliveryQueues, queueIndexOf } from "../lib/topology";
import { INLINE_PAYLOAD_MAX, type QueueTask } from "../schemas/queue";

/**
 * Sends tasks to their endpoints' delivery queues in chunks of 100 (the sendBatch limit).
 * Never throws: what they hand out is already durable in D1, so a failed send only delays it
 * until the sweeper finds it; returns how many tasks could not be sent.
 */
export async function enqueueTasks(env: Env, tasks: QueueTask[]): Promise<number> {
  let failed = 0;
  const queues = deliveryQueues(env);
  const byQueue = new Map<number, QueueTask[]>();
  for (const task of tasks) {
    const index = "endpointId" in task ? queueIndexOf(task.endpointId, queues.length) : 0;
    const list = byQueue.get(index);
    if (list) list.push(task);
    else byQueue.set(index, [task]);
  }
  const chunks: { queue: Queue; tasks: QueueTask[] }[] = [];
  for (const [index, list] of byQueue) {
    const queue = queues[index] ?? env.DELIVERIES;
    for (let i = 0; i < list.length; i += LIMITS.queueBatch)
      chunks.push({ queue, tasks: list.slice(i, i + LIMITS.queueBatch) });
  }
  await Promise.all(
    chunks.map(async ({ queue, tasks: chunk }) => {
      try {
        await queue.sendBatch(chunk.map((body) => ({ body, contentType: "json" as const })));
      } catch (err) {
        failed += chunk.length;
        log("enqueue failed; the sweeper will hand these out", {
          tasks: chunk.length,
          error: String(err),
        });
      }
    }),
  );
  return failed;
}

/** Asks the consumer to hand out endpoints' due open deliveries: endpoint id -> its app id. */
export function wakeTasks(endpoints: Iterable<readonly [string, string]>): QueueTask[] {
  return [...new Map(endpoints)].map(([endpointId, appId]) => ({
    kind: "wake",
    endpointId,
    appId,
  }));
}

/**
 * First-try tasks for a message's endpoints; a FIFO endpoint gets a wake instead (its open row
 * was written with the message).
 */
export function firstTries(
  msg: Pick<MessageRow, "id" | "app_id" | "event_type" | "created_at" | "payload">,
  endpoints: { id: string; fifo: boolean }[],
): QueueTask[] {
  const inline = msg.payload.length <= INLINE_PAYLOAD_MAX;
  return endpoints.map((e) =>
    e.fifo
      ? { kind: "wake", endpointId: e.id, appId: msg.app_id }
      : {
          kind: "delivery",
          appId: msg.app_id,
          messageId: msg.id,
          endpointId: e.id,
          eventType: msg.event_type,
          createdAt: msg.created_at,
          ...(inline ? { payload: msg.payload } : {}),
        },
  );
}
