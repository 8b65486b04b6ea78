import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { logBucketsOf, storedMessageId, unpackEntry } from "../../src/db/attempt-log";
import {
  acceptStatements,
  fanOutColumn,
  getMessage,
  type StoredMessage,
} from "../../src/db/messages";
import type { OpenRow } from "../../src/db/open-deliveries";
import worker from "../../src/index";
import { deliveryId, idFloor, newId, parseDeliveryId, timeOfId } from "../../src/lib/ids";
import type { DeliveryTask } from "../../src/schemas/queue";
import { call } from "../helpers";

/** A request as the receiver saw it. */
export interface Seen {
  url: string;
  headers: Record<string, string>;
  body: string;
  redirect: string | undefined;
}

/** Routes outbound requests to `respond` and records them (the receiver side of a test). */
export function receiver(respond: (req: Seen, n: number) => Response | Promise<Response>): Seen[] {
  const seen: Seen[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const req: Seen = { url, headers, body: String(init?.body ?? ""), redirect: init?.redirect };
    seen.push(req);
    return respond(req, seen.length);
  });
  return seen;
}

/** A first-try task as ingest sends it, with the delivery's id alongside for the test. */
export type SeededTask = DeliveryTask & { deliveryId: string };

/**
 * Writes a message fanned out to these endpoints with ingest's own statements, but does not
 * enqueue: the test hands the queue batch to the consumer itself. Returns the first-try tasks
 * ingest would have sent (the `deliveryId` rides along; the consumer ignores it).
 */
export async function seedDeliveries(
  appId: string,
  endpointIds: string[],
  payload: Record<string, unknown> = { n: 1 },
  at: number = Date.now(),
  fifoEndpoints: string[] = [],
): Promise<SeededTask[]> {
  // Ids carry their creation time (retention relies on it), also for a seeded past time;
  // `newId` alone stays monotonic and would stamp a past time as the latest one.
  const messageId =
    at < Date.now() - 1000 ? `${idFloor("msg", at)}${newId("msg").slice(-16)}` : newId("msg", at);
  const msg: StoredMessage = {
    id: messageId,
    app_id: appId,
    event_type: "order.created",
    payload: JSON.stringify(payload),
    event_id: null,
    idempotency_key: null,
    endpoints: fanOutColumn(endpointIds),
  };
  await env.DB.batch(acceptStatements(env.DB, msg, fifoEndpoints, at));
  return endpointIds.map((endpointId) => ({
    kind: "delivery" as const,
    appId,
    messageId,
    endpointId,
    eventType: msg.event_type,
    // What the message's createdAt reads: the time its id carries.
    createdAt: timeOfId(messageId),
    payload: msg.payload,
    deliveryId: deliveryId(messageId, endpointId),
  }));
}

/** Runs the DELIVERIES consumer on a batch, with settings overridden, and reports acks/retries. */
export async function runConsumer(
  bodies: unknown[],
  vars: Partial<Record<keyof Env, string>> = {},
) {
  const batch = createMessageBatch(
    "hooklane-deliveries",
    bodies.map((body, i) => ({ id: `q${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...vars } as Env);
  const result = await getQueueResult(batch, ctx);
  return { ...result, ids: batch.messages.map((m) => m.id) };
}

/** A delivery's state as the API and the tables tell it. */
export interface DeliveryState {
  status: string;
  /** Tries in the current series (what the retry schedule counts). */
  attempts: number;
  /** Every try logged. */
  total_attempts: number;
  /** When its open row is due (null once it ended or before it left the first-try path). */
  next_attempt_at: number | null;
  state: "waiting" | "queued" | null;
  last_status_code: number | null;
  last_error: string | null;
}

/** A delivery's state, from the message's statuses, its open row and its log entries. */
export async function deliveryRow(id: string): Promise<DeliveryState | null> {
  const pair = parseDeliveryId(id);
  if (!pair) return null;
  const row = await env.DB.prepare("SELECT * FROM messages WHERE id = ?")
    .bind(pair.messageId)
    .first<StoredMessage>();
  if (!row) return null;
  const found = await getMessage(env.DB, row.app_id, row.id);
  const summary = found?.deliveries.find((d) => d.endpointId === pair.endpointId);
  if (!summary) return null;
  const open = await env.DB.prepare(
    "SELECT * FROM open_deliveries WHERE endpoint_id = ? AND message_id = ?",
  )
    .bind(pair.endpointId, pair.messageId)
    .first<OpenRow>();
  const entries = await logEntries(id);
  const attempts = entries.filter((e) => e.attempt > 0);
  const last = entries[entries.length - 1];
  return {
    status: summary.status,
    attempts: open ? open.attempts : attempts.length,
    total_attempts: attempts.length,
    next_attempt_at: open?.due_at ?? null,
    state: open?.state ?? null,
    last_status_code:
      [...attempts].reverse().find((a) => a.status_code !== null)?.status_code ?? null,
    last_error: open ? open.last_error : (last?.error ?? null),
  };
}

/** One log entry of a delivery, as stored. */
export interface LoggedRow {
  attempt: number;
  status: string;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
}

/** Every log entry of a delivery (settlements too), oldest first. */
export async function logEntries(id: string): Promise<LoggedRow[]> {
  const pair = parseDeliveryId(id);
  if (!pair) return [];
  const { results } = await env.DB.prepare(
    `SELECT j.value AS entry FROM attempt_log l, json_each(l.entries) j
     WHERE l.bucket IN (SELECT value FROM json_each(?1)) AND l.endpoint_id = ?2
       AND j.value ->> 0 = ?3 ORDER BY l.id, j.key`,
  )
    .bind(
      JSON.stringify(logBucketsOf(pair.messageId)),
      pair.endpointId,
      storedMessageId(pair.messageId),
    )
    .all<{ entry: string }>();
  return results.map((r) => {
    const [, attempt, status, , , statusCode, error, excerpt] = unpackEntry(
      JSON.parse(r.entry) as unknown[],
    );
    return { attempt, status, status_code: statusCode, error, response_excerpt: excerpt };
  });
}

/** Attempts (HTTP tries) of a delivery, oldest first. */
export async function attemptRows(id: string): Promise<LoggedRow[]> {
  return (await logEntries(id)).filter((e) => e.attempt > 0);
}

/** A delivery's dead letter, or null. */
export async function deadLetterOf(id: string) {
  const pair = parseDeliveryId(id);
  if (!pair) return null;
  return env.DB.prepare("SELECT * FROM dead_letters WHERE message_id = ? AND endpoint_id = ?")
    .bind(pair.messageId, pair.endpointId)
    .first<{ reason: string; attempts: number; dead_at: number }>();
}

/** Polls until `check` passes or the time runs out (for work the real queue does in the background). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("condition not met in time");
}

/** Operator events recorded for an endpoint, oldest first. */
export async function operatorEvents(endpointId: string) {
  const { results } = await env.DB.prepare(
    "SELECT type, detail FROM operator_events WHERE endpoint_id = ? ORDER BY id",
  )
    .bind(endpointId)
    .all<{ type: string; detail: string }>();
  return results;
}

/** The `endpoint.disabled` (and any other) messages Hooklane sent to the operator's own app. */
export async function operatorNotices(operatorAppId: string) {
  const res = await call<{ data: { eventType: string; payload: Record<string, unknown> }[] }>(
    "GET",
    `/v1/apps/${operatorAppId}/messages`,
  );
  return res.body.data;
}

/** The app of an endpoint (a wake names it); an id no endpoint has for a deleted one. */
export async function appOfEndpoint(endpointId: string): Promise<string> {
  const row = await env.DB.prepare("SELECT app_id FROM endpoints WHERE id = ?")
    .bind(endpointId)
    .first<{ app_id: string }>();
  return row?.app_id ?? "app_deleted";
}
