import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { matchesToken } from "../security/tokens";
import { ErrorPage } from "./app";
import { AppsPage, type AppView } from "./apps";
import { auditArea } from "./dashboard/audit";
import { deadLettersArea } from "./dashboard/dead-letters";
import { endpointsArea } from "./dashboard/endpoints-area";
import { ENHANCE_JS, ENHANCE_PATH } from "./dashboard/enhance";
import { messagesArea } from "./dashboard/messages";
import { FORM_MAX_BYTES, fromThisOrigin, readCheckedForm } from "./forms";
import { STYLE_PATH } from "./layout";
import { doc, problemPage } from "./render";
import { endSession, requireSession, startSession, type UiEnv } from "./session";
import { SignInPage } from "./sign-in";
import { STYLESHEET } from "./style";

/** Apps per page of the list. */
const PAGE_SIZE = 50;

/**
 * Scripts run only from the Worker's own files (one, which adds Copy buttons; every page works
 * without it), never inline: the policy forbids inline scripts and event handlers. Styles
 * come from the Worker's own stylesheet; forms post only here; nothing may frame the pages.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** The operator dashboard: sign-in, sign-out and the pages behind a session. */
export const dashboard = new Hono<UiEnv>();

dashboard.get(STYLE_PATH, (c) =>
  c.body(STYLESHEET, 200, {
    "content-type": "text/css; charset=utf-8",
    "cache-control": "public, max-age=31536000, immutable",
    "x-content-type-options": "nosniff",
  }),
);

dashboard.get(ENHANCE_PATH, (c) =>
  c.body(ENHANCE_JS, 200, {
    "content-type": "text/javascript; charset=utf-8",
    "cache-control": "public, max-age=31536000, immutable",
    "x-content-type-options": "nosniff",
  }),
);

dashboard.use("/dashboard/*", async (c, next) => {
  await next();
  if (c.req.path === STYLE_PATH || c.req.path === ENHANCE_PATH) return;
  c.header("content-security-policy", CSP);
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "same-origin");
  c.header("cache-control", "no-store");
});
dashboard.use("/dashboard", async (c, next) => {
  await next();
  c.header("cache-control", "no-store");
});

// A sign-in form is a few hundred bytes.
const smallForm = bodyLimit({ maxSize: 4096, onError: (c) => c.text("Payload Too Large", 413) });
/**
 * Every POST behind a session: at most {@link FORM_MAX_BYTES}, from this origin, with the
 * session's CSRF token. The checked fields (strings only; files are refused) land in
 * `c.var.form`; anything else answers 403 and changes nothing.
 */
const checkedForm: MiddlewareHandler<UiEnv> = async (c, next) => {
  const checked = await readCheckedForm(c, c.var.session.csrf);
  if ("refused" in checked)
    return c.html(
      doc(
        checked.refused === "too-large" ? (
          <ErrorPage csrf={c.var.session.csrf} title="Too large" detail="That form is too large." />
        ) : (
          <ErrorPage
            csrf={c.var.session.csrf}
            title="Forbidden"
            detail="The form's CSRF token is missing or wrong; nothing was changed."
          />
        ),
      ),
      checked.refused === "too-large" ? 413 : 403,
    );
  c.set("form", checked.form);
  await next();
};

dashboard.get("/dashboard/sign-in", (c) => c.html(doc(<SignInPage />)));

dashboard.post("/dashboard/sign-in", smallForm, async (c) => {
  if (!fromThisOrigin(c))
    return c.html(doc(<ErrorPage title="Forbidden" detail="Cross-site form refused." />), 403);
  // Counted before the token is looked at, so a guess costs the same whether it is right.
  const client = c.req.header("cf-connecting-ip") ?? "unknown";
  const { success } = await c.env.SIGN_IN_LIMITER.limit({ key: `sign-in:${client}` });
  if (!success)
    return c.html(
      doc(<SignInPage error="Too many sign-in attempts from this address; wait a minute." />),
      429,
      { "retry-after": "60" },
    );
  const form = await c.req.parseBody();
  const token = typeof form.token === "string" ? form.token : "";
  const ok =
    token.length > 0 &&
    token.length <= 512 &&
    c.env.ADMIN_TOKEN !== undefined &&
    c.env.ADMIN_TOKEN !== "" &&
    (await matchesToken(token, c.env.ADMIN_TOKEN));
  if (!ok) return c.html(doc(<SignInPage error="That token is not the admin token." />), 401);
  await startSession(c, Date.now());
  return c.redirect("/dashboard/apps", 303);
});

// Everything but the sign-in form and the stylesheet needs a live session.
dashboard.use("/dashboard", requireSession);
dashboard.use("/dashboard/*", async (c, next) => {
  if (c.req.path === "/dashboard/sign-in" || c.req.path === STYLE_PATH) return next();
  if (c.req.path === ENHANCE_PATH) return next();
  return requireSession(c, next);
});
// Every form behind the session carries its CSRF token and comes from this origin.
dashboard.post("/dashboard/*", checkedForm);
dashboard.route("/", endpointsArea);
dashboard.route("/", messagesArea);
dashboard.route("/", deadLettersArea);
dashboard.route("/", auditArea);

dashboard.get("/dashboard", (c) => c.redirect("/dashboard/apps", 303));

dashboard.post("/dashboard/sign-out", async (c) => {
  await endSession(c, Date.now());
  return c.redirect("/dashboard/sign-in", 303);
});

dashboard.get("/dashboard/apps", async (c) => {
  const cursor = c.req.query("cursor");
  const res = await c.var.client.get<{ data: AppView[]; nextCursor: string | null }>("/v1/apps", {
    limit: PAGE_SIZE,
    cursor,
  });
  if (!res.ok) return problemPage(c, res.problem);
  return c.html(
    doc(
      <AppsPage csrf={c.var.session.csrf} apps={res.data.data} nextCursor={res.data.nextCursor} />,
    ),
  );
});

dashboard.post("/dashboard/apps", async (c) => {
  const { name = "", uid = "" } = c.var.form;
  const res = await c.var.client.post<AppView>("/v1/apps", {
    name,
    ...(uid.trim() === "" ? {} : { uid }),
  });
  if (res.ok) return c.redirect(`/dashboard/apps/${encodeURIComponent(res.data.id)}`, 303);
  const list = await c.var.client.get<{ data: AppView[]; nextCursor: string | null }>("/v1/apps", {
    limit: PAGE_SIZE,
  });
  return c.html(
    doc(
      <AppsPage
        csrf={c.var.session.csrf}
        apps={list.ok ? list.data.data : []}
        nextCursor={list.ok ? list.data.nextCursor : null}
        refused={{ problem: res.problem, name, uid }}
      />,
    ),
    res.status === 409 ? 409 : 422,
  );
});
