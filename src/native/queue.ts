/**
 * The ingest queue's consumer (`hooklane-ingest`): each queue message is accepted as the HTTP
 * route would accept it. A message the route refuses (4xx) goes to `hooklane-ingest-dlq` with
 * the route's problem as its reason; one it cannot take now (429, 503, 5xx) is retried with the
 * route's Retry-After. Redelivery is harmless: without a key of its own a message is sent under
 * one made from the queue message's id, which the queue keeps across redeliveries.
 */
import { z } from "@hono/zod-openapi";
import { log } from "../lib/log";
import { type SendInput, sendInProcess } from "./send";

/** What a producer publishes: the app, the message (object, or JSON text kept verbatim), a key. */
export const IngestQueueMessage = z.object({
  appId: z.string().min(1).max(64),
  message: z.union([z.string(), z.record(z.string(), z.unknown())]),
  idempotencyKey: z.string().min(1).max(256).optional(),
});

/** What a refused message becomes in the dead-letter queue. */
export interface IngestRejection {
  reason: string;
  status: number;
  problem?: unknown;
  queueMessageId: string;
  body: unknown;
  rejectedAt: string;
}

/** Default wait before a message the route could not take now is tried again. */
const RETRY_S = 30;

export async function consumeIngest(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx: ExecutionContext | undefined,
): Promise<void> {
  await Promise.all(batch.messages.map((m) => ingestOne(m, env, ctx)));
}

async function ingestOne(
  m: Message<unknown>,
  env: Env,
  ctx: ExecutionContext | undefined,
): Promise<void> {
  const parsed = IngestQueueMessage.safeParse(m.body);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
    return reject(env, m, { reason: `not an ingest message (${fields.join("; ")})`, status: 400 });
  }
  const { appId, message, idempotencyKey } = parsed.data;
  const key = idempotencyKey ?? (hasEventId(message) ? undefined : `queue-${m.id}`);
  const result = await sendInProcess(
    env,
    ctx,
    "ingest-queue",
    appId,
    message as SendInput | string,
    key,
  );
  if (result.ok) return m.ack();
  if (result.status === 429 || result.status >= 500) {
    log("ingest queue message retried", { queueMessageId: m.id, status: result.status });
    return m.retry({ delaySeconds: result.retryAfterS ?? RETRY_S });
  }
  const { problem } = result;
  const detail = problem.errors?.map((e) => `${e.field}: ${e.detail}`).join("; ");
  return reject(env, m, {
    reason: [problem.detail ?? problem.title, detail].filter(Boolean).join(" "),
    status: result.status,
    problem,
  });
}

/** Sends the message with its reason to the dead-letter queue, then acks it. */
async function reject(
  env: Env,
  m: Message<unknown>,
  why: { reason: string; status: number; problem?: unknown },
): Promise<void> {
  const rejection: IngestRejection = {
    ...why,
    queueMessageId: m.id,
    body: m.body,
    rejectedAt: new Date().toISOString(),
  };
  log("ingest queue message rejected", {
    queueMessageId: m.id,
    status: why.status,
    reason: why.reason,
  });
  await env.INGEST_DEAD_LETTERS.send(rejection, { contentType: "json" });
  m.ack();
}

/** Whether the message carries an `eventId`, which the route already uses as its key. */
function hasEventId(message: string | Record<string, unknown>): boolean {
  if (typeof message !== "string") return typeof message.eventId === "string";
  try {
    const parsed: unknown = JSON.parse(message);
    return typeof parsed === "object" && parsed !== null && "eventId" in parsed;
  } catch {
    return false;
  }
}
