import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { GateOutcome } from "../../src/gate/types";
import { duration, niceMax, percent } from "../../src/ui/dashboard/charts";
import { noticeText, sinceOf, splitList } from "../../src/ui/dashboard/endpoints-area";
import { failingEndpoints } from "../../src/ui/dashboard/overview";
import { spyOnDeliveries } from "../api/support";
import { call, newApp, newEndpoint } from "../helpers";
import { csrfOf, page, signIn } from "./support";

afterEach(() => {
  vi.restoreAllMocks();
});

const appHref = (appId: string) => `/dashboard/apps/${appId}`;
const epHref = (appId: string, id: string) => `/dashboard/apps/${appId}/endpoints/${id}`;

async function deliver(endpointId: string, outcomes: { ok: boolean; latencyMs: number }[]) {
  const gate = env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(endpointId));
  await gate.report(
    outcomes.map(
      (o): GateOutcome => ({ leaseId: crypto.randomUUID(), countsAsFailure: !o.ok, ...o }),
    ),
  );
}

async function session() {
  const { cookie } = await signIn();
  return { cookie, csrf: await csrfOf(cookie) };
}

describe("app overview page", () => {
  it("shows the app's facts, its charts with text alternatives, and its failing endpoints", async () => {
    const { appId } = await newApp("Overview Co");
    const good = await newEndpoint(appId, { url: "https://good.example.com/hook" });
    const bad = await newEndpoint(appId, { url: "https://bad.example.com/hook" });
    await deliver(
      good.id,
      Array.from({ length: 10 }, () => ({ ok: true, latencyMs: 80 })),
    );
    await deliver(bad.id, [
      { ok: true, latencyMs: 80 },
      { ok: false, latencyMs: 5000 },
    ]);
    const { cookie } = await session();
    const res = await page("GET", appHref(appId), { cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<h1>Overview Co</h1>");
    expect(html).toContain(`<code>${appId}</code>`);
    expect(html).toContain('aria-current="page">Overview</a>');
    expect(html).toContain("12 deliveries in the last 24 hours");
    // Three charts, each an image with a title and a description, and the data as a table.
    expect(html.match(/<svg[^>]*role="img"/g)).toHaveLength(3);
    expect(html).toContain("<desc");
    expect(html).toContain("The charts&#39; data, last 24 hours");
    // The failing endpoint links to its page; the healthy one is not listed.
    expect(html).toContain(`href="${epHref(appId, bad.id)}"`);
    expect(html).not.toContain(`href="${epHref(appId, good.id)}"`);
    expect(html).not.toContain("<script");

    const week = await (await page("GET", `${appHref(appId)}?window=7d`, { cookie })).text();
    expect(week).toContain("12 deliveries in the last 7 days");
    expect(week).toMatch(/href="[^"]*\?window=7d" aria-current="page"/);
  });

  it("answers 404 for an unknown app", async () => {
    const { cookie } = await session();
    const res = await page("GET", appHref("app_01JAAAAAAAAAAAAAAAAAAAAAAA"), { cookie });
    expect(res.status).toBe(404);
  });
});

describe("endpoints list page", () => {
  it("lists endpoints with breaker, success rate, p95 and a sparkline, paged by cursor", async () => {
    const { appId } = await newApp();
    const ids: string[] = [];
    for (let i = 0; i < 21; i++)
      ids.push((await newEndpoint(appId, { eventTypes: ["invoice.paid"] })).id);
    const newest = ids[20] ?? "";
    await deliver(newest, [
      { ok: true, latencyMs: 120 },
      { ok: false, latencyMs: 120 },
    ]);
    const { cookie } = await session();
    const html = await (await page("GET", `${appHref(appId)}/endpoints`, { cookie })).text();
    expect(html).toContain('aria-current="page">Endpoints</a>');
    expect(html.match(/<tr>/g)?.length).toBe(21); // header + 20 rows
    expect(html).toContain(`href="${epHref(appId, newest)}"`);
    expect(html).toContain("invoice.paid");
    expect(html).toContain('class="ep-badge ep-breaker-closed">closed');
    expect(html).toContain("50 %");
    expect(html).toContain("2 deliveries in the last 24 hours, at most 2 in an hour");
    const next = /href="([^"]+)" rel="next"/.exec(html)?.[1]?.replaceAll("&amp;", "&") ?? "";
    expect(next).toContain("cursor=");
    const second = await (await page("GET", next, { cookie })).text();
    expect(second).toContain(`href="${epHref(appId, ids[0] ?? "")}"`);
    expect(second).not.toContain('rel="next"');
  });

  it("creates an endpoint from the form and goes to its page", async () => {
    const { appId } = await newApp();
    const { cookie, csrf } = await session();
    const res = await page("POST", `${appHref(appId)}/endpoints`, {
      cookie,
      form: {
        csrf,
        url: "https://made.example.com/in",
        description: "from the form",
        eventTypes: "invoice.paid, order.*",
      },
    });
    expect(res.status).toBe(303);
    const location = res.headers.get("location") ?? "";
    expect(location).toMatch(/\/endpoints\/ep_[0-9A-Z]+\?notice=created$/);
    const made = await call<{ data: { url: string; description: string; eventTypes: string[] }[] }>(
      "GET",
      `/v1/apps/${appId}/endpoints`,
    );
    expect(made.body.data).toEqual([
      expect.objectContaining({
        url: "https://made.example.com/in",
        description: "from the form",
        eventTypes: ["invoice.paid", "order.*"],
      }),
    ]);
    const html = await (await page("GET", location, { cookie })).text();
    expect(html).toContain('role="status"');
    expect(html).toContain("Endpoint created.");
  });

  it("shows the API's refusal next to the form, keeping what was typed", async () => {
    const { appId } = await newApp();
    const { cookie, csrf } = await session();
    const res = await page("POST", `${appHref(appId)}/endpoints`, {
      cookie,
      form: { csrf, url: "ftp://nope.example.com", description: "kept", eventTypes: "bad type!" },
    });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('value="ftp://nope.example.com"');
    expect(html).toContain('value="kept"');
    expect(html).toContain('value="bad type!"');
  });

  it("refuses a form without the session's CSRF token", async () => {
    const { appId } = await newApp();
    const { cookie } = await session();
    const res = await page("POST", `${appHref(appId)}/endpoints`, {
      cookie,
      form: { url: "https://x.example.com/" },
    });
    expect(res.status).toBe(403);
    const list = await call<{ data: unknown[] }>("GET", `/v1/apps/${appId}/endpoints`);
    expect(list.body.data).toEqual([]);
  });
});

describe("endpoint page and its actions", () => {
  it("shows breaker, in-flight, waiting and charts, and every action's button", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { eventTypes: ["invoice.*"] });
    await deliver(ep.id, [{ ok: true, latencyMs: 200 }]);
    const { cookie } = await session();
    const res = await page("GET", epHref(appId, ep.id), { cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const text of [
      "<dt>Breaker</dt>",
      "<dt>Next probe</dt>",
      "<dt>In flight</dt>",
      "<dt>Waiting</dt>",
      ">Send test event</button>",
      ">Disable</button>",
      ">Recover since</button>",
      'type="datetime-local"',
    ])
      expect(html).toContain(text);
    expect(html.match(/<svg[^>]*role="img"/g)).toHaveLength(3);
    // Sign-out, four actions, and the options form with its two tries.
    expect((html.match(/name="csrf"/g) ?? []).length).toBe(8);
  });

  it("answers 404 for an endpoint of another app, and shows the 7-day window on asking", async () => {
    const { appId } = await newApp();
    const other = await newApp();
    const ep = await newEndpoint(other.appId);
    const { cookie } = await session();
    expect((await page("GET", epHref(appId, ep.id), { cookie })).status).toBe(404);
    const week = await (
      await page("GET", `${epHref(other.appId, ep.id)}?window=7d`, { cookie })
    ).text();
    expect(week).toContain("The charts&#39; data, last 7 days");
  });

  it("disables and re-enables through PATCH, with a notice after each", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const { cookie, csrf } = await session();
    const off = await page("POST", `${epHref(appId, ep.id)}/disable`, { cookie, form: { csrf } });
    expect(off.status).toBe(303);
    expect(off.headers.get("location")).toBe(`${epHref(appId, ep.id)}?notice=disabled`);
    const disabled = await call<{ disabled: boolean; disabledReason?: string }>(
      "GET",
      `/v1/apps/${appId}/endpoints/${ep.id}`,
    );
    expect(disabled.body).toMatchObject({
      disabled: true,
      disabledReason: "disabled by an operator",
    });
    const html = await (await page("GET", off.headers.get("location") ?? "", { cookie })).text();
    expect(html).toContain("Endpoint disabled");
    expect(html).toContain(">Re-enable</button>");
    expect(html).toContain("disabled by an operator");

    const on = await page("POST", `${epHref(appId, ep.id)}/enable`, { cookie, form: { csrf } });
    expect(on.headers.get("location")).toBe(`${epHref(appId, ep.id)}?notice=enabled`);
    const enabled = await call<{ disabled: boolean }>(
      "GET",
      `/v1/apps/${appId}/endpoints/${ep.id}`,
    );
    expect(enabled.body.disabled).toBe(false);
  });

  it("sends a test event to that endpoint and names its message", async () => {
    spyOnDeliveries({ stub: true });
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const { cookie, csrf } = await session();
    const res = await page("POST", `${epHref(appId, ep.id)}/test`, { cookie, form: { csrf } });
    expect(res.status).toBe(303);
    const location = res.headers.get("location") ?? "";
    const messageId = /message=(msg_[0-9A-Za-z]+)/.exec(location)?.[1] ?? "";
    const msg = await call<{ eventType: string; deliveries: { endpointId: string }[] }>(
      "GET",
      `/v1/apps/${appId}/messages/${messageId}`,
    );
    expect(msg.body.eventType).toBe("hooklane.test");
    expect(msg.body.deliveries.map((d) => d.endpointId)).toEqual([ep.id]);
    const html = await (await page("GET", location, { cookie })).text();
    expect(html).toContain(`Test event sent as message ${messageId}.`);
  });

  it("reveals the signing secret on the answer only, never in a URL", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const { cookie, csrf } = await session();
    const res = await page("POST", `${epHref(appId, ep.id)}/reveal`, { cookie, form: { csrf } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain(`Signing secret: <code class="ep-secret">${ep.secret}</code>`);
    const again = await (await page("GET", epHref(appId, ep.id), { cookie })).text();
    expect(again).not.toContain(ep.secret);
  });

  it("shows a refused action (a test to a disabled endpoint) in an alert", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { disabled: true });
    const { cookie, csrf } = await session();
    const res = await page("POST", `${epHref(appId, ep.id)}/test`, { cookie, form: { csrf } });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain("re-enable it first");
  });

  it("recovers since a UTC time and says how many deliveries restarted", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const { cookie, csrf } = await session();
    const res = await page("POST", `${epHref(appId, ep.id)}/recover`, {
      cookie,
      form: { csrf, since: "2026-11-27T20:00" },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${epHref(appId, ep.id)}?notice=recovered&n=0&more=0`);
    const bad = await page("POST", `${epHref(appId, ep.id)}/recover`, {
      cookie,
      form: { csrf, since: "yesterday" },
    });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('role="alert"');
  });
});

describe("page helpers", () => {
  it("reads datetime-local as UTC and splits comma lists", () => {
    expect(sinceOf("2026-11-27T20:00")).toBe("2026-11-27T20:00:00.000Z");
    expect(sinceOf("2026-11-27T20:00:30")).toBe("2026-11-27T20:00:30.000Z");
    expect(sinceOf("soon")).toBe("soon");
    expect(splitList(" a, b,,c ")).toEqual(["a", "b", "c"]);
    expect(splitList("")).toEqual([]);
  });

  it("formats rates, durations and axis bounds", () => {
    expect(percent(null)).toBe("–");
    expect(percent(1)).toBe("100 %");
    expect(percent(0.9875)).toBe("98.8 %");
    expect(duration(43)).toBe("43 ms");
    expect(duration(1500)).toBe("1.5 s");
    expect(duration(15_000)).toBe("15 s");
    expect([0, 3, 7, 12, 180].map(niceMax)).toEqual([1, 5, 10, 20, 200]);
  });

  it("shows fixed notice texts only, never a raw query value", () => {
    const q = (v: Record<string, string>) => (name: string) => v[name];
    expect(noticeText(q({ notice: "test", message: "<b>x</b>" }))).toBe("Test event sent.");
    expect(noticeText(q({ notice: "recovered", n: "3", more: "1" }))).toBe(
      "3 deliveries restarted; more match, recover again to restart them.",
    );
    expect(noticeText(q({ notice: "whatever" }))).toBeNull();
  });

  it("lists as failing the disabled, the not-closed and the below-95 % endpoints", () => {
    const e = {
      url: "u",
      disabled: false,
      breaker: "closed" as const,
      requests: 10,
      successRate: 1,
      p95Ms: 1,
    };
    const failing = failingEndpoints([
      { ...e, endpointId: "ok" },
      { ...e, endpointId: "off", disabled: true },
      { ...e, endpointId: "open", breaker: "open" },
      { ...e, endpointId: "low", successRate: 0.9 },
      { ...e, endpointId: "quiet", requests: 0, successRate: null },
    ]);
    expect(failing.map((f) => f.endpointId)).toEqual(["off", "open", "low"]);
  });
});
