import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/index";
import { sha256Hex } from "../../src/security/tokens";
import { ADMIN, call } from "../helpers";

export const HTTPS = "https://hooklane.test";
export const LOCAL = "http://127.0.0.1:8787";

/** A browser-like request to a page: no bearer token, redirects not followed. */
export async function page(
  method: string,
  path: string,
  opts: {
    base?: string;
    cookie?: string;
    form?: Record<string, string>;
    origin?: string;
    /** The client address Cloudflare would set; sign-in is rate-limited per address. */
    ip?: string;
  } = {},
): Promise<Response> {
  const base = opts.base ?? HTTPS;
  const headers: Record<string, string> = { "cf-connecting-ip": opts.ip ?? randomAddress() };
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.origin) headers.origin = opts.origin;
  let body: string | undefined;
  if (opts.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(opts.form).toString();
  }
  return worker.fetch(
    new Request(`${base}${path}`, { method, headers, body, redirect: "manual" }),
    env,
    createExecutionContext(),
  );
}

/** A documentation-range address (198.51.100.0/24) per call, so tests do not share a limit. */
function randomAddress(): string {
  return `198.51.100.${crypto.getRandomValues(new Uint8Array(1))[0]}`;
}

/** Signs in to the dashboard; the cookie pair to send back, the raw Set-Cookie, the session id. */
export async function signIn(base = HTTPS) {
  const res = await page("POST", "/dashboard/sign-in", { base, form: { token: ADMIN } });
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/dashboard/apps");
  const setCookie = res.headers.get("set-cookie") ?? "";
  const pair = setCookie.split(";")[0] ?? "";
  const id = pair.slice(pair.indexOf("=") + 1);
  return { cookie: pair, setCookie, id, hash: await sha256Hex(id) };
}

/** The CSRF token a signed-in page renders in its forms. */
export async function csrfOf(
  cookie: string,
  base = HTTPS,
  path = "/dashboard/apps",
): Promise<string> {
  const html = await (await page("GET", path, { base, cookie })).text();
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  expect(match).not.toBeNull();
  return match?.[1] ?? "";
}

/** Opens a portal session through the API; its one-time code and id. */
export async function openSession(appId: string, body: Record<string, unknown> = {}) {
  const res = await call<{ url: string; sessionId: string; expiresAt: string }>(
    "POST",
    `/v1/apps/${appId}/portal-sessions`,
    { body },
  );
  expect(res.status).toBe(201);
  const code = new URL(res.body.url).hash.slice("#code=".length);
  return { code, sessionId: res.body.sessionId, expiresAt: res.body.expiresAt };
}

/** Posts a code as the landing page's script does. */
export function trade(code: string, origin: string | null = HTTPS) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (origin) headers.origin = origin;
  return worker.fetch(
    new Request(`${HTTPS}/portal/session`, {
      method: "POST",
      headers,
      body: JSON.stringify({ code }),
    }),
    env,
    createExecutionContext(),
  );
}

/** A session's cookie pair, from a trade of a fresh code. */
export async function signedIn(appId: string, body: Record<string, unknown> = {}) {
  const opened = await openSession(appId, body);
  const res = await trade(opened.code);
  expect(res.status).toBe(204);
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { ...opened, setCookie, cookie: setCookie.split(";")[0] ?? "" };
}

/** The CSRF token a portal page renders in its forms. */
export function portalCsrf(cookie: string, path = "/portal/endpoints"): Promise<string> {
  return csrfOf(cookie, HTTPS, path);
}
