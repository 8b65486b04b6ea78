import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hooklane, type Receiver, startHooklane, startReceiver } from "../e2e/harness";
import { axeViolations, launchChromium, screenshot } from "./kit";

/** Retries a second apart, twice: a failing delivery is dead about 3 s after it is sent. */
const RETRY_SCHEDULE = "1,1";

/** Reloads the page until `text` shows, or fails after `timeoutMs`. */
async function reloadUntil(page: Page, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await page.getByText(text, { exact: false }).count()) > 0) return;
    if (Date.now() > deadline) throw new Error(`"${text}" never showed on ${page.url()}`);
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
}

describe("operator flow in Chromium", () => {
  let hooklane: Hooklane | undefined;
  let receiver: Receiver | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  // The receiver answers 503 while this is set.
  let failing = false;

  beforeAll(async () => {
    [hooklane, receiver, browser] = await Promise.all([
      startHooklane({ vars: { RETRY_SCHEDULE } }),
      startReceiver(() =>
        failing ? { status: 503, body: "down for maintenance" } : { status: 200, body: "thanks" },
      ),
      launchChromium(),
    ]);
    // axe-core goes in as an inline script, which the dashboard's policy forbids.
    context = await browser.newContext({
      bypassCSP: true,
      permissions: ["clipboard-read", "clipboard-write"],
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await receiver?.close();
    await hooklane?.stop();
  });

  it("sends a test event, reads its attempt, dead-letters a message and replays it", async () => {
    if (!hooklane || !context || !receiver) throw new Error("not started");
    const rx = receiver;
    const created = await hooklane.api("/v1/apps", { body: { name: "Operator Co" } });
    expect(created.status).toBe(201);
    const appId = (created.body as { id: string }).id;
    const base = hooklane.baseUrl;
    const app = `${base}/dashboard/apps/${appId}`;
    const page = await context.newPage();

    await page.goto(`${base}/dashboard/sign-in`);
    await page.getByLabel("Admin token").fill(hooklane.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${base}/dashboard/apps`);

    // An endpoint through the endpoints page's form.
    await page.goto(`${app}/endpoints`);
    await page.getByLabel("URL", { exact: true }).fill(rx.url("/hook"));
    await page.getByLabel("Description", { exact: true }).fill("Operator flow");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.waitForURL(/\/endpoints\/ep_[0-9A-Z]+\?notice=created/);
    const endpointId = /\/endpoints\/(ep_[0-9A-Z]+)/.exec(page.url())?.[1] ?? "";
    // The receiver verifies every signature with the endpoint's secret.
    const endpoint = await hooklane.api(`/v1/apps/${appId}/endpoints/${endpointId}`);
    const profileId = (endpoint.body as { authProfileId: string }).authProfileId;
    const revealed = await hooklane.api(`/v1/apps/${appId}/auth-profiles/${profileId}/reveal`, {
      method: "POST",
    });
    expect(revealed.status).toBe(200);
    rx.setSecret("/hook", (revealed.body as { secret: string }).secret);

    await page.getByRole("button", { name: "Send test event" }).click();
    await page.waitForURL(/notice=test/);
    const testMessage = /message=(msg_[0-9A-Z]+)/.exec(page.url())?.[1] ?? "";
    expect(testMessage).toMatch(/^msg_/);
    await rx.waitFor(() => rx.requests.some((r) => r.webhookId === testMessage), 20_000, "test");
    const got = rx.requests.find((r) => r.webhookId === testMessage);
    expect(got?.verified).toBe(true);

    // The message log, then the message: its attempt with the headers the receiver got.
    await page.goto(`${app}/messages`);
    await expect(page.getByRole("link", { name: testMessage }).count()).resolves.toBe(1);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "dashboard-messages");
    await page.getByRole("link", { name: testMessage }).click();
    await page.waitForURL(`${app}/messages/${testMessage}`);
    await reloadUntil(page, "Attempt 1 to");
    const shown = async (name: string) =>
      (await page.locator(`code[data-header="${name}"]`).first().textContent()) ?? "";
    await expect(shown("webhook-signature")).resolves.toBe(got?.headers["webhook-signature"]);
    await expect(shown("webhook-timestamp")).resolves.toBe(got?.headers["webhook-timestamp"]);
    await expect(shown("webhook-id")).resolves.toBe(testMessage);
    await expect(page.getByText("recomputed on read").count()).resolves.toBeGreaterThan(0);
    await expect(page.locator("pre", { hasText: "thanks" }).count()).resolves.toBeGreaterThan(0);
    // The dashboard's one script shows the Copy buttons; a copy puts the block's text there.
    const copy = page.locator('button[data-copy="payload-pretty"]');
    await copy.waitFor({ state: "visible" });
    await copy.click();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toContain(
      '"test": true',
    );
    await expect(axeViolations(page)).resolves.toEqual([]);
    // The picture shows the attempt: its outcome and the headers as sent.
    await page
      .getByRole("heading", { name: /^Attempt 1 to/ })
      .evaluate((el) => el.scrollIntoView({ block: "start" }));
    await screenshot(page, "dashboard-message");

    // The receiver goes down: a message fails three times and is dead-lettered.
    failing = true;
    const sent = await hooklane.api(`/v1/apps/${appId}/messages`, {
      body: { eventType: "invoice.paid", payload: { invoice: "1001", amount: 4200 } },
    });
    expect(sent.status).toBe(202);
    const deadId = (sent.body as { id: string }).id;
    await page.goto(`${app}/dead-letters`);
    await reloadUntil(page, deadId, 60_000);
    await expect(page.getByRole("row", { name: new RegExp(deadId) }).count()).resolves.toBe(1);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "dashboard-dead-letters");

    // It recovers: replay what matches this endpoint, after the bounded count.
    failing = false;
    await page.getByLabel("Endpoint id").fill(endpointId);
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByRole("link", { name: "Replay all matching…" }).click();
    await expect(
      page.getByRole("heading", { name: "1 dead letter matches" }).count(),
    ).resolves.toBe(1);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "dashboard-replay-confirm");
    await page.getByRole("button", { name: "Replay 1 dead letter" }).click();
    await page.waitForURL(/\/dead-letters\/replays\/rpl_/);
    // The page reloads itself (Refresh header) until the replay is done.
    await page.getByText("Done: 1 of 1 succeeded").waitFor({ timeout: 60_000 });
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "dashboard-replay");
    const again = rx.requests.filter((r) => r.webhookId === deadId);
    expect(again.at(-1)?.responseStatus).toBe(200);
    expect(again.at(-1)?.verified).toBe(true);

    await page.goto(`${app}/messages/${deadId}`);
    await expect(page.locator(".badge-succeeded").count()).resolves.toBeGreaterThan(0);
    await expect(page.getByText("Attempt 4 to").count()).resolves.toBe(1);

    await page.goto(`${app}/audit`);
    await expect(page.getByRole("cell", { name: "replay" }).count()).resolves.toBeGreaterThan(0);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "dashboard-audit");
  });
});
