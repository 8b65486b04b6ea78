import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hooklane, startHooklane } from "../e2e/harness";
import { axeViolations, launchChromium, screenshot } from "./kit";

describe("dashboard in Chromium", () => {
  let hooklane: Hooklane | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    [hooklane, browser] = await Promise.all([startHooklane(), launchChromium()]);
    // axe-core goes in as an inline script, which the dashboard's policy forbids: this context
    // lets the test's own script in. The policy itself is checked in a context without it.
    context = await browser.newContext({ bypassCSP: true });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await hooklane?.stop();
  });

  it("signs in, lists the apps, passes axe on every page, and signs out", async () => {
    if (!hooklane || !context) throw new Error("not started");
    const created = await hooklane.api("/v1/apps", { body: { name: "Browser Co" } });
    expect(created.status).toBe(201);
    const appId = (created.body as { id: string }).id;
    const base = hooklane.baseUrl;
    const page = await context.newPage();

    // Not signed in: the dashboard sends the browser to the form.
    await page.goto(`${base}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "dashboard-sign-in");

    // A wrong token: the form again, with its error, and no session.
    await page.getByLabel("Admin token").fill("not-the-admin-token");
    const refused = page.waitForResponse((r) => r.request().method() === "POST");
    await page.getByRole("button", { name: "Sign in" }).click();
    expect((await refused).status()).toBe(401);
    await expect(page.getByRole("alert").textContent()).resolves.toContain("not the admin token");
    await expect(axeViolations(page)).resolves.toEqual([]);

    await page.getByLabel("Admin token").fill(hooklane.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${base}/dashboard/apps`);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Apps");
    const link = page.getByRole("link", { name: appId });
    await expect(link.count()).resolves.toBe(1);
    await expect(page.getByRole("row", { name: /Browser Co/ }).count()).resolves.toBe(1);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await screenshot(page, "dashboard-apps");

    await link.click();
    await page.waitForURL(`${base}/dashboard/apps/${appId}`);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Browser Co");
    await expect(axeViolations(page)).resolves.toEqual([]);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${base}/dashboard/sign-in`);
    await page.goto(`${base}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    await page.goto(`${base}/dashboard/apps`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
  });

  it("keeps inline scripts from running under the page's policy", async () => {
    if (!hooklane || !browser) throw new Error("not started");
    const strict = await browser.newContext();
    try {
      const page = await strict.newPage();
      await page.goto(`${hooklane.baseUrl}/dashboard/sign-in`);
      await page.addScriptTag({ content: "window.inlineRan = true;" }).catch(() => undefined);
      await expect(
        page.evaluate(() => (window as unknown as { inlineRan?: boolean }).inlineRan),
      ).resolves.toBeUndefined();
      // The stylesheet did load from the Worker: the banner has its panel colour.
      const background = await page
        .locator("header.banner")
        .evaluate((el) => getComputedStyle(el).backgroundColor);
      expect(background).not.toBe("rgba(0, 0, 0, 0)");
    } finally {
      await strict.close();
    }
  });
});
