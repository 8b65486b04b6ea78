import { LIMITS } from "../config";
import { log } from "../lib/log";
import { deliveryQueues, queueIndexOf } from "../lib/topology";
import type { QueueTask } from "../schemas/queue";

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
