import { restartDeliveries } from "../db/deliveries";
import { enqueueDeliveries } from "../delivery/enqueue";

/**
 * Starts a fresh attempt series for deliveries (same `webhook-id`: the message id) and enqueues
 * them. Only deliveries in `from` move. Returns how many were restarted.
 */
export async function restartAndEnqueue(
  env: Env,
  deliveryIds: string[],
  from: ("dead" | "failed")[],
  now = Date.now(),
): Promise<number> {
  const moved = await restartDeliveries(env.DB, deliveryIds, from, now);
  await enqueueDeliveries(
    env,
    moved.map((d) => ({ deliveryId: d.id, endpointId: d.endpoint_id, messageId: d.message_id })),
  );
  return moved.length;
}
