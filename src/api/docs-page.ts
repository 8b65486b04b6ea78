/**
 * `GET /docs`: the Scalar API reference, rendered in the browser from `/openapi.json`. Its
 * script is a static asset of this Worker (scripts/assets.mjs copies it to
 * public/docs/assets/), so the page loads nothing from another origin and works offline.
 */
import { Scalar } from "@scalar/hono-api-reference";
import type { Context } from "hono";

/** Scalar's standalone bundle, served by Workers Static Assets. */
export const SCALAR_SCRIPT = "/docs/assets/scalar-api-reference.js";

/**
 * The page's policy: scripts are the bundle and the one inline call that starts it (by nonce);
 * Scalar sets inline styles as it renders; "try it" may only call this origin.
 */
function docsCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}

/** The `/docs` handler. */
export const docsPage = Scalar((c: Context) => {
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  c.header("content-security-policy", docsCsp(nonce));
  return {
    url: "/openapi.json",
    cdn: SCALAR_SCRIPT,
    nonce,
    pageTitle: "Hooklane API reference",
    // Nothing that reaches another origin: no CDN fonts, telemetry, AI agent or hosted toolbar.
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    showToolbar: "never",
  };
});
