#!/usr/bin/env node
// @ts-check
/**
 * Fills `public/`, the Worker's static assets directory (`[assets]` in wrangler.toml), with the
 * files it serves itself: Scalar's standalone browser bundle for the API reference at
 * `/docs`, copied from node_modules so the page loads nothing from a CDN. Run by
 * `npm run dev`, `npm run deploy` and the e2e setup; running it again is cheap and harmless.
 *
 * Plain Node ESM, no dependency beyond the installed `@scalar/api-reference`.
 */
import { copyFileSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Copies the assets into `public/` unless they are there already. A running `wrangler dev`
 * watches the directory: an unchanged file is left alone, and a new one appears whole (copied
 * beside it, then renamed), so a second server starting never disturbs the first.
 * @returns {string} the path of the script
 */
export function copyAssets() {
  const source = resolve(ROOT, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
  // Served at /docs/assets/...: no API route lives there (src/api/docs-page.ts links it).
  const target = resolve(ROOT, "public/docs/assets/scalar-api-reference.js");
  const from = statSync(source);
  const to = statSync(target, { throwIfNoEntry: false });
  if (to && to.size === from.size && to.mtimeMs >= from.mtimeMs) return target;
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  copyFileSync(source, partial);
  renameSync(partial, target);
  return target;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`[assets] ${copyAssets()}`);
}
