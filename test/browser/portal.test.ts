import { createServer, type Server } from "node:http";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  type Hooklane,
  type Receiver,
  startHooklane,
  startReceiver,
} from "../e2e/harness";
import { axeViolations, launchChromium, screenshot } from "./kit";

/** A page on another origin that frames `?src=`: the embedding site of a Hooklane user. */
async function startEmbedder(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const src = new URL(req.url ?? "/", "http://embedder").searchParams.get("src") ?? "";
    res.setHeader("content-type", "text/html; charset=utf-8");
    const attr = src.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
    res.end(
      `<!DOCTYPE html><html lang="en"><title>Embedder</title><h1>Your account</h1><iframe title="Webhooks" src="${attr}" width="1000" height="700"></iframe></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

describe("consumer portal in Chromium", () => {
  let hooklane: Hooklane | undefined;
  let receiver: Receiver | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  const embedders: Server[] = [];
  let allowedPort = 0;
  let otherPort = 0;
  let appA = "";
  let appB = "";
  let endpointB = "";

  /** Opens a portal session through the API (admin token); its URL. */
  async function openSession(appId: string, body: Record<string, unknown> = {}): Promise<string> {
    if (!hooklane) throw new Error("not started");
    const res = await hooklane.api(`/v1/apps/${appId}/portal-sessions`, { body });
    expect(res.status).toBe(201);
    return (res.body as { url: string }).url;
  }

  /** Opens the session URL in a page and waits for the endpoints page. */
  async function enter(page: Page, url: string): Promise<void> {
    await page.goto(url);
    await page.waitForURL((u) => u.pathname === "/portal/endpoints");
  }

  beforeAll(async () => {
    [allowedPort, otherPort] = await Promise.all([freePort(), freePort()]);
    [hooklane, receiver, browser] = await Promise.all([
      startHooklane(),
      startReceiver(),
      launchChromium(),
    ]);
    embedders.push(await startEmbedder(allowedPort), await startEmbedder(otherPort));
    // axe-core goes in as an inline script, which the portal's policy forbids: this context lets
    // the test's own script in. Framing and scripts are checked in contexts without it.
    context = await browser.newContext({ bypassCSP: true });
    const a = await hooklane.api("/v1/apps", {
      body: { name: "Portal A", portalOrigins: [`http://localhost:${allowedPort}`] },
    });
    const b = await hooklane.api("/v1/apps", { body: { name: "Portal B" } });
    appA = (a.body as { id: string }).id;
    appB = (b.body as { id: string }).id;
    const typed = await hooklane.api(`/v1/apps/${appA}/event-types`, {
      body: {
        name: "invoice.paid",
        description: "An invoice was paid in full.",
        schema: {
          type: "object",
          properties: { invoice: { type: "string" }, amount: { type: "integer" } },
          required: ["invoice", "amount"],
          examples: [{ invoice: "1001", amount: 4200 }],
        },
      },
    });
    expect(typed.status).toBe(201);
    await hooklane.api(`/v1/apps/${appA}/event-types`, {
      body: {
        name: "customer.created",
        schema: {
          type: "object",
          properties: { id: { type: "string" }, email: { type: "string", format: "email" } },
        },
      },
    });
    const epB = await hooklane.api(`/v1/apps/${appB}/endpoints`, {
      body: { url: receiver.url("/b-only"), eventTypes: ["invoice.*"] },
    });
    endpointB = (epB.body as { id: string }).id;
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    for (const server of embedders) await new Promise((r) => server.close(r));
    await receiver?.close();
    await hooklane?.stop();
  });

  it("opens from its link, manages endpoints, sends an example and shows the delivery", async () => {
    if (!hooklane || !context || !receiver) throw new Error("not started");
    const rx = receiver;
    const page = await context.newPage();
    const url = await openSession(appA);
    expect(url).toMatch(/\/portal#code=/);
    await enter(page, url);
    // The code is gone from the address bar and from the history.
    expect(page.url()).not.toContain("code=");
    await page.goBack();
    expect(page.url()).not.toContain("code=");
    await page.goForward();
    await page.waitForURL((u) => u.pathname === "/portal/endpoints");
    await expect(axeViolations(page)).resolves.toEqual([]);

    // A form posted without its CSRF token is refused and changes nothing.
    await page.getByLabel("URL").fill(rx.url("/refused"));
    await page.evaluate(() => document.querySelector('input[name="csrf"]')?.remove());
    const refused = page.waitForResponse((r) => r.request().method() === "POST");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    expect((await refused).status()).toBe(403);
    await page.goto(`${hooklane.baseUrl}/portal/endpoints`);
    await expect(page.getByText(rx.url("/refused")).count()).resolves.toBe(0);

    // Create an endpoint; only this app's endpoints are listed.
    await page.getByLabel("URL").fill(rx.url("/portal-a"));
    await page.getByLabel("Description").fill("Billing webhooks");
    await page.getByLabel("Event types").fill("invoice.*");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await page.waitForURL((u) => /^\/portal\/endpoints\/ep_/.test(u.pathname));
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Endpoint");
    await expect(axeViolations(page)).resolves.toEqual([]);
    await page.getByRole("button", { name: "Reveal secret" }).click();
    const secret = (await page.locator("#secret-value").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_/);
    rx.setSecret("/portal-a", secret);
    await page.getByRole("link", { name: "Endpoints" }).first().click();
    await page.waitForURL((u) => u.pathname === "/portal/endpoints");
    await expect(page.getByRole("link", { name: rx.url("/portal-a") }).count()).resolves.toBe(1);
    await expect(page.getByText(rx.url("/b-only")).count()).resolves.toBe(0);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "portal-endpoints");
    await page.getByRole("link", { name: rx.url("/portal-a") }).click();
    await page.waitForURL((u) => /^\/portal\/endpoints\/ep_/.test(u.pathname));
    // The endpoint's page, with its edit, options, filter test and transform preview forms.
    await expect(page.getByRole("button", { name: "Test filter" }).count()).resolves.toBe(1);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "portal-endpoint");

    // The catalog: schema and example; send the example to the endpoint.
    await page.getByRole("link", { name: "Event types" }).click();
    await page.waitForURL((u) => u.pathname === "/portal/event-types");
    const invoice = page.getByRole("region", { name: "invoice.paid" });
    await expect(invoice.getByLabel("Example of invoice.paid").textContent()).resolves.toContain(
      '"amount": 4200',
    );
    await expect(page.getByLabel("Example of customer.created").textContent()).resolves.toContain(
      '"email": "user@example.com"',
    );
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "portal-event-types");
    await invoice.getByRole("button", { name: "Send this example to my endpoint" }).click();
    await page.waitForURL((u) => /^\/portal\/messages\/msg_/.test(u.pathname));
    await rx.waitFor(
      () => rx.requests.some((r) => r.path === "/portal-a"),
      30_000,
      "the example at the portal's endpoint",
    );
    const got = rx.requests.find((r) => r.path === "/portal-a");
    expect(got?.verified).toBe(true);
    expect(JSON.parse(got?.body ?? "{}")).toMatchObject({
      type: "invoice.paid",
      data: { invoice: "1001", amount: 4200 },
    });
    expect(rx.requests.some((r) => r.path === "/b-only")).toBe(false);
    // The attempt is recorded a moment after the receiver answers.
    for (let i = 0; i < 40; i++) {
      await page.reload();
      if ((await page.locator(".badge-succeeded").count()) > 0) break;
      await page.waitForTimeout(250);
    }
    await expect(page.locator(".badge-succeeded").count()).resolves.toBeGreaterThan(0);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "portal-message");
    await page.getByRole("link", { name: "Messages" }).first().click();
    await page.waitForURL((u) => u.pathname === "/portal/messages");
    await expect(page.getByRole("row", { name: /invoice\.paid/ }).count()).resolves.toBe(1);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "portal-messages");

    // Another app's endpoint is not found from this session.
    const other = await page.goto(`${hooklane.baseUrl}/portal/endpoints/${endpointB}`);
    expect(other?.status()).toBe(404);
    await expect(page.getByText(rx.url("/b-only")).count()).resolves.toBe(0);
    await page.close();
  });

  it("shows no edit controls without manage-endpoints and refuses their POST", async () => {
    if (!hooklane || !browser || !receiver) throw new Error("not started");
    const made = await hooklane.api(`/v1/apps/${appA}/endpoints`, {
      body: { url: receiver.url("/read-only") },
    });
    const id = (made.body as { id: string }).id;
    const reader = await browser.newContext({ bypassCSP: true });
    try {
      const page = await reader.newPage();
      await enter(page, await openSession(appA, { capabilities: ["view", "view-secrets"] }));
      await expect(page.getByRole("button", { name: "Add endpoint" }).count()).resolves.toBe(0);
      await page.goto(`${hooklane.baseUrl}/portal/endpoints/${id}`);
      for (const name of ["Save", "Delete this endpoint", "Rotate secret", "Recover"])
        await expect(page.getByRole("button", { name }).count()).resolves.toBe(0);
      await expect(page.getByRole("button", { name: "Reveal secret" }).count()).resolves.toBe(1);
      await expect(axeViolations(page)).resolves.toEqual([]);
      // A delete posted anyway, with this session's own CSRF token, from this origin.
      const refused = page.waitForResponse((r) => r.request().method() === "POST");
      await page.evaluate((action) => {
        const token = document.querySelector<HTMLInputElement>('input[name="csrf"]')?.value ?? "";
        const form = document.createElement("form");
        form.method = "post";
        form.action = action;
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = "csrf";
        input.value = token;
        form.append(input);
        document.body.append(form);
        form.submit();
      }, `/portal/endpoints/${id}/delete`);
      expect((await refused).status()).toBe(403);
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
        "Not allowed",
      );
      expect((await hooklane.api(`/v1/apps/${appA}/endpoints/${id}`)).status).toBe(200);
    } finally {
      await reader.close();
    }
  });

  it("themes the portal with the session's accent and mode", async () => {
    if (!browser) throw new Error("not started");
    const themed = await browser.newContext({ bypassCSP: true });
    try {
      const page = await themed.newPage();
      await enter(page, await openSession(appA, { theme: { accent: "#1b3a4b", mode: "dark" } }));
      const button = page.getByRole("button", { name: "Add endpoint" });
      await expect(button.evaluate((el) => getComputedStyle(el).backgroundColor)).resolves.toBe(
        "rgb(27, 58, 75)",
      );
      await expect(button.evaluate((el) => getComputedStyle(el).color)).resolves.toBe(
        "rgb(255, 255, 255)",
      );
      await expect(
        page.evaluate(() => getComputedStyle(document.body).backgroundColor),
      ).resolves.toBe("rgb(18, 20, 23)");
      await expect(axeViolations(page)).resolves.toEqual([]);
      await screenshot(page, "portal-themed");
    } finally {
      await themed.close();
    }
  });

  it("frames only from the app's listed origins, with its cookie in the cross-site iframe", async () => {
    if (!browser) throw new Error("not started");
    const strict = await browser.newContext();
    try {
      // localhost frames 127.0.0.1: another site, so only a partitioned cookie works there.
      const page = await strict.newPage();
      const src = encodeURIComponent(await openSession(appA));
      await page.goto(`http://localhost:${allowedPort}/?src=${src}`);
      const frame = page.frameLocator("iframe");
      await frame.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
      await expect(frame.getByRole("button", { name: "Add endpoint" }).count()).resolves.toBe(1);

      // Not listed: the landing page loads (it shows nothing), the portal itself is refused.
      const denied = await strict.newPage();
      const blocked = denied.waitForResponse(
        (r) => new URL(r.url()).pathname === "/portal/endpoints",
      );
      await denied.goto(
        `http://localhost:${otherPort}/?src=${encodeURIComponent(await openSession(appA))}`,
      );
      const response = await blocked;
      expect(response.headers()["content-security-policy"]).toContain(
        `frame-ancestors http://localhost:${allowedPort}`,
      );
      await denied.waitForTimeout(500);
      await expect(
        denied.frameLocator("iframe").getByRole("heading", { name: "Endpoints" }).count(),
      ).resolves.toBe(0);

      // No inline script runs under the policy, framed or not.
      const top = await strict.newPage();
      await enter(top, await openSession(appA));
      await top.addScriptTag({ content: "window.inlineRan = true;" }).catch(() => undefined);
      await expect(
        top.evaluate(() => (window as unknown as { inlineRan?: boolean }).inlineRan),
      ).resolves.toBeUndefined();
    } finally {
      await strict.close();
    }
  });

  it("says what to do when scripts are off, and leaves the code unused", async () => {
    if (!browser) throw new Error("not started");
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    const scripted = await browser.newContext();
    try {
      const url = await openSession(appA);
      const page = await noScript.newPage();
      await page.goto(url);
      await expect(page.locator("main").innerText()).resolves.toContain(
        "which your browser does not run",
      );
      // The code was not spent: a browser that runs the script can still use it.
      const later = await scripted.newPage();
      await enter(later, url);
    } finally {
      await noScript.close();
      await scripted.close();
    }
  });

  it("ends revoked sessions with a page that shows no data", async () => {
    if (!hooklane || !browser) throw new Error("not started");
    const ctx = await browser.newContext({ bypassCSP: true });
    try {
      const page = await ctx.newPage();
      const url = await openSession(appA);
      await enter(page, url);
      expect(
        (await hooklane.api(`/v1/apps/${appA}/portal-sessions`, { method: "DELETE" })).status,
      ).toBe(204);
      const after = await page.reload();
      expect(after?.status()).toBe(403);
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
        "Session ended",
      );
      await expect(page.getByRole("table").count()).resolves.toBe(0);
      await expect(axeViolations(page)).resolves.toEqual([]);
      await screenshot(page, "portal-session-ended");
      // The link, already used, opens nothing either.
      await page.goto(url);
      await page.locator("#status", { hasText: "already been used" }).waitFor();
      expect(new URL(page.url()).hash).toBe("");
      await expect(axeViolations(page)).resolves.toEqual([]);
      await screenshot(page, "portal-link-used");
    } finally {
      await ctx.close();
    }
  });
});
