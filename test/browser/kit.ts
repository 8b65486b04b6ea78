/// <reference lib="dom" />
// The callbacks given to page.evaluate run in the page, where the DOM is.
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import axe from "axe-core";
import { type Browser, chromium, type Page } from "playwright-core";

/**
 * Debian's Chromium (`.ci/run` installs it), or the Chromium or Chrome that `CHROMIUM_PATH`
 * names; playwright-core never downloads a browser.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Where the README's screenshots live; the browser tests write them on every run. */
export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "../../docs/screenshots");

/** How long one launch may take; a loaded 2-core machine starts Chromium in about 3 s. */
const LAUNCH_TIMEOUT_MS = 30_000;
const LAUNCH_TRIES = 3;

/**
 * Starts Chromium, giving each try 30 s and trying three times. Playwright's own limit is 3
 * minutes, longer than a test hook's, so a launch that never reports its DevTools pipe would
 * otherwise end as an unexplained hook timeout instead of a retry.
 */
export async function launchChromium(): Promise<Browser> {
  const errors: string[] = [];
  for (let attempt = 1; attempt <= LAUNCH_TRIES; attempt++) {
    try {
      return await chromium.launch({ executablePath: CHROMIUM, timeout: LAUNCH_TIMEOUT_MS });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      errors.push(`try ${attempt}: ${message}`);
      console.warn(`[browser] Chromium launch ${attempt} of ${LAUNCH_TRIES} failed: ${message}`);
    }
  }
  throw new Error(`Chromium did not start:\n${errors.join("\n")}`);
}

/**
 * Runs axe-core in the page, in the light and the dark theme; the serious and critical
 * violations, named by rule and node. The context must bypass the page's CSP (axe goes in as
 * an inline script).
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  const found: string[] = [];
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const violations = await page.evaluate(async () => {
      const result = await (window as unknown as { axe: typeof axe }).axe.run();
      return result.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    });
    found.push(...violations.map((v) => `${colorScheme}: ${v}`));
  }
  await page.emulateMedia({ colorScheme: "light" });
  return found;
}

/**
 * Saves the page as `docs/screenshots/<name>-light.png` and `<name>-dark.png` (the viewport,
 * 1280 x 800), so the README's pictures are the pages as the tests last saw them.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${colorScheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: "light" });
}
