import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hooklane, startHooklane } from "../e2e/harness";
import { launchChromium, screenshot } from "./kit";

type OpenApi = { paths: Record<string, Record<string, { summary?: string }>> };

describe("API reference (Scalar) in Chromium", () => {
  let hooklane: Hooklane | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    [hooklane, browser] = await Promise.all([startHooklane(), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await hooklane?.stop();
  });

  /** Opens /docs with every request to another origin blocked and recorded. */
  async function openDocs(base: string): Promise<{ page: Page; foreign: string[]; csp: string[] }> {
    if (!browser) throw new Error("not started");
    const page = await (await browser.newContext()).newPage();
    const foreign: string[] = [];
    const csp: string[] = [];
    page.on("console", (m) => {
      if (/content security policy/i.test(m.text())) csp.push(m.text());
    });
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin === base) return route.continue();
      foreign.push(url);
      return route.abort("blockedbyclient");
    });
    await page.goto(`${base}/docs`);
    await page.getByRole("heading", { name: "Hooklane", level: 1 }).waitFor();
    return { page, foreign, csp };
  }

  it("renders every operation from /openapi.json and fetches nothing from another origin", async () => {
    if (!hooklane) throw new Error("not started");
    const base = hooklane.baseUrl;
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as OpenApi;
    const summaries = Object.values(doc.paths).flatMap((methods) =>
      Object.values(methods).map((op) => op.summary ?? ""),
    );
    expect(summaries).toHaveLength(51);
    const { page, foreign, csp } = await openDocs(base);
    await screenshot(page, "docs");

    // Tag groups start collapsed: open each in the sidebar, then read its operations.
    const opener = page.getByRole("button", { name: /^Open Group/ });
    while ((await opener.count()) > 0) await opener.first().click();
    const sidebar = await page.locator("nav, aside").first().innerText();
    const missing = summaries.filter((s) => !sidebar.includes(s));
    expect(missing).toEqual([]);

    expect(foreign).toEqual([]);
    expect(csp).toEqual([]);
  });

  it("sends a request from the reference's client to this origin and shows the answer", async () => {
    if (!hooklane) throw new Error("not started");
    const base = hooklane.baseUrl;
    expect((await hooklane.api("/v1/apps", { body: { name: "Docs Co" } })).status).toBe(201);
    const { page, foreign, csp } = await openDocs(base);

    await page.getByPlaceholder("Token").first().fill(hooklane.adminToken);
    await page
      .getByRole("button", { name: /^Open Group/ })
      .first()
      .waitFor();
    // "List apps" in the sidebar scrolls to its operation; its button opens the request client.
    await page
      .locator("a, button", { hasText: /^List apps/ })
      .first()
      .click();
    await page
      .locator("section", { has: page.getByRole("heading", { name: "List apps" }) })
      .locator(".show-api-client-button")
      .first()
      .click();
    const sent = page.waitForResponse(
      (r) => r.request().method() === "GET" && new URL(r.url()).pathname === "/v1/apps",
    );
    await page.getByRole("button", { name: `Send get request to ${base}/v1/apps` }).click();
    const response = await sent;
    expect(new URL(response.url()).origin).toBe(base);
    expect(response.request().headers().authorization).toBe(`Bearer ${hooklane.adminToken}`);
    expect(response.status()).toBe(200);
    await page.getByText("Docs Co").last().waitFor();
    expect(foreign).toEqual([]);
    expect(csp).toEqual([]);
  });
});
