import { LIMITS } from "../config";
import { log } from "../lib/log";
import type { QueueTask } from "../schemas/queue";

/**
 * Sends tasks to `DELIVERIES` in chunks of 100 (the sendBatch limit). Never throws: what they
 * hand out is already durable in D1, so a failed send only delays it until the sweeper finds
 * it; returns how many tasks could not be sent.
 */
export async function enqueueTasks(env: Env, tasks: QueueTask[]): Promise<number> {
  let failed = 0;
  const chunks: QueueTask[][] = [];
  for (let i = 0; i < tasks.length; i += LIMITS.queueBatch)
    chunks.push(tasks.slice(i, i + LIMITS.queueBatch));
  await Promise.all(
    chunks.map(async (chunk) => {
      try {
        await env.DELIVERIES.sendBatch(
          chunk.map((body) => ({ body, contentType: "json" as const })),
        );
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

/** Asks the consumer to hand out an endpoint's due open deliveries. */
export function wakeTasks(endpointIds: Iterable<string>): QueueTask[] {
  return [...new Set(endpointIds)].map((endpointId) => ({ kind: "wake", endpointId }));
}
