import type { Context } from "hono";
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { PortalCapability } from "../../schemas/portal";
import { appPath, type Problem } from "../api-client";
import {
  MessageView,
  type ViewAttempt,
  type ViewMessage,
  type ViewRequest,
} from "../components/message-view";
import { fromThisOrigin, readCheckedForm } from "../forms";
import { doc } from "../render";
import {
  PORTAL_SCRIPT,
  PORTAL_SCRIPT_PATH,
  PORTAL_STYLE_PATH,
  PORTAL_STYLESHEET,
  PORTAL_THEME_PATH,
} from "./assets";
import { portalCsp } from "./csp";
import { examplePayload } from "./example";
import { PortalLayout, type PortalSection } from "./layout";
import {
  type EndpointFormValues,
  EndpointPage,
  EndpointsPage,
  type EndpointView,
  parseEventTypes,
} from "./pages/endpoints";
import { type CatalogEntry, EventTypesPage } from "./pages/event-types";
import { type MessageListItem, MessagesPage } from "./pages/messages";
import { EndedPage, OpeningPage, PortalErrorPage } from "./pages/notices";
import { getMessageWithPayload } from "./raw";
import { actAsPortal, can, type PortalEnv, readPortalSession, tradeCode } from "./session";
import { parseAccent, themeCss } from "./theme";

/** Rows per page of the portal's lists. */
const PAGE_SIZE = 50;
/** Attempts per message page: each costs one more API call to rebuild its request. */
const ATTEMPTS_PAGE = 20;

/** Paths served without a session: the landing page, the code trade and the static files. */
const PUBLIC = new Set([
  "/portal",
  "/portal/session",
  PORTAL_STYLE_PATH,
  PORTAL_SCRIPT_PATH,
  PORTAL_THEME_PATH,
]);
const STATIC = new Set([PORTAL_STYLE_PATH, PORTAL_SCRIPT_PATH, PORTAL_THEME_PATH]);

type Page<T> = { data: T[]; nextCursor: string | null };
type Ctx = Context<PortalEnv>;

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

function errorPage(
  c: Ctx,
  section: PortalSection,
  status: 401 | 403 | 404 | 409 | 413 | 422 | 429 | 502,
  title: string,
  detail: string,
): Response {
  return c.html(
    doc(<PortalErrorPage session={c.var.portal} section={section} title={title} detail={detail} />),
    status,
  );
}

/** The session may do this, or the request answers 403 before the API is called. */
function need(capability: PortalCapability, section: PortalSection): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    if (!can(c, capability))
      return errorPage(
        c,
        section,
        403,
        "Not allowed",
        `This portal session may not do that (it needs the ${capability} capability).`,
      );
    await next();
  };
}

/** An API refusal as a page: 404 stays 404, a 5xx is the API's failure. */
function problemPage(c: Ctx, section: PortalSection, problem: Problem): Response {
  const status =
    problem.status === 404 ? 404 : problem.status === 409 ? 409 : problem.status >= 500 ? 502 : 422;
  return errorPage(c, section, status, problem.title, problem.detail ?? "");
}

/** The form's status for a refused write: the API's 4xx, or 502 when the API failed. */
function refusedStatus(problem: Problem): 409 | 422 | 429 | 502 {
  if (problem.status === 409 || problem.status === 429) return problem.status;
  return problem.status >= 500 ? 502 : 422;
}

const app = (c: Ctx, ...rest: string[]) => appPath(c.var.portal.appId, ...rest);
const cursorOf = (c: Ctx) => {
  const cursor = c.req.query("cursor");
  return cursor && cursor.length <= 200 ? cursor : undefined;
};

// ---- endpoints ----------------------------------------------------------------------------

async function listPage(c: Ctx, problem?: Problem, values?: EndpointFormValues) {
  const res = await c.var.client.get<Page<EndpointView>>(app(c, "endpoints"), {
    limit: PAGE_SIZE,
    cursor: cursorOf(c),
  });
  if (!res.ok) return problemPage(c, "endpoints", res.problem);
  return c.html(
    doc(
      <EndpointsPage
        session={c.var.portal}
        endpoints={res.data.data}
        nextCursor={res.data.nextCursor}
        canManage={can(c, "manage-endpoints")}
        problem={problem}
        values={values}
      />,
    ),
    problem ? refusedStatus(problem) : 200,
  );
}

function formValues(form: Record<string, string>): EndpointFormValues {
  return {
    url: (form.url ?? "").trim(),
    description: (form.description ?? "").trim(),
    eventTypes: form.eventTypes ?? "",
    disabled: form.disabled === "on",
  };
}

portal.get("/portal/endpoints", need("view", "endpoints"), (c) => listPage(c));

portal.post("/portal/endpoints", need("manage-endpoints", "endpoints"), async (c) => {
  const values = formValues(c.var.form);
  const res = await c.var.client.post<EndpointView>(app(c, "endpoints"), {
    url: values.url,
    ...(values.description ? { description: values.description } : {}),
    eventTypes: parseEventTypes(values.eventTypes),
  });
  if (!res.ok) return listPage(c, res.problem, values);
  return c.redirect(`/portal/endpoints/${encodeURIComponent(res.data.id)}`, 303);
});

async function endpointPage(
  c: Ctx,
  extra: Omit<Parameters<typeof EndpointPage>[0], "session" | "endpoint"> = {},
  status: 200 | 409 | 422 | 429 | 502 = 200,
) {
  const res = await c.var.client.get<EndpointView>(app(c, "endpoints", c.req.param("id") ?? ""));
  if (!res.ok) return problemPage(c, "endpoints", res.problem);
  return c.html(
    doc(<EndpointPage session={c.var.portal} endpoint={res.data} {...extra} />),
    status,
  );
}

portal.get("/portal/endpoints/:id", need("view", "endpoints"), (c) => endpointPage(c));

portal.post("/portal/endpoints/:id", need("manage-endpoints", "endpoints"), async (c) => {
  const values = formValues(c.var.form);
  const res = await c.var.client.patch<EndpointView>(app(c, "endpoints", c.req.param("id")), {
    url: values.url,
    description: values.description || null,
    eventTypes: parseEventTypes(values.eventTypes),
    disabled: values.disabled === true,
  });
  if (!res.ok) {
    if (res.status === 404) return problemPage(c, "endpoints", res.problem);
    return endpointPage(c, { problem: res.problem, values }, refusedStatus(res.problem));
  }
  return c.redirect(`/portal/endpoints/${encodeURIComponent(res.data.id)}`, 303);
});

portal.post("/portal/endpoints/:id/delete", need("manage-endpoints", "endpoints"), async (c) => {
  const res = await c.var.client.delete(app(c, "endpoints", c.req.param("id")));
  if (!res.ok) return problemPage(c, "endpoints", res.problem);
  return c.redirect("/portal/endpoints", 303);
});

/** Reveal or rotate the secret of the endpoint's auth profile; shown on this answer only. */
async function secretAction(c: Ctx, action: "reveal" | "rotate") {
  const endpoint = await c.var.client.get<EndpointView>(
    app(c, "endpoints", c.req.param("id") ?? ""),
  );
  if (!endpoint.ok) return problemPage(c, "endpoints", endpoint.problem);
  const res = await c.var.client.post<{ secret?: string }>(
    app(c, "auth-profiles", endpoint.data.authProfileId, action),
    action === "rotate" ? {} : undefined,
  );
  if (!res.ok) return problemPage(c, "endpoints", res.problem);
  return c.html(
    doc(
      <EndpointPage
        session={c.var.portal}
        endpoint={endpoint.data}
        secret={{ value: res.data.secret ?? "", rotated: action === "rotate" }}
      />,
    ),
    200,
  );
}
portal.post("/portal/endpoints/:id/reveal", need("view-secrets", "endpoints"), (c) =>
  secretAction(c, "reveal"),
);
portal.post("/portal/endpoints/:id/rotate", need("rotate-secrets", "endpoints"), (c) =>
  secretAction(c, "rotate"),
);

portal.post("/portal/endpoints/:id/recover", need("replay", "endpoints"), async (c) => {
  // A datetime-local field: "YYYY-MM-DDTHH:MM", read as UTC (the page says so).
  const since = c.var.form.since ?? "";
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(since)
    ? new Date(`${since}${since.length === 16 ? ":00" : ""}Z`)
    : null;
  if (!at || Number.isNaN(at.getTime()))
    return endpointPage(
      c,
      { problem: { status: 422, title: "Invalid time", detail: "Give a date and time." } },
      422,
    );
  const res = await c.var.client.post<{ restarted: number; more: boolean }>(
    app(c, "endpoints", c.req.param("id"), "recover"),
    { since: at.toISOString() },
  );
  if (!res.ok) {
    if (res.status === 404) return problemPage(c, "endpoints", res.problem);
    return endpointPage(c, { problem: res.problem }, refusedStatus(res.problem));
  }
  const { restarted, more } = res.data;
  return endpointPage(c, {
    notice: `${restarted} ${restarted === 1 ? "delivery" : "deliveries"} sent again${more ? "; more remain, recover again" : ""}.`,
  });
});

// ---- event types --------------------------------------------------------------------------

interface EventTypeView {
  name: string;
  description?: string;
  schema?: Record<string, unknown>;
}

async function catalogPage(c: Ctx, problem?: Problem) {
  const canSend = can(c, "manage-endpoints");
  const [types, endpoints] = await Promise.all([
    c.var.client.get<Page<EventTypeView>>(app(c, "event-types"), {
      limit: PAGE_SIZE,
      cursor: cursorOf(c),
    }),
    canSend
      ? c.var.client.get<Page<EndpointView>>(app(c, "endpoints"), { limit: 100 })
      : Promise.resolve(null),
  ]);
  if (!types.ok) return problemPage(c, "event-types", types.problem);
  if (endpoints && !endpoints.ok) return problemPage(c, "event-types", endpoints.problem);
  const entries: CatalogEntry[] = types.data.data.map((t) => ({
    ...t,
    example: JSON.stringify(examplePayload(t.schema), null, 2),
  }));
  return c.html(
    doc(
      <EventTypesPage
        session={c.var.portal}
        types={entries}
        nextCursor={types.data.nextCursor}
        endpoints={endpoints?.data.data ?? []}
        canSend={canSend}
        problem={problem}
      />,
    ),
    problem ? refusedStatus(problem) : 200,
  );
}

portal.get("/portal/event-types", need("view", "event-types"), (c) => catalogPage(c));

portal.post("/portal/event-types/send", need("manage-endpoints", "event-types"), async (c) => {
  const { eventType = "", endpointId = "" } = c.var.form;
  const type = await c.var.client.get<EventTypeView>(app(c, "event-types", eventType));
  if (!type.ok) return problemPage(c, "event-types", type.problem);
  const payload = examplePayload(type.data.schema);
  if (payload === null || typeof payload !== "object" || Array.isArray(payload))
    return catalogPage(c, {
      status: 422,
      title: "No example to send",
      detail: `The example of ${eventType} is not a JSON object.`,
    });
  const res = await c.var.client.post<{ id: string }>(app(c, "endpoints", endpointId, "test"), {
    eventType,
    payload,
  });
  if (!res.ok) {
    if (res.status === 404) return problemPage(c, "event-types", res.problem);
    return catalogPage(c, res.problem);
  }
  return c.redirect(`/portal/messages/${encodeURIComponent(res.data.id)}`, 303);
});

// ---- messages -----------------------------------------------------------------------------

portal.get("/portal/messages", need("view", "messages"), async (c) => {
  const eventType = (c.req.query("eventType") ?? "").trim().slice(0, 128);
  const res = await c.var.client.get<Page<MessageListItem>>(app(c, "messages"), {
    limit: PAGE_SIZE,
    cursor: cursorOf(c),
    eventType,
  });
  if (!res.ok) return problemPage(c, "messages", res.problem);
  return c.html(
    doc(
      <MessagesPage
        session={c.var.portal}
        messages={res.data.data}
        nextCursor={res.data.nextCursor}
        eventType={eventType}
      />,
    ),
  );
});

portal.get("/portal/messages/:id", need("view", "messages"), async (c) => {
  const id = c.req.param("id");
  const [message, attempts] = await Promise.all([
    getMessageWithPayload<ViewMessage & { payload?: unknown }>(c, app(c, "messages", id)),
    c.var.client.get<Page<ViewAttempt>>(app(c, "messages", id, "attempts"), {
      limit: ATTEMPTS_PAGE,
      cursor: c.req.query("attempts"),
    }),
  ]);
  if (!message.ok) return problemPage(c, "messages", message.problem);
  if (!attempts.ok) return problemPage(c, "messages", attempts.problem);
  // Each attempt's request as it went out (rebuilt by the API; bearer tokens redacted).
  const shown = await Promise.all(
    attempts.data.data.map(async (a) => {
      const r = await c.var.client.get<ViewRequest>(
        app(c, "messages", id, "attempts", a.id, "request"),
      );
      return r.ok ? { ...a, request: r.data } : a;
    }),
  );
  const { payload: _parsed, ...rest } = message.data;
  return c.html(
    doc(
      <PortalLayout title={`Message ${id}`} session={c.var.portal} section="messages">
        <nav aria-label="Breadcrumb" class="crumbs">
          <a href="/portal/messages">Messages</a>
        </nav>
        <MessageView
          message={rest}
          payload={message.payload}
          attempts={shown}
          canReplay={can(c, "replay")}
          csrf={c.var.portal.csrf}
          baseUrl="/portal"
          linkEndpoints={true}
          olderAttempts={attempts.data.nextCursor ?? undefined}
        />
      </PortalLayout>,
    ),
  );
});

// The message view's Replay form posts here (its `baseUrl` is /portal).
portal.post("/portal/dead-letters/:deliveryId/replay", need("replay", "messages"), async (c) => {
  const res = await c.var.client.post(app(c, "dead-letters", c.req.param("deliveryId"), "replay"));
  if (!res.ok) return problemPage(c, "messages", res.problem);
  const back = c.var.form.back ?? "";
  return c.redirect(
    /^\/portal\/messages\/msg_[A-Za-z0-9]+$/.test(back) ? back : "/portal/messages",
    303,
  );
});
