/**
 * Portal sessions on the browser side: the one-time code traded for a cookie, the cookie read
 * back into the session and the API actor it stands for (docs/ARCHITECTURE.md, "Consumer
 * portal").
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { portalKeyId } from "../../api/routes/portal-sessions";
import {
  findPortalSession,
  type PortalSessionRow,
  redeemPortalCode,
} from "../../db/portal-sessions";
import { randomBytes, toBase64Url } from "../../lib/encoding";
import {
  PORTAL_CAPABILITIES,
  type PortalCapability,
  PortalTheme,
  type PortalThemeValue,
  portalOriginsOf,
} from "../../schemas/portal";
import { sha256Hex } from "../../security/tokens";
import { ApiClient } from "../api-client";
import type { UiEnv } from "../session";

/**
 * The cookie, the same on every host, plain-http loopback included: it must reach the portal
 * inside a cross-site iframe, so `SameSite=None`, which browsers accept only with `Secure`;
 * `Partitioned` keeps it to the embedding site (third-party cookies are otherwise blocked).
 * Chromium keeps `Secure` and `__Host-` cookies set over http://127.0.0.1 and localhost (they
 * are secure contexts), where a `SameSite=None` cookie without `Secure` is dropped: unlike the
 * dashboard's, this cookie needs no loopback exception.
 */
export const PORTAL_COOKIE = "__Host-hooklane_portal";

/** A live portal session as the pages use it. */
export interface PortalSession {
  id: string;
  appId: string;
  capabilities: ReadonlySet<PortalCapability>;
  theme: PortalThemeValue;
  frameOrigins: string[];
  csrf: string;
  expiresAt: number;
}

export interface PortalEnv {
  Bindings: Env;
  Variables: UiEnv["Variables"] & { portal: PortalSession };
}

/** Why a request has no session: none at all (or unknown), past its expiry, or revoked. */
export type Ended = "none" | "expired" | "revoked";

function parseJson(text: string | null): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The stored row as the pages use it; unknown capabilities and a bad theme are dropped. */
export function toPortalSession(row: PortalSessionRow): PortalSession {
  const caps = parseJson(row.capabilities);
  const theme = PortalTheme.safeParse(parseJson(row.theme) ?? {});
  return {
    id: row.id,
    appId: row.app_id,
    capabilities: new Set(
      (Array.isArray(caps) ? caps : []).filter((c): c is PortalCapability =>
        (PORTAL_CAPABILITIES as readonly unknown[]).includes(c),
      ),
    ),
    theme: theme.success ? theme.data : {},
    frameOrigins: portalOriginsOf(row.frame_origins),
    csrf: row.csrf,
    expiresAt: row.expires_at,
  };
}

/**
 * Trades a one-time code for a session cookie. True when the code was live and unused; the
 * code is spent either way it is presented again.
 */
export async function tradeCode(
  c: Context<PortalEnv>,
  code: string,
  now: number,
): Promise<boolean> {
  const id = toBase64Url(randomBytes(32));
  const row = await redeemPortalCode(c.env.DB, await sha256Hex(code), await sha256Hex(id), now);
  if (!row) return false;
  setCookie(c, PORTAL_COOKIE, id, {
    path: "/",
    httpOnly: true,
    secure: true,
    sameSite: "None",
    partitioned: true,
    maxAge: Math.max(1, Math.floor((row.expires_at - now) / 1000)),
  });
  return true;
}

/** The session a request's cookie stands for, or why there is none. */
export async function readPortalSession(
  c: Context<PortalEnv>,
  now: number,
): Promise<{ session: PortalSession } | { ended: Ended; row?: PortalSessionRow }> {
  const id = getCookie(c, PORTAL_COOKIE);
  if (!id || id.length > 128) return { ended: "none" };
  const row = await findPortalSession(c.env.DB, await sha256Hex(id));
  if (!row) return { ended: "none" };
  if (row.revoked_at !== null) return { ended: "revoked", row };
  if (row.expires_at <= now) return { ended: "expired", row };
  return { session: toPortalSession(row) };
}

/** Sets the session and the API client acting as its app (`portal_<sessionId>`). */
export function actAsPortal(c: Context<PortalEnv>, session: PortalSession): void {
  c.set("portal", session);
  c.set(
    "client",
    new ApiClient(c as unknown as Context<UiEnv>, {
      kind: "app",
      appId: session.appId,
      keyId: portalKeyId(session.id),
    }),
  );
}

/** Whether the session may do this. */
export function can(c: Context<PortalEnv>, capability: PortalCapability): boolean {
  return c.var.portal.capabilities.has(capability);
}

export type PortalMiddleware = MiddlewareHandler<PortalEnv>;
