import { describe, expect, it } from "vitest";
import {
  contrastRatio,
  foregroundFor,
  parseAccent,
  relativeLuminance,
  themeCss,
} from "../../src/ui/portal/theme";
import { call, newApp } from "../helpers";
import { page, signedIn } from "./support";

describe("portal theme", () => {
  it("computes WCAG luminance and contrast", () => {
    expect(relativeLuminance("#000000")).toBe(0);
    expect(relativeLuminance("#ffffff")).toBeCloseTo(1, 10);
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 10);
    expect(contrastRatio("#777777", "#777777")).toBe(1);
    // A known pair: #0b57d0 on white is about 6.4:1.
    expect(contrastRatio("#0b57d0", "#ffffff")).toBeCloseTo(6.4, 1);
  });

  it("picks black or white text for any accent, always at least AA (4.5:1)", () => {
    expect(foregroundFor("#1b3a4b")).toBe("#ffffff");
    expect(foregroundFor("#ffe066")).toBe("#000000");
    expect(foregroundFor("#ffffff")).toBe("#000000");
    expect(foregroundFor("#000000")).toBe("#ffffff");
    // Every colour on a coarse grid of the RGB cube, mid-greys and saturated hues included.
    for (let r = 0; r < 256; r += 17)
      for (let g = 0; g < 256; g += 17)
        for (let b = 0; b < 256; b += 17) {
          const hex = `#${[r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
          expect(contrastRatio(hex, foregroundFor(hex)), hex).toBeGreaterThanOrEqual(4.5);
        }
  });

  it("reads an accent only as six hex digits", () => {
    expect(parseAccent("#1B3A4B")).toBe("#1b3a4b");
    expect(parseAccent("1b3a4b")).toBe("#1b3a4b");
    for (const bad of ["", "#fff", "red", "#1b3a4b;}", "#1b3a4bz", null, undefined])
      expect(parseAccent(bad)).toBeNull();
  });

  it("makes the theme stylesheet from the accent and its text colour", () => {
    expect(themeCss("#1b3a4b")).toBe(
      ":root, :root.mode-light, :root.mode-dark { --brand: #1b3a4b; --brand-fg: #ffffff; }\n",
    );
  });
});

describe("portal: policy and theme", () => {
  it("lets only the app's listed origins frame it", async () => {
    const framed = await call<{ id: string }>("POST", "/v1/apps", {
      body: { name: "framed portal", portalOrigins: ["https://embed.example.com"] },
    });
    const { cookie } = await signedIn(framed.body.id, {
      theme: { logoUrl: "https://cdn.example.com/logo.svg", accent: "#1b3a4b", mode: "dark" },
    });
    const res = await page("GET", "/portal/endpoints", { cookie });
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors https://embed.example.com");
    expect(csp).toContain("img-src 'self' https://cdn.example.com");
    expect(csp).toContain("style-src 'self'");
    // Not no-referrer, under which Chromium posts forms with `Origin: null`.
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
    const html = await res.text();
    expect(html).toContain('<html lang="en" class="mode-dark">');
    expect(html).toContain('<img src="https://cdn.example.com/logo.svg" alt="Logo"');
    expect(html).toContain('href="/portal/theme.css?accent=1b3a4b"');
    expect(html).not.toContain("style=");

    const { appId } = await newApp("unframed portal");
    const plain = await signedIn(appId);
    const unframed = await page("GET", "/portal/endpoints", { cookie: plain.cookie });
    expect(unframed.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("serves the accent as a stylesheet with a readable text colour", async () => {
    const dark = await page("GET", "/portal/theme.css?accent=1b3a4b");
    expect(dark.status).toBe(200);
    expect(dark.headers.get("content-type")).toContain("text/css");
    expect(await dark.text()).toContain("--brand: #1b3a4b; --brand-fg: #ffffff;");
    const light = await (await page("GET", "/portal/theme.css?accent=FFE066")).text();
    expect(light).toContain("--brand: #ffe066; --brand-fg: #000000;");
    expect((await page("GET", "/portal/theme.css?accent=red;}")).status).toBe(404);
  });
});
