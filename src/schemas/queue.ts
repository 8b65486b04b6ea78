import { z } from "zod";

/** A `DELIVERIES` queue message: ids only, never payloads or secrets. */
export const DeliveryTask = z.object({
  deliveryId: z.string().min(1).max(64),
  endpointId: z.string().min(1).max(64),
  messageId: z.string().min(1).max(64),
});
export type DeliveryTask = z.infer<typeof DeliveryTask>;
