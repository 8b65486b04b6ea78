/**
 * Operator sessions for the dashboard: a random id in an HttpOnly, SameSite=Strict cookie, its
 * SHA-256 in D1 with an expiry and a CSRF token (docs/ARCHITECTURE.md, "Dashboard sessions").
 */

import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { findLiveSession, openSession, revokeSession, type SessionRow } from "../db/sessions";
import { randomBytes, toBase64Url } from "../lib/encoding";
import { sha256Hex } from "../security/tokens";
import { ApiClient, type ApiHandle } from "./api-client";

/** How long a session lasts from sign-in; it is not extended by use. */
export const SESSION_TTL_MS = 12 * 3_600_000;

/** The cookie's name everywhere but plain-http local dev. */
export const SECURE_COOKIE = "__Host-hooklane_session";
/** Plain-http loopback only: see {@link cookieNameFor}. */
export const LOCAL_COOKIE = "hooklane_session";

export interface UiEnv {
  Bindings: Env;
  Variables: {
    session: SessionRow;
    sessionHash: string;
    /** The API app, which the pages call in-process (see api-client.ts). */
    api: ApiHandle;
    /** The API as the session's actor: the operator on the dashboard, one app in the portal. */
    client: ApiClient;
    /** A POSTed form whose CSRF token and origin were checked (see `checkedForm`). */
    form: Record<string, string>;
  };
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Whether the cookie can carry `Secure` (and so the `__Host-` prefix): always, except on
 * plain-http loopback, which is how `npm run dev` serves the dashboard. Browsers refuse a
 * `Secure` cookie set over http, and a `__Host-` cookie without `Secure`, so local dev would
 * never keep a session. Any other plain-http host still gets the secure cookie, which the
 * browser then drops: no session travels in clear over a network.
 */
export function secureCookieFor(url: URL): boolean {
  return url.protocol === "https:" || !LOOPBACK.has(url.hostname);
}

/** The session cookie's name for a request's URL. */
export function cookieNameFor(url: URL): string {
  return secureCookieFor(url) ? SECURE_COOKIE : LOCAL_COOKIE;
}

/** Opens a session in D1 and sets its cookie on the response. */
export async function startSession(c: Context<UiEnv>, now: number): Promise<void> {
  const id = toBase64Url(randomBytes(32));
  const row: SessionRow = {
    id_hash: await sha256Hex(id),
    csrf: toBase64Url(randomBytes(24)),
    created_at: now,
    expires_at: now + SESSION_TTL_MS,
    revoked_at: null,
  };
  await openSession(c.env.DB, row, now);
  const url = new URL(c.req.url);
  setCookie(c, cookieNameFor(url), id, {
    path: "/",
    httpOnly: true,
    secure: secureCookieFor(url),
    sameSite: "Strict",
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

/** Revokes the request's session in D1 and clears its cookie. */
export async function endSession(c: Context<UiEnv>, now: number): Promise<void> {
  await revokeSession(c.env.DB, c.get("sessionHash"), now);
  const url = new URL(c.req.url);
  deleteCookie(c, cookieNameFor(url), {
    path: "/",
    httpOnly: true,
    secure: secureCookieFor(url),
    sameSite: "Strict",
  });
}

/** Sends requests without a live session (none, expired, revoked) to the sign-in form. */
export const requireSession: MiddlewareHandler<UiEnv> = async (c, next) => {
  const id = getCookie(c, cookieNameFor(new URL(c.req.url)));
  if (id && id.length <= 128) {
    const hash = await sha256Hex(id);
    const session = await findLiveSession(c.env.DB, hash, Date.now());
    if (session) {
      c.set("session", session);
      c.set("sessionHash", hash);
      c.set("client", new ApiClient(c, { kind: "admin" }));
      return next();
    }
  }
  return c.redirect("/dashboard/sign-in", 303);
};
