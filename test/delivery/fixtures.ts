import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { acceptStatements } from "../../src/db/messages";
import worker from "../../src/index";
import { idFloor, newId } from "../../src/lib/ids";
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

/**
 * Writes a message and one delivery per endpoint with ingest's own statements, but does not
 * enqueue: the test hands the queue batch to the consumer itself.
 */
export async function seedDeliveries(
  appId: string,
  endpointIds: string[],
  payload: Record<string, unknown> = { n: 1 },
  at: number = Date.now(),
): Promise<DeliveryTask[]> {
  // Ids carry their creation time (retention relies on it), also for a seeded past time;
  // `newId` alone stays monotonic and would stamp a past time as the latest one.
  const idAt = (prefix: "msg" | "dlv") =>
    at < Date.now() - 1000
      ? `${idFloor(prefix, at)}${newId(prefix).slice(-16)}`
      : newId(prefix, at);
  const messageId = idAt("msg");
  const deliveries = endpointIds.map((endpointId) => ({ id: idAt("dlv"), endpointId }));
  const msg = {
    id: messageId,
    app_id: appId,
    event_type: "order.created",
    payload: JSON.stringify(payload),
    event_id: null,
    created_at: at,
  };
  await env.DB.batch(acceptStatements(env.DB, msg, null, deliveries));
  return deliveries.map((d) => ({ deliveryId: d.id, endpointId: d.endpointId, messageId }));
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

/** A delivery row as stored. */
export async function deliveryRow(id: string) {
  return env.DB.prepare("SELECT * FROM deliveries WHERE id = ?").bind(id).first<{
    status: string;
    attempts: number;
    total_attempts: number;
    next_attempt_at: number;
    last_status_code: number | null;
    last_error: string | null;
  }>();
}

/** Attempts of a delivery, oldest first. */
export async function attemptRows(deliveryId: string) {
  const { results } = await env.DB.prepare(
    "SELECT * FROM attempts WHERE delivery_id = ? ORDER BY id",
  )
    .bind(deliveryId)
    .all<{
      attempt: number;
      status_code: number | null;
      error: string | null;
      response_excerpt: string | null;
    }>();
  return results;
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

/**
 * Makes D1 refuse the FIFO head look-up (after the claim, outside any one delivery's handling),
 * as an outage mid-batch would; the real binding answers everything else. Restore when done.
 */
export function failFifoHeadLookup() {
  const prepare = env.DB.prepare.bind(env.DB);
  return vi.spyOn(env.DB, "prepare").mockImplementation((sql: string) => {
    if (sql.includes("JOIN deliveries h")) throw new Error("injected: D1 unavailable");
    return prepare(sql);
  });
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
