import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../src/index";

export const ADMIN = "test-admin-token";

export interface ApiResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the Worker's fetch handler like a client would. */
export async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: {
    token?: string | null;
    body?: unknown;
    raw?: BodyInit;
    headers?: Record<string, string>;
    /** Settings to override for this request only. */
    vars?: Partial<Record<keyof Env, string>>;
  } = {},
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? ADMIN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  // The Worker's own fetch handler with the test env: the same code path as a request, without
  // the service-binding hop, which slows down with every call in a file.
  const res = await worker.fetch(
    new Request(`https://hooklane.test${path}`, { method, headers, body }),
    opts.vars ? ({ ...env, ...opts.vars } as Env) : env,
    createExecutionContext(),
  );
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (e.g. the docs page)
  }
  rememberSecretsIn(parsed);
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** Every secret or token a test saw, so test/setup.ts can check none of them was logged. */
const SECRETS_KEY = Symbol.for("hooklane.test.secrets");
export function rememberedSecrets(): Set<string> {
  const g = globalThis as { [SECRETS_KEY]?: Set<string> };
  g[SECRETS_KEY] ??= new Set();
  return g[SECRETS_KEY];
}

/** Adds a secret value to the registry that the console scan in test/setup.ts checks. */
export function rememberSecret(secret: string): void {
  rememberedSecrets().add(secret);
}

/** Answers carry `secret` (auth profiles, endpoints) and `token` (API keys) once: remember them. */
function rememberSecretsIn(body: unknown): void {
  if (body === null || typeof body !== "object") return;
  for (const field of ["secret", "token"] as const) {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value === "string" && value !== "") rememberSecret(value);
  }
}

/** Creates an app and an API key for it. */
export async function newApp(name = "acme"): Promise<{ appId: string; key: string }> {
  const app = await call<{ id: string }>("POST", "/v1/apps", { body: { name } });
  if (app.status !== 201) throw new Error(`app create failed: ${JSON.stringify(app.body)}`);
  const key = await call<{ token: string }>("POST", `/v1/apps/${app.body.id}/api-keys`, {
    body: {},
  });
  if (key.status !== 201) throw new Error(`key create failed: ${JSON.stringify(key.body)}`);
  return { appId: app.body.id, key: key.body.token };
}

/** Creates an endpoint and returns its id and signing secret. */
export async function newEndpoint(
  appId: string,
  body: Record<string, unknown> = {},
): Promise<{ id: string; secret: string; authProfileId: string }> {
  const res = await call<{ id: string; secret: string; authProfileId: string }>(
    "POST",
    `/v1/apps/${appId}/endpoints`,
    {
      body: { url: "https://receiver.example.com/hook", ...body },
    },
  );
  if (res.status !== 201) throw new Error(`endpoint create failed: ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Row counts of the tables ingest writes (messages; open rows for FIFO endpoints; idempotency
 * keys): proof that a refused request changed nothing.
 */
export async function ingestCounts(): Promise<{
  messages: number;
  deliveries: number;
  idempotency: number;
}> {
  const row = await env.DB.prepare(
    `SELECT (SELECT COUNT(*) FROM messages) AS messages, (SELECT COUNT(*) FROM open_deliveries) AS deliveries,
            (SELECT COUNT(*) FROM idempotency_keys) AS idempotency`,
  ).first<{ messages: number; deliveries: number; idempotency: number }>();
  if (!row) throw new Error("count query returned nothing");
  return row;
}
