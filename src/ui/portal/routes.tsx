import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ENHANCE_JS } from "../dashboard/enhance";
import { fromThisOrigin, readCheckedForm } from "../forms";
import { doc } from "../render";
import {
  PORTAL_ENHANCE_PATH,
  PORTAL_SCRIPT,
  PORTAL_SCRIPT_PATH,
  PORTAL_STYLE_PATH,
  PORTAL_STYLESHEET,
  PORTAL_THEME_PATH,
} from "./assets";
import { catalogArea } from "./catalog-area";
import { portalCsp } from "./csp";
import { endpointsArea } from "./endpoints-area";
import { errorPage } from "./guards";
import { messagesArea } from "./messages-area";
import { EndedPage, OpeningPage } from "./pages/notices";
import { actAsPortal, type PortalEnv, readPortalSession, tradeCode } from "./session";
import { parseAccent, themeCss } from "./theme";

/** Paths served without a session: the landing page, the code trade and the static files. */
const PUBLIC = new Set([
  "/portal",
  "/portal/session",
  PORTAL_STYLE_PATH,
  PORTAL_SCRIPT_PATH,
  PORTAL_THEME_PATH,
  PORTAL_ENHANCE_PATH,
]);
const STATIC = new Set([
  PORTAL_STYLE_PATH,
  PORTAL_SCRIPT_PATH,
  PORTAL_THEME_PATH,
  PORTAL_ENHANCE_PATH,
]);

/** The consumer portal: one app's endpoints, event types and messages, for its customer. */
export const portal = new Hono<PortalEnv>();

const asset = (body: string, type: string) =>
  new Response(body, {
    headers: {
      "content-type": type,
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    },
  });
portal.get(PORTAL_STYLE_PATH, () => asset(PORTAL_STYLESHEET, "text/css; charset=utf-8"));
portal.get(PORTAL_SCRIPT_PATH, () => asset(PORTAL_SCRIPT, "text/javascript; charset=utf-8"));
portal.get(PORTAL_ENHANCE_PATH, () => asset(ENHANCE_JS, "text/javascript; charset=utf-8"));
// A function of its query alone (no session read), so it caches like the other files.
portal.get(PORTAL_THEME_PATH, (c) => {
  const accent = parseAccent(c.req.query("accent"));
  if (!accent) return c.text("Not Found", 404);
  return asset(themeCss(accent), "text/css; charset=utf-8");
});

// Every page: the policy (frame-ancestors from the session, the logo's origin), no caching.
const headers: MiddlewareHandler<PortalEnv> = async (c, next) => {
  await next();
  if (STATIC.has(c.req.path)) return;
  const session = c.get("portal");
  c.header(
    "content-security-policy",
    portalCsp({ frameOrigins: session?.frameOrigins, logoUrl: session?.theme.logoUrl }),
  );
  c.header("x-content-type-options", "nosniff");
  // Not no-referrer: under it Chromium sends `Origin: null` with form posts, which the origin
  // check must refuse. same-origin sends the origin here and nothing to other sites.
  c.header("referrer-policy", "same-origin");
  c.header("cache-control", "no-store");
};
portal.use("/portal", headers);
portal.use("/portal/*", headers);

portal.get("/portal", (c) => c.html(doc(<OpeningPage />)));

// The landing page's script posts the link's code here, as JSON: a cross-site form cannot.
// A code is 43 characters; its JSON is well under a kilobyte.
const smallJson = bodyLimit({ maxSize: 1024, onError: (c) => c.text("Payload Too Large", 413) });
portal.post("/portal/session", smallJson, async (c) => {
  if (!fromThisOrigin(c) || !(c.req.header("content-type") ?? "").startsWith("application/json"))
    return c.text("Forbidden", 403);
  const body = await c.req.json<{ code?: unknown }>().catch(() => null);
  const code = body?.code;
  if (typeof code !== "string" || !/^[A-Za-z0-9_-]{16,128}$/.test(code))
    return c.text("Unauthorized", 401);
  return (await tradeCode(c, code, Date.now())) ? c.body(null, 204) : c.text("Unauthorized", 401);
});

// Every other page needs a live session; every POST a checked form (origin, CSRF token).
portal.use("/portal/*", async (c, next) => {
  if (PUBLIC.has(c.req.path)) return next();
  const found = await readPortalSession(c, Date.now());
  if ("ended" in found)
    return c.html(doc(<EndedPage why={found.ended} />), found.ended === "revoked" ? 403 : 401);
  actAsPortal(c, found.session);
  if (c.req.method === "POST") {
    const checked = await readCheckedForm(c, found.session.csrf);
    if ("refused" in checked)
      return errorPage(
        c,
        "endpoints",
        checked.refused === "too-large" ? 413 : 403,
        checked.refused === "too-large" ? "Too large" : "Forbidden",
        checked.refused === "too-large"
          ? "That form is too large."
          : "The form's CSRF token is missing or wrong; nothing was changed.",
      );
    c.set("form", checked.form);
  }
  return next();
});

portal.route("/", endpointsArea);
portal.route("/", catalogArea);
portal.route("/", messagesArea);
