import { type Context, Hono } from "hono";
import { appPath, type Problem } from "../api-client";
import type { AppView } from "../apps";
import {
  type OptionsState,
  optionsFromForm,
  previewTransform,
  saveOptions,
  stateProblem,
  storedOptions,
  testFilter,
} from "../endpoint-options";
import { doc, problemPage } from "../render";
import type { UiEnv } from "../session";
import {
  type CreateValues,
  type EndpointHealth,
  EndpointPage,
  type EndpointStats,
  EndpointsPage,
  type EndpointView,
  endpointsHref,
} from "./endpoints";
import { type AppStats, OverviewPage } from "./overview";
import { type ChartWindow, chartWindow } from "./parts";

/** Endpoints per page of the list (each row asks its gate for a day of figures). */
export const ENDPOINTS_PAGE_SIZE = 20;

type Page<T> = { data: T[]; nextCursor: string | null };

/**
 * An app's overview and its endpoints' pages, all through the API in-process (`c.var.client`).
 * Mounted with full paths by the dashboard, behind its session and form checks.
 */
export const endpointsArea = new Hono<UiEnv>();

const appOf = (c: Context<UiEnv>) => c.var.client.get<AppView>(appPath(c.req.param("appId") ?? ""));

endpointsArea.get("/dashboard/apps/:appId", async (c) => {
  const appId = c.req.param("appId");
  const window = chartWindow(c.req.query("window"));
  const [app, stats] = await Promise.all([
    appOf(c),
    c.var.client.get<AppStats>(appPath(appId, "stats"), { window }),
  ]);
  if (!app.ok) return problemPage(c, app.problem);
  return c.html(
    doc(
      <OverviewPage
        csrf={c.var.session.csrf}
        app={app.data}
        window={window}
        stats={stats.ok ? stats.data : null}
        statsProblem={stats.ok ? undefined : stats.problem}
      />,
    ),
  );
});

/** Renders the list page (with a refused create's problem and values, if any). */
async function listPage(
  c: Context<UiEnv>,
  refused?: { problem: Problem; values: CreateValues },
): Promise<Response> {
  const appId = c.req.param("appId") ?? "";
  const [app, list, types] = await Promise.all([
    appOf(c),
    c.var.client.get<Page<EndpointView>>(appPath(appId, "endpoints"), {
      limit: ENDPOINTS_PAGE_SIZE,
      cursor: refused ? undefined : c.req.query("cursor"),
    }),
    c.var.client.get<Page<{ name: string }>>(appPath(appId, "event-types"), { limit: 100 }),
  ]);
  if (!app.ok) return problemPage(c, app.problem);
  if (!list.ok) return problemPage(c, list.problem);
  const stats = await Promise.all(
    list.data.data.map((e) =>
      c.var.client.get<EndpointStats>(appPath(appId, "endpoints", e.id, "stats"), {
        window: "24h",
      }),
    ),
  );
  return c.html(
    doc(
      <EndpointsPage
        csrf={c.var.session.csrf}
        app={app.data}
        endpoints={list.data.data.map((endpoint, i) => {
          const s = stats[i];
          return { endpoint, stats: s?.ok ? s.data : null };
        })}
        nextCursor={list.data.nextCursor}
        eventTypes={types.ok ? types.data.data.map((t) => t.name) : []}
        refused={refused}
      />,
    ),
    refused ? refusedStatus(refused.problem) : 200,
  );
}

endpointsArea.get("/dashboard/apps/:appId/endpoints", (c) => listPage(c));

endpointsArea.post("/dashboard/apps/:appId/endpoints", async (c) => {
  const appId = c.req.param("appId");
  const values: CreateValues = {
    url: c.var.form.url ?? "",
    description: c.var.form.description ?? "",
    eventTypes: c.var.form.eventTypes ?? "",
    format: c.var.form.format ?? "standard-webhooks",
  };
  const res = await c.var.client.post<EndpointView>(appPath(appId, "endpoints"), {
    url: values.url.trim(),
    ...(values.description.trim() === "" ? {} : { description: values.description.trim() }),
    eventTypes: splitList(values.eventTypes),
    format: values.format,
  });
  if (res.ok) return c.redirect(`${endpointsHref(appId, res.data.id)}?notice=created`, 303);
  return listPage(c, { problem: res.problem, values });
});

/** A page showing an API refusal answers with the refusal's status; the API's 5xx as 502. */
function refusedStatus(problem: Problem): 400 | 404 | 409 | 413 | 422 | 429 | 502 {
  const known = [400, 404, 409, 413, 422, 429] as const;
  return known.find((s) => s === problem.status) ?? (problem.status >= 500 ? 502 : 400);
}

/** "a, b,,c " -> ["a", "b", "c"]. */
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** The notice an action's redirect asks for; fixed texts, so nothing is reflected raw. */
export function noticeText(query: (name: string) => string | undefined): string | null {
  switch (query("notice")) {
    case "created":
      return "Endpoint created. Reveal its signing secret below to give it to the receiver.";
    case "disabled":
      return "Endpoint disabled: nothing is delivered to it until it is re-enabled.";
    case "options":
      return "Options saved.";
    case "enabled":
      return "Endpoint re-enabled: its breaker starts closed.";
    case "recovered": {
      const n = Number(query("n") ?? "0");
      const count = Number.isSafeInteger(n) && n >= 0 ? n : 0;
      return `${count} ${count === 1 ? "delivery" : "deliveries"} restarted${query("more") === "1" ? "; more match, recover again to restart them" : ""}.`;
    }
    case "test": {
      const id = query("message") ?? "";
      return /^msg_[0-9A-Za-z]{1,64}$/.test(id)
        ? `Test event sent as message ${id}.`
        : "Test event sent.";
    }
    default:
      return null;
  }
}

/** Renders one endpoint's page, with a notice or a refused action. */
async function endpointPage(
  c: Context<UiEnv>,
  opts: {
    window: ChartWindow;
    notice: string | null;
    refused?: Problem;
    revealed?: { label: string; value: string };
    options?: OptionsState;
  },
): Promise<Response> {
  const appId = c.req.param("appId") ?? "";
  const endpointId = c.req.param("endpointId") ?? "";
  const [app, endpoint, health, stats] = await Promise.all([
    appOf(c),
    c.var.client.get<EndpointView>(appPath(appId, "endpoints", endpointId)),
    c.var.client.get<EndpointHealth>(appPath(appId, "endpoints", endpointId, "health")),
    c.var.client.get<EndpointStats>(appPath(appId, "endpoints", endpointId, "stats"), {
      window: opts.window,
    }),
  ]);
  if (!app.ok) return problemPage(c, app.problem);
  if (!endpoint.ok) return problemPage(c, endpoint.problem);
  const problem = opts.refused ?? (opts.options && stateProblem(opts.options));
  return c.html(
    doc(
      <EndpointPage
        csrf={c.var.session.csrf}
        app={app.data}
        endpoint={endpoint.data}
        health={health.ok ? health.data : null}
        stats={stats.ok ? stats.data : null}
        window={opts.window}
        notice={opts.notice}
        refused={opts.refused}
        revealed={opts.revealed}
        options={storedOptions(endpoint.data, endpoint.text)}
        optionsState={opts.options}
      />,
    ),
    problem ? refusedStatus(problem) : 200,
  );
}

endpointsArea.get("/dashboard/apps/:appId/endpoints/:endpointId", (c) =>
  endpointPage(c, {
    window: chartWindow(c.req.query("window")),
    notice: noticeText((name) => c.req.query(name)),
  }),
);

/** The API path of the endpoint a POST names. */
const endpointApi = (c: Context<UiEnv>, ...rest: string[]) =>
  appPath(c.req.param("appId") ?? "", "endpoints", c.req.param("endpointId") ?? "", ...rest);

/** After an action: back to the endpoint's page with a notice, or its page with the refusal. */
function done(
  c: Context<UiEnv>,
  res: { ok: true } | { ok: false; problem: Problem },
  notice: Record<string, string>,
): Response | Promise<Response> {
  if (!res.ok) return endpointPage(c, { window: "24h", notice: null, refused: res.problem });
  const self = endpointsHref(c.req.param("appId") ?? "", c.req.param("endpointId") ?? "");
  return c.redirect(`${self}?${new URLSearchParams(notice)}`, 303);
}

endpointsArea.post("/dashboard/apps/:appId/endpoints/:endpointId/disable", async (c) =>
  done(c, await c.var.client.patch(endpointApi(c), { disabled: true }), { notice: "disabled" }),
);

endpointsArea.post("/dashboard/apps/:appId/endpoints/:endpointId/enable", async (c) =>
  done(c, await c.var.client.patch(endpointApi(c), { disabled: false }), { notice: "enabled" }),
);

endpointsArea.post("/dashboard/apps/:appId/endpoints/:endpointId/test", async (c) => {
  const res = await c.var.client.post<{ id: string }>(endpointApi(c, "test"), {});
  return done(c, res, { notice: "test", ...(res.ok ? { message: res.data.id } : {}) });
});

endpointsArea.post("/dashboard/apps/:appId/endpoints/:endpointId/recover", async (c) => {
  const res = await c.var.client.post<{ restarted: number; more: boolean }>(
    endpointApi(c, "recover"),
    { since: sinceOf(c.var.form.since ?? "") },
  );
  return done(c, res, {
    notice: "recovered",
    ...(res.ok ? { n: String(res.data.restarted), more: res.data.more ? "1" : "0" } : {}),
  });
});

/** The endpoint's page with a refused options form or a try's result; an unknown one is 404. */
function optionsPage(c: Context<UiEnv>, options: OptionsState): Promise<Response> {
  return endpointPage(c, { window: "24h", notice: null, options });
}

endpointsArea.post("/dashboard/apps/:appId/endpoints/:endpointId/options", async (c) => {
  const values = optionsFromForm(c.var.form);
  const problem = await saveOptions(c.var.client, endpointApi(c), values);
  if (problem) return optionsPage(c, { refused: { values, problem } });
  return done(c, { ok: true }, { notice: "options" });
});

endpointsArea.post("/dashboard/apps/:appId/endpoints/:endpointId/filter-test", async (c) =>
  optionsPage(c, {
    filterTest: await testFilter(c.var.client, endpointApi(c), c.var.form.payload ?? ""),
  }),
);

endpointsArea.post("/dashboard/apps/:appId/endpoints/:endpointId/transform-preview", async (c) =>
  optionsPage(c, {
    preview: await previewTransform(
      c.var.client,
      endpointApi(c),
      c.var.form.payload ?? "",
      c.var.form.eventType ?? "",
    ),
  }),
);

/**
 * A datetime-local value ("2026-11-27T20:00", no zone) read as UTC, as the label says; anything
 * else goes to the API as typed, which refuses it (422) with its own words.
 */
export function sinceOf(value: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(:\d\d(\.\d{1,3})?)?$/.exec(value.trim());
  if (!m) return value;
  const iso = `${m[1]}${m[2] ?? ":00"}Z`;
  return Number.isNaN(Date.parse(iso)) ? value : new Date(iso).toISOString();
}

/**
 * Shows the endpoint's signing secret (an ed25519 profile's public key) on this answer only:
 * a secret never goes into a redirect's URL, and the API audits each reveal.
 */
endpointsArea.post("/dashboard/apps/:appId/endpoints/:endpointId/reveal", async (c) => {
  const endpoint = await c.var.client.get<EndpointView>(endpointApi(c));
  if (!endpoint.ok) return problemPage(c, endpoint.problem);
  const res = await c.var.client.post<{ type: string; secret?: string; publicKey?: string }>(
    appPath(c.req.param("appId"), "auth-profiles", endpoint.data.authProfileId, "reveal"),
  );
  if (!res.ok) return endpointPage(c, { window: "24h", notice: null, refused: res.problem });
  const revealed =
    res.data.type === "ed25519"
      ? { label: "Public key (verify v1a signatures with it)", value: res.data.publicKey ?? "" }
      : {
          label: res.data.type === "bearer" ? "Bearer token" : "Signing secret",
          value: res.data.secret ?? "",
        };
  return endpointPage(c, { window: "24h", notice: null, revealed });
});
