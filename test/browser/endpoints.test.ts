import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hooklane, type Receiver, startHooklane, startReceiver } from "../e2e/harness";
import { axeViolations, launchChromium, screenshot } from "./kit";

/** Reloads the page until `check` holds (the gate learns an outcome after the receiver answers). */
async function reloadUntil(page: Page, check: () => Promise<boolean>, what: string) {
  const until = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
}

describe("app overview and endpoints in Chromium", () => {
  let hooklane: Hooklane | undefined;
  let receiver: Receiver | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    [hooklane, receiver, browser] = await Promise.all([
      startHooklane(),
      // One path fails every request, so an endpoint's breaker opens for the overview to list.
      startReceiver((req) =>
        req.path === "/hooks/down" ? { status: 500, body: "down" } : { status: 200, body: "ok" },
      ),
      launchChromium(),
    ]);
    // axe-core goes in as an inline script, which the dashboard's policy forbids.
    context = await browser.newContext({ bypassCSP: true });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await receiver?.close();
    await hooklane?.stop();
  });

  it("creates an endpoint, sends it a test event, disables and re-enables it, and charts the app", async () => {
    if (!hooklane || !receiver || !context) throw new Error("not started");
    const created = await hooklane.api("/v1/apps", { body: { name: "Charts Co" } });
    expect(created.status).toBe(201);
    const appId = (created.body as { id: string }).id;
    const base = hooklane.baseUrl;
    const appBase = `${base}/dashboard/apps/${appId}`;
    const page = await context.newPage();

    await page.goto(`${base}/dashboard/sign-in`);
    await page.getByLabel("Admin token").fill(hooklane.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${base}/dashboard/apps`);

    // The create form: a refusal first (the API takes only http(s) targets), shown beside it.
    await page.goto(`${appBase}/endpoints`);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Endpoints");
    await page.getByLabel("URL", { exact: true }).fill("ftp://files.example.com/in");
    await page.getByLabel("Description").fill("billing hooks");
    await page.getByLabel("Event types").fill("invoice.*");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("url");
    await expect(page.getByLabel("Description").inputValue()).resolves.toBe("billing hooks");
    await expect(axeViolations(page)).resolves.toEqual([]);

    const target = receiver.url("/hooks/charts");
    await page.getByLabel("URL", { exact: true }).fill(target);
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.waitForURL(/\/endpoints\/ep_[0-9A-Z]+\?notice=created$/);
    await expect(page.getByRole("status").textContent()).resolves.toContain("Endpoint created");

    // The signing secret, revealed on the page, verifies what the receiver gets.
    await page.getByRole("button", { name: "Reveal signing secret" }).click();
    const secret = (await page.locator(".ep-secret").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_/);
    receiver.setSecret("/hooks/charts", secret);
    await expect(axeViolations(page)).resolves.toEqual([]);

    // Send test events; the receiver gets them, and the page shows the gate's figures.
    for (let i = 0; i < 3; i++) {
      await page.getByRole("button", { name: "Send test event" }).click();
      await page.waitForURL(/notice=test/);
      await expect(page.getByRole("status").textContent()).resolves.toMatch(
        /Test event sent as message msg_/,
      );
    }
    await receiver.waitFor(
      () => receiver?.requests.filter((r) => r.path === "/hooks/charts").length === 3,
      30_000,
      "three test events at the receiver",
    );
    const got = receiver.requests.filter((r) => r.path === "/hooks/charts");
    expect(got.map((r) => r.verified)).toEqual([true, true, true]);
    const first = got[0];
    expect(JSON.parse(first?.body ?? "{}")).toMatchObject({
      type: "invoice.test",
      data: { type: "invoice.test", test: true },
    });
    const endpointUrl = page.url().replace(/\?.*$/, "");
    await page.goto(endpointUrl);
    await reloadUntil(
      page,
      async () =>
        (await page.locator(".chart-deliveries desc").textContent())?.startsWith("3 ") ?? false,
      "three deliveries in the endpoint's chart",
    );
    await expect(page.locator(".ep-badge").first().textContent()).resolves.toBe("closed");
    await expect(page.getByRole("img", { name: /Deliveries/ }).count()).resolves.toBe(1);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "dashboard-endpoint");

    // Two endpoints that need a look: one failing until its breaker opens, one disabled.
    const service = hooklane;
    const made = async (body: Record<string, unknown>) => {
      const res = await service.api(`/v1/apps/${appId}/endpoints`, { body });
      expect(res.status).toBe(201);
      return (res.body as { id: string }).id;
    };
    const down = await made({ url: receiver.url("/hooks/down"), description: "always 500" });
    await made({ url: receiver.url("/hooks/off"), disabled: true });
    for (let i = 0; i < 5; i++) {
      const sent = await hooklane.api(`/v1/apps/${appId}/endpoints/${down}/test`, { body: {} });
      expect(sent.status).toBe(202);
    }
    await receiver.waitFor(
      () => (receiver?.requests.filter((r) => r.path === "/hooks/down").length ?? 0) >= 5,
      30_000,
      "five failed deliveries",
    );

    // The list: the endpoint's row with its breaker, rates and sparkline.
    await page.goto(`${appBase}/endpoints`);
    const row = page.getByRole("row", { name: new RegExp(target.replaceAll("/", "\\/")) });
    await expect(row.count()).resolves.toBe(1);
    await expect(row.textContent()).resolves.toContain("100 %");
    await expect(
      row
        .getByRole("img", { name: "3 deliveries in the last 24 hours, at most 3 in an hour" })
        .count(),
    ).resolves.toBe(1);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "dashboard-endpoints");

    // The overview: three charts with their text, in both windows.
    await page.getByRole("link", { name: "Overview" }).click();
    await page.waitForURL(appBase);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Charts Co");
    await expect(page.locator("svg[role=img]").count()).resolves.toBe(3);
    // The failing table lists the open breaker (once the gate has its outcomes) and the
    // disabled endpoint, not the healthy one.
    const failing = page.getByRole("table", { name: /open or half-open breaker/ });
    await reloadUntil(
      page,
      async () => /open/.test((await failing.textContent().catch(() => "")) ?? ""),
      "the failing endpoint's breaker to open",
    );
    await expect(failing.textContent()).resolves.toContain("/hooks/down");
    await expect(failing.textContent()).resolves.toContain("Disabled: disabled by an operator");
    await expect(failing.textContent()).resolves.not.toContain("/hooks/charts");
    await expect(page.locator(".ep-note").first().textContent()).resolves.toMatch(
      /^\d+ deliveries in the last 24 hours/,
    );
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "dashboard-app-overview");
    await page.getByRole("link", { name: "Last 7 days" }).click();
    await page.waitForURL(`${appBase}?window=7d`);
    await expect(page.locator(".ep-note").first().textContent()).resolves.toMatch(
      /^\d+ deliveries in the last 7 days/,
    );
    await expect(axeViolations(page)).resolves.toEqual([]);

    // Disable, then re-enable, with a notice after each.
    await page.goto(endpointUrl);
    await page.getByRole("button", { name: "Disable" }).click();
    await page.waitForURL(/notice=disabled/);
    await expect(page.getByRole("status").textContent()).resolves.toContain("Endpoint disabled");
    await expect(page.getByText("disabled by an operator").count()).resolves.toBe(1);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await page.getByRole("button", { name: "Re-enable" }).click();
    await page.waitForURL(/notice=enabled/);
    await expect(page.getByRole("status").textContent()).resolves.toContain("re-enabled");
    await expect(page.getByRole("button", { name: "Disable" }).count()).resolves.toBe(1);

    // The options: a refused filter keeps what was typed; a good one saves, is tried on a
    // sample payload, and a transform is previewed.
    const filterBox = page.getByLabel("Payload filter (JSON)", { exact: true });
    await page.getByLabel("Format", { exact: true }).selectOption("cloudevents");
    await filterBox.fill('{"amount": {"$near": 1}}');
    await page.getByRole("button", { name: "Save options" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("/filter/amount/$near");
    await expect(filterBox.inputValue()).resolves.toBe('{"amount": {"$near": 1}}');
    await expect(axeViolations(page)).resolves.toEqual([]);
    await filterBox.fill('{"amount": {"$gte": 100}}');
    await page
      .getByLabel("Transform (JSONata)", { exact: true })
      .fill('{ "body": { "cents": data.amount }, "headers": { "x-kind": type } }');
    await page.getByRole("button", { name: "Save options" }).click();
    await page.waitForURL(/notice=options/);
    await expect(page.getByRole("status").textContent()).resolves.toContain("Options saved");
    const endpointId = endpointUrl.slice(endpointUrl.lastIndexOf("/") + 1);
    const stored = await hooklane.api(`/v1/apps/${appId}/endpoints/${endpointId}`);
    expect(stored.body).toMatchObject({ format: "cloudevents", filter: { amount: { $gte: 100 } } });
    await page
      .getByLabel("Sample payload (JSON), tried on the saved filter")
      .fill('{"amount": 150}');
    await page.getByRole("button", { name: "Test filter" }).click();
    await expect(page.getByRole("status").textContent()).resolves.toContain("Matches");
    await page
      .getByLabel("Sample payload (JSON), run through the saved transform")
      .fill('{"amount": 150}');
    await page.getByLabel("Event type (optional)").fill("invoice.paid");
    await page.getByRole("button", { name: "Preview transform" }).click();
    await expect(page.getByRole("status").textContent()).resolves.toContain("x-kind: invoice.paid");
    await expect(axeViolations(page)).resolves.toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.locator("#options-h").evaluate((el) => el.scrollIntoView());
    await screenshot(page, "dashboard-endpoint-options");

    // Batching: refused with CloudEvents binary (the reason shown, the numbers kept), then saved
    // once the transform is cleared, and shown in the facts.
    const maxEvents = page.getByLabel("Batch: max events", { exact: true });
    await page.getByLabel("Format", { exact: true }).selectOption("cloudevents-binary");
    await maxEvents.fill("10");
    await page.getByLabel("Batch: max wait (ms)", { exact: true }).fill("500");
    await page.getByRole("button", { name: "Save options" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain(
      "cloudevents-binary has no batch mode",
    );
    await expect(maxEvents.inputValue()).resolves.toBe("10");
    await expect(axeViolations(page)).resolves.toEqual([]);
    await page.getByLabel("Format", { exact: true }).selectOption("cloudevents");
    await page.getByLabel("Transform (JSONata)", { exact: true }).fill("");
    await page.getByRole("button", { name: "Save options" }).click();
    await page.waitForURL(/notice=options/);
    await expect(page.locator(".facts").textContent()).resolves.toContain(
      "up to 10 events, waits at most 500 ms",
    );
    const batched = await hooklane.api(`/v1/apps/${appId}/endpoints/${endpointId}`);
    expect(batched.body).toMatchObject({ batch: { maxEvents: 10, maxWaitMs: 500 } });
  });
});
