import { z } from "zod";

const Id = z.string().min(1).max(64);

/**
 * A first-try delivery, sent at ingest: the message's facts travel with it (its payload too,
 * when small), so the consumer reads nothing back for it. Never secrets.
 */
export const DeliveryTask = z.object({
  kind: z.literal("delivery"),
  appId: Id,
  messageId: Id,
  endpointId: Id,
  eventType: z.string().min(1).max(256),
  createdAt: z.number().int(),
  /** The payload exactly as sent; absent when too large to carry (then read from D1). */
  payload: z.string().optional(),
});
export type DeliveryTask = z.infer<typeof DeliveryTask>;

/**
 * Hands out an endpoint's open deliveries that are due (retries, deliveries parked by its
 * gate, FIFO ones): sent by the endpoint's gate when it can take more, or by the sweeper.
 */
export const WakeTask = z.object({ kind: z.literal("wake"), endpointId: Id, appId: Id });
export type WakeTask = z.infer<typeof WakeTask>;

/**
 * Outcomes D1 refused to record right after their requests went out: written by a later
 * consumer instead of sending again. Produced only by the consumer itself (record.ts).
 */
export const RecordTask = z.object({
  kind: z.literal("record"),
  at: z.number().int(),
  /** The shard the outcomes belong to (0 = DB). */
  shard: z.number().int().min(0).default(0),
  results: z.array(z.record(z.string(), z.unknown())).max(1000),
});
export type RecordTask = z.infer<typeof RecordTask>;

/**
 * A wide message's deliveries `from` to `to` (indexes into its fan-out list), to be sent as
 * first tries by a consumer: ingest hands a large fan-out to the queue in ranges instead of
 * sending one task per delivery itself. Sent again after a crash, its first tries are skipped
 * where they already went out.
 */
export const FanoutTask = z.object({
  kind: z.literal("fanout"),
  appId: Id,
  messageId: Id,
  from: z.number().int().min(0),
  to: z.number().int().min(1),
});
export type FanoutTask = z.infer<typeof FanoutTask>;

/** What the `DELIVERIES` queue carries. */
export const QueueTask = z.discriminatedUnion("kind", [
  DeliveryTask,
  WakeTask,
  RecordTask,
  FanoutTask,
]);
export type QueueTask = z.infer<typeof QueueTask>;

/** Payloads up to this many characters ride in the queue message (well under its 128 KB cap). */
export const INLINE_PAYLOAD_MAX = 16_384;
