/**
 * Cloudflare-native ingest (docs/ARCHITECTURE.md, "Native ingest"): a Worker in the same
 * account sends through a service binding or the ingest queue instead of public HTTP. Both go
 * through the HTTP route itself, in the isolate (as the dashboard does), so validation,
 * idempotency, rate limits and answers are the route's, byte for byte.
 */
import type { z } from "@hono/zod-openapi";
import { actAs } from "../api/auth";
import { api } from "../api/instance";
import type { Message } from "../schemas/messages";

/** A message as `POST /v1/apps/{appId}/messages` takes it; as JSON text it is sent verbatim. */
export type SendInput = { eventType: string; payload: Record<string, unknown>; eventId?: string };

/** An RFC 9457 problem, as the HTTP route answers it. */
export interface SendProblem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { field: string; detail: string }[];
}

/** The route's answer: the accepted message (202), or its problem. */
export type SendResult =
  | { ok: true; status: 202; replayed: boolean; message: z.infer<typeof Message> }
  | { ok: false; status: number; problem: SendProblem; retryAfterS?: number };

/** Who sent it, for the logs: the binding or the queue. */
export type NativeVia = "service-binding" | "ingest-queue";

/**
 * Sends one message as app `appId` would with its own key. JSON text keeps the payload's exact
 * bytes (big integers, long decimals); an object is serialised first.
 */
export async function sendInProcess(
  env: Env,
  ctx: ExecutionContext | undefined,
  via: NativeVia,
  appId: string,
  message: SendInput | string,
  idempotencyKey?: string,
): Promise<SendResult> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (idempotencyKey !== undefined) headers["idempotency-key"] = idempotencyKey;
  const request = new Request(
    `https://hooklane.internal/v1/apps/${encodeURIComponent(appId)}/messages`,
    {
      method: "POST",
      headers,
      body: typeof message === "string" ? message : JSON.stringify(message),
    },
  );
  const res = await api.fetch(actAs(request, { kind: "app", appId, keyId: via }), env, ctx);
  const body: unknown = await res.json().catch(() => null);
  if (res.status === 202)
    return {
      ok: true,
      status: 202,
      replayed: res.headers.get("idempotent-replayed") === "true",
      message: body as z.infer<typeof Message>,
    };
  const retryAfter = Number(res.headers.get("retry-after"));
  return {
    ok: false,
    status: res.status,
    problem: (body as SendProblem | null) ?? { title: "Error", status: res.status },
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterS: retryAfter } : {}),
  };
}
