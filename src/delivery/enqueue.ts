import { LIMITS } from "../config";
import type { DeliveryTask } from "../schemas/queue";

/**
 * Sends delivery tasks to `DELIVERIES` in chunks of 100 (the sendBatch limit). Never throws:
 * the rows are already durable as `pending`, so a failed send only delays them until the
 * sweeper re-enqueues; returns how many tasks could not be sent.
 */
export async function enqueueDeliveries(
  env: Env,
  tasks: DeliveryTask[],
  delaySeconds = 0,
): Promise<number> {
  let failed = 0;
  const chunks: DeliveryTask[][] = [];
  for (let i = 0; i < tasks.length; i += LIMITS.queueBatch)
    chunks.push(tasks.slice(i, i + LIMITS.queueBatch));
  await Promise.all(
    chunks.map(async (chunk) => {
      try {
        await env.DELIVERIES.sendBatch(
          chunk.map((body) => ({
            body,
            contentType: "json" as const,
            ...(delaySeconds > 0 ? { delaySeconds } : {}),
          })),
        );
      } catch (err) {
        failed += chunk.length;
        console.error(
          JSON.stringify({
            msg: "enqueue failed; sweeper will retry",
            deliveries: chunk.length,
            error: String(err),
          }),
        );
      }
    }),
  );
  return failed;
}
