import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";
import type { DeliveryTask } from "../../src/schemas/queue";
import { type ApiResult, call } from "../helpers";

/** RFC 9457 body as the API answers it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { field: string; detail: string }[];
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface AppBody {
  id: string;
  name: string;
  uid?: string;
  createdAt: string;
}

export interface ApiKeyBody {
  id: string;
  name?: string;
  token?: string;
  createdAt: string;
}

export interface EventTypeBody {
  name: string;
  description?: string;
  schema?: Record<string, unknown>;
  createdAt: string;
}

export interface ProfileBody {
  id: string;
  type: "hmac-sha256" | "ed25519" | "bearer";
  name?: string;
  publicKey?: string;
  secret?: string;
  createdAt: string;
}

export interface EndpointBody {
  id: string;
  url: string;
  description?: string;
  eventTypes: string[];
  authProfileId: string;
  headers?: Record<string, string>;
  rateLimit?: number;
  maxConcurrency?: number;
  successRule: "2xx" | "200";
  ordering: "none" | "fifo";
  disabled: boolean;
  disabledReason?: string;
  secret?: string;
  createdAt: string;
}

export interface MessageBody {
  id: string;
  eventType: string;
  payload?: Record<string, unknown>;
  eventId?: string;
  createdAt: string;
  deliveries: { id: string; endpointId: string; status: string; attempts: number }[];
}

/** Asserts an RFC 9457 answer; with `field`, that one of its `errors` names that field. */
export function expectProblem(res: ApiResult<unknown>, status: number, field?: string): Problem {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = res.body as Problem;
  expect(body).toMatchObject({
    type: expect.stringMatching(/^https:\/\/\S+$/),
    title: expect.any(String),
    status,
  });
  if (field !== undefined) {
    expect(body.errors?.map((e) => e.field)).toContain(field);
  }
  return body;
}

/** A body that arrives in chunks, as from a client streaming without (or despite) a length. */
export function streamOf(text: string, chunkBytes = 16 * 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunkBytes));
      offset += chunkBytes;
    },
  });
}

/** Row count of a table for one app (tables that carry app_id). */
export async function countFor(table: string, appId: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE app_id = ?`)
    .bind(appId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** A message's deliveries as GET message shows them (admin token), by endpoint id. */
export async function deliveriesOf(
  appId: string,
  messageId: string,
): Promise<MessageBody["deliveries"]> {
  const res = await call<MessageBody>("GET", `/v1/apps/${appId}/messages/${messageId}`);
  expect(res.status).toBe(200);
  return [...res.body.deliveries].sort((x, y) => (x.endpointId < y.endpointId ? -1 : 1));
}

/** HTTP attempts logged for one app (entries of its attempt-log rows that made a request). */
export async function attemptCountFor(appId: string): Promise<number> {
  const row = await env.DB.prepare(
    `SELECT COUNT(*) AS n FROM attempt_log l, json_each(l.entries) j
     WHERE l.app_id = ? AND j.value ->> 1 > 0`,
  )
    .bind(appId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** A first-try task as ingest sends it to `DELIVERIES`. */
export type QueuedTask = DeliveryTask;

/** Spies on the real DELIVERIES binding; `stub` keeps messages off the queue entirely. */
export function spyOnDeliveries(opts: { stub?: boolean } = {}) {
  const spy = vi.spyOn(env.DELIVERIES, "sendBatch");
  if (opts.stub) {
    spy.mockResolvedValue({ metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } });
  }
  /** Bodies of every message sent so far, optionally only those of one message id. */
  const sent = (messageId?: string): unknown[] =>
    spy.mock.calls
      .flatMap(([batch]) => Array.from(batch, (m) => m.body))
      .filter(
        (body) => messageId === undefined || (body as Partial<QueuedTask>).messageId === messageId,
      );
  return { spy, sent };
}

/** Every page of a list, following `nextCursor` with the given limit. */
export async function allPages<T>(
  get: (query: string) => Promise<ApiResult<Page<T>>>,
  limit: number,
): Promise<{ items: T[]; pages: Page<T>[] }> {
  const pages: Page<T>[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const res = await get(query);
    expect(res.status).toBe(200);
    pages.push(res.body);
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    cursor = res.body.nextCursor;
    if (pages.length > 1000) throw new Error("pagination does not end");
  } while (cursor !== null);
  return { items: pages.flatMap((p) => p.data), pages };
}
