/**
 * The check every form POST behind a cookie session passes, the dashboard's and the portal's:
 * a bounded size, this origin, and the session's CSRF token (constant-time compare).
 */
import type { Context } from "hono";
import { timingSafeEqualText } from "../security/tokens";

/** The largest form behind a session (an event type's schema is the biggest field). */
export const FORM_MAX_BYTES = 128 * 1024;

/** Why a form was refused: too large (413) or not this session's (403). */
export type FormRefusal = "too-large" | "forbidden";

/**
 * A form POST from another origin is refused whatever it carries. Browsers send `Origin` on
 * every POST; its absence (a non-browser client) is left to the CSRF token and the cookie.
 */
export function fromThisOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  return origin === undefined || origin === new URL(c.req.url).origin;
}

/**
 * Reads a POSTed form and checks it against the session's CSRF token: its string fields, or
 * why it was refused. Files are dropped; nothing is read past {@link FORM_MAX_BYTES}.
 */
export async function readCheckedForm(
  c: Context,
  csrf: string,
): Promise<{ form: Record<string, string> } | { refused: FormRefusal }> {
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > FORM_MAX_BYTES) return { refused: "too-large" };
  const parsed = await c.req.parseBody().catch(() => null);
  const presented = parsed?.csrf;
  if (
    !parsed ||
    !fromThisOrigin(c) ||
    typeof presented !== "string" ||
    !timingSafeEqualText(presented, csrf)
  )
    return { refused: "forbidden" };
  const form: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === "string") form[k] = v;
  return { form };
}
