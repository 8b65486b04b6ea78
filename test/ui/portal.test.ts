import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getPortalSession } from "../../src/db/portal-sessions";
import worker from "../../src/index";
import { PORTAL_SCRIPT_PATH } from "../../src/ui/portal/assets";
import { PORTAL_COOKIE } from "../../src/ui/portal/session";
import { receiver, runConsumer, seedDeliveries } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";
import { HTTPS, openSession, page, portalCsrf, signedIn, trade } from "./support";

afterEach(() => {
  vi.useRealTimers();
});

describe("portal: opening a session", () => {
  it("serves a landing page whose only script is a file of this origin", async () => {
    const res = await page("GET", "/portal");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`<script src="${PORTAL_SCRIPT_PATH}" defer="">`);
    expect(PORTAL_SCRIPT_PATH).toMatch(/^\/portal\/assets\/open-[0-9a-z]+\.js$/);
    expect(html).toContain("<noscript>");
    expect(html).not.toMatch(/<script>(?!<)/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    const script = await page("GET", PORTAL_SCRIPT_PATH);
    expect(script.headers.get("content-type")).toContain("text/javascript");
    const text = await script.text();
    expect(text).toContain("history.replaceState");
    expect(text).toContain("/portal/session");
  });

  it("trades the code once for a partitioned __Host- cookie", async () => {
    const { appId } = await newApp("portal trade");
    const { code, sessionId } = await openSession(appId);
    const first = await trade(code);
    expect(first.status).toBe(204);
    const setCookie = first.headers.get("set-cookie") ?? "";
    expect(setCookie.startsWith(`${PORTAL_COOKIE}=`)).toBe(true);
    for (const attr of ["Path=/", "Secure", "HttpOnly", "SameSite=None", "Partitioned"])
      expect(setCookie).toContain(attr);
    expect(setCookie).not.toContain("Domain=");
    const row = await getPortalSession(env.DB, sessionId);
    expect(row?.code_hash).toBeNull();
    expect(row?.cookie_hash).toMatch(/^[0-9a-f]{64}$/);
    // The same code again: refused, and no cookie.
    const again = await trade(code);
    expect(again.status).toBe(401);
    expect(again.headers.get("set-cookie")).toBeNull();
    // A body far larger than any code is refused unread.
    const huge = await worker.fetch(
      new Request(`${HTTPS}/portal/session`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: HTTPS },
        body: JSON.stringify({ code: "x".repeat(4096) }),
      }),
      env,
      createExecutionContext(),
    );
    expect(huge.status).toBe(413);
    // A code posted from another site is refused before it is looked at.
    const other = await openSession(appId);
    expect((await trade(other.code, "https://evil.example")).status).toBe(403);
    expect((await trade(other.code)).status).toBe(204);
  });

  it("uses the same secure cookie on plain-http loopback", async () => {
    const { appId } = await newApp("portal loopback");
    const { code } = await openSession(appId);
    const res = await worker.fetch(
      new Request("http://127.0.0.1:8787/portal/session", {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://127.0.0.1:8787" },
        body: JSON.stringify({ code }),
      }),
      env,
      createExecutionContext(),
    );
    expect(res.status).toBe(204);
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie.startsWith(`${PORTAL_COOKIE}=`)).toBe(true);
    expect(setCookie).toContain("Secure");
    expect(setCookie).toContain("SameSite=None");
  });
});

describe("portal: scope and capabilities", () => {
  it("shows only its app's endpoints, and another app's ids answer 404", async () => {
    const a = await newApp("portal scope a");
    const b = await newApp("portal scope b");
    const mine = await newEndpoint(a.appId, { url: "https://a.example.com/hook" });
    const theirs = await newEndpoint(b.appId, { url: "https://b.example.com/hook" });
    const { cookie } = await signedIn(a.appId);
    const list = await page("GET", "/portal/endpoints", { cookie });
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain("https://a.example.com/hook");
    expect(html).not.toContain("https://b.example.com/hook");
    expect((await page("GET", `/portal/endpoints/${mine.id}`, { cookie })).status).toBe(200);
    expect((await page("GET", `/portal/endpoints/${theirs.id}`, { cookie })).status).toBe(404);
    const csrf = await portalCsrf(cookie);
    const del = await page("POST", `/portal/endpoints/${theirs.id}/delete`, {
      cookie,
      form: { csrf },
      origin: HTTPS,
    });
    expect(del.status).toBe(404);
    expect((await call("GET", `/v1/apps/${b.appId}/endpoints/${theirs.id}`)).status).toBe(200);
  });

  it("creates an endpoint as the session, which the audit log names", async () => {
    const { appId } = await newApp("portal create");
    const { cookie, sessionId } = await signedIn(appId);
    const csrf = await portalCsrf(cookie);
    const res = await page("POST", "/portal/endpoints", {
      cookie,
      origin: HTTPS,
      form: { csrf, url: "https://made.example.com/hook", description: "", eventTypes: "a.b, c.*" },
    });
    expect(res.status).toBe(303);
    const id = /\/portal\/endpoints\/(ep_\w+)$/.exec(res.headers.get("location") ?? "")?.[1];
    const made = await call<{ eventTypes: string[] }>("GET", `/v1/apps/${appId}/endpoints/${id}`);
    expect(made.body.eventTypes).toEqual(["a.b", "c.*"]);
    const trail = await call<{ data: { actor: string; action: string; resourceId?: string }[] }>(
      "GET",
      `/v1/apps/${appId}/audit`,
    );
    expect(trail.body.data.find((e) => e.resourceId === id)?.actor).toBe(`portal_${sessionId}`);
    // A refused endpoint: the form again with the API's reason, nothing made.
    const bad = await page("POST", "/portal/endpoints", {
      cookie,
      origin: HTTPS,
      form: { csrf, url: "not a url", description: "", eventTypes: "" },
    });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('role="alert"');
  });

  it("edits and deletes an endpoint, keeping what was typed when the API refuses", async () => {
    const { appId } = await newApp("portal edit");
    const ep = await newEndpoint(appId, { url: "https://edit.example.com/hook" });
    const { cookie } = await signedIn(appId);
    const path = `/portal/endpoints/${ep.id}`;
    const csrf = await portalCsrf(cookie, path);
    const saved = await page("POST", path, {
      cookie,
      origin: HTTPS,
      form: {
        csrf,
        url: "https://edited.example.com/hook",
        description: "Orders",
        eventTypes: "order.*",
        disabled: "on",
      },
    });
    expect(saved.status).toBe(303);
    const after = await call<{
      url: string;
      description?: string;
      eventTypes: string[];
      disabled: boolean;
    }>("GET", `/v1/apps/${appId}/endpoints/${ep.id}`);
    expect(after.body).toMatchObject({
      url: "https://edited.example.com/hook",
      description: "Orders",
      eventTypes: ["order.*"],
      disabled: true,
    });
    const refused = await page("POST", path, {
      cookie,
      origin: HTTPS,
      form: { csrf, url: "ftp://nope.example.com/", description: "", eventTypes: "" },
    });
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('value="ftp://nope.example.com/"');
    const deleted = await page("POST", `${path}/delete`, { cookie, origin: HTTPS, form: { csrf } });
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get("location")).toBe("/portal/endpoints");
    expect((await call("GET", `/v1/apps/${appId}/endpoints/${ep.id}`)).status).toBe(404);
  });

  it("hides edit controls without manage-endpoints and refuses their direct POST", async () => {
    const { appId } = await newApp("portal read-only");
    const ep = await newEndpoint(appId);
    const { cookie, sessionId } = await signedIn(appId, { capabilities: ["view"] });
    const list = await (await page("GET", "/portal/endpoints", { cookie })).text();
    expect(list).not.toContain('action="/portal/endpoints"');
    const one = await (await page("GET", `/portal/endpoints/${ep.id}`, { cookie })).text();
    for (const action of [
      "",
      "/delete",
      "/reveal",
      "/rotate",
      "/recover",
      "/options",
      "/filter-test",
      "/transform-preview",
    ])
      expect(one).not.toContain(`action="/portal/endpoints/${ep.id}${action}"`);
    for (const id of ["opt-filter", "opt-batch-max-events", "opt-batch-max-wait"])
      expect(one).not.toContain(`id="${id}"`);
    // The facts still show the options, batching included.
    expect(one).toContain("<dt>Batching</dt>");
    const types = await (await page("GET", "/portal/event-types", { cookie })).text();
    expect(types).not.toContain("Send this example");
    // This session's pages have no form at all; post with its real token, as a forged page
    // that somehow had it would: the capability check still refuses.
    expect(one).not.toContain('name="csrf"');
    const csrf = (await getPortalSession(env.DB, sessionId))?.csrf ?? "";
    expect(csrf).not.toBe("");
    for (const [path, form] of [
      ["/portal/endpoints", { url: "https://x.example.com/" }],
      [`/portal/endpoints/${ep.id}`, { url: "https://x.example.com/" }],
      [`/portal/endpoints/${ep.id}/delete`, {}],
      [`/portal/endpoints/${ep.id}/reveal`, {}],
      [`/portal/endpoints/${ep.id}/rotate`, {}],
      [`/portal/endpoints/${ep.id}/recover`, { since: "2026-01-01T00:00" }],
      [`/portal/endpoints/${ep.id}/options`, { format: "cloudevents", filter: "", transform: "" }],
      [`/portal/endpoints/${ep.id}/filter-test`, { payload: "{}" }],
      [`/portal/endpoints/${ep.id}/transform-preview`, { payload: "{}" }],
      ["/portal/event-types/send", { eventType: "a.b", endpointId: ep.id }],
    ] as const) {
      const res = await page("POST", path, { cookie, origin: HTTPS, form: { csrf, ...form } });
      expect(res.status, path).toBe(403);
      expect(await res.text(), path).toContain("capability");
    }
    const after = await call<{ format: string }>("GET", `/v1/apps/${appId}/endpoints/${ep.id}`);
    expect(after.status).toBe(200);
    expect(after.body.format).toBe("standard-webhooks");
  });

  it("reveals and rotates the secret only with their capabilities", async () => {
    const { appId } = await newApp("portal secrets");
    const ep = await newEndpoint(appId);
    const { cookie } = await signedIn(appId, { capabilities: ["view", "view-secrets"] });
    // The endpoint's page has the reveal form (the list has no form for this session).
    const csrf = await portalCsrf(cookie, `/portal/endpoints/${ep.id}`);
    const shown = await page("POST", `/portal/endpoints/${ep.id}/reveal`, {
      cookie,
      origin: HTTPS,
      form: { csrf },
    });
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain(ep.secret);
    const rotate = await page("POST", `/portal/endpoints/${ep.id}/rotate`, {
      cookie,
      origin: HTTPS,
      form: { csrf },
    });
    expect(rotate.status).toBe(403);
  });
});

describe("portal: messages, replay and recover", () => {
  it("shows a message's payload exactly as sent", async () => {
    const { appId } = await newApp("portal exact");
    await newEndpoint(appId);
    const raw = '{"eventType":"big.number","payload":{"n":12345678901234567890123,"x":1.50}}';
    const sent = await call<{ id: string }>("POST", `/v1/apps/${appId}/messages`, {
      raw,
      headers: { "content-type": "application/json" },
    });
    expect(sent.status).toBe(202);
    const { cookie } = await signedIn(appId);
    const list = await (await page("GET", "/portal/messages", { cookie })).text();
    expect(list).toContain(`href="/portal/messages/${sent.body.id}"`);
    const one = await page("GET", `/portal/messages/${sent.body.id}`, { cookie });
    expect(one.status).toBe(200);
    const html = await one.text();
    expect(html).toContain("12345678901234567890123");
    expect(html).toContain("1.50");
    // The Copy buttons' script is a file of this origin, allowed by the page's policy.
    const script = /<script src="(\/portal\/assets\/enhance-[a-z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(one.headers.get("content-security-policy")).toContain("script-src 'self'");
    const served = await page("GET", script ?? "");
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toContain("text/javascript");
    expect(await served.text()).toContain("navigator.clipboard");
  });

  it("replays a dead delivery and recovers an endpoint only with replay", async () => {
    const { appId } = await newApp("portal replay");
    const ep = await newEndpoint(appId);
    receiver(() => new Response("gone", { status: 410 }));
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task]);
    if (!task) throw new Error("no task");
    const action = `/portal/dead-letters/${task.deliveryId}/replay`;

    const reader = await signedIn(appId, { capabilities: ["view"] });
    const readOnly = await (
      await page("GET", `/portal/messages/${task.messageId}`, { cookie: reader.cookie })
    ).text();
    expect(readOnly).toContain("dead");
    expect(readOnly).not.toContain(`action="${action}"`);

    const { cookie, sessionId } = await signedIn(appId);
    const path = `/portal/messages/${task.messageId}`;
    const html = await (await page("GET", path, { cookie })).text();
    expect(html).toContain(`action="${action}"`);
    // The attempt timeline shows the request as it went out, signature included.
    expect(html).toContain('data-header="webhook-signature"');
    const csrf = await portalCsrf(cookie, path);
    const replayed = await page("POST", action, {
      cookie,
      origin: HTTPS,
      form: { csrf, back: path },
    });
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get("location")).toBe(path);

    const recovered = await page("POST", `/portal/endpoints/${ep.id}/recover`, {
      cookie,
      origin: HTTPS,
      form: { csrf, since: "2020-01-01T00:00" },
    });
    expect(recovered.status).toBe(200);
    expect(await recovered.text()).toMatch(/\d+ deliver(y|ies) sent again/);
    const bad = await page("POST", `/portal/endpoints/${ep.id}/recover`, {
      cookie,
      origin: HTTPS,
      form: { csrf, since: "yesterday" },
    });
    expect(bad.status).toBe(422);

    const trail = await call<{ data: { actor: string; action: string }[] }>(
      "GET",
      `/v1/apps/${appId}/audit`,
    );
    const mine = trail.body.data.filter((e) => e.actor === `portal_${sessionId}`);
    expect(mine.map((e) => e.action).sort()).toEqual(["recover", "replay"]);
  });
});

describe("portal: forms and session ends", () => {
  it("refuses a POST without the CSRF token, with a wrong one, or from another origin", async () => {
    const { appId } = await newApp("portal csrf");
    const { cookie } = await signedIn(appId);
    const csrf = await portalCsrf(cookie);
    const url = "https://csrf.example.com/hook";
    const attempts: { form: Record<string, string>; origin?: string }[] = [
      { form: { url } },
      { form: { url, csrf: "wrong" } },
      { form: { url, csrf }, origin: "https://evil.example" },
    ];
    for (const opts of attempts) {
      const res = await page("POST", "/portal/endpoints", { cookie, ...opts });
      expect(res.status).toBe(403);
    }
    const list = await call<{ data: unknown[] }>("GET", `/v1/apps/${appId}/endpoints`);
    expect(list.body.data).toEqual([]);
  });

  it("shows 'session ended' without a session, after revocation and after expiry", async () => {
    const { appId } = await newApp("portal ended");
    await newEndpoint(appId, { url: "https://ended.example.com/hook" });
    const none = await page("GET", "/portal/endpoints");
    expect(none.status).toBe(401);
    expect(await none.text()).toContain("Session ended");

    const revoked = await signedIn(appId);
    expect((await call("DELETE", `/v1/apps/${appId}/portal-sessions`)).status).toBe(204);
    const after = await page("GET", "/portal/endpoints", { cookie: revoked.cookie });
    expect(after.status).toBe(403);
    const html = await after.text();
    expect(html).toContain("Session ended");
    expect(html).not.toContain("ended.example.com");

    const expiring = await signedIn(appId);
    expect((await page("GET", "/portal/endpoints", { cookie: expiring.cookie })).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse(expiring.expiresAt) + 1000);
    const expired = await page("GET", "/portal/endpoints", { cookie: expiring.cookie });
    expect(expired.status).toBe(401);
    expect(await expired.text()).toContain("has expired");
    // Its code, never traded, no longer works either.
    const late = await openSession(appId);
    vi.setSystemTime(Date.parse(late.expiresAt) + 1000);
    expect((await trade(late.code)).status).toBe(401);
  });
});
