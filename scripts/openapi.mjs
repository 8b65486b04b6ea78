#!/usr/bin/env node
// @ts-check
/**
 * `npm run openapi`: writes docs/openapi.json, the API's OpenAPI document as the Worker serves
 * it at /openapi.json, for readers, linting and the typed client's generated types
 * (packages/client). `--check` writes nothing and fails when the file differs from what the
 * Worker serves now (part of `npm test`), so the committed document cannot go stale.
 *
 * The Worker runs locally through wrangler's `unstable_startWorker` (no account, no network);
 * the document's `servers` entry, which names the origin it was fetched from, is set to the
 * local `npm run dev` address.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { unstable_startWorker } from "wrangler";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TARGET = join(ROOT, "docs", "openapi.json");
const LOCAL = { url: "http://127.0.0.1:8787", description: "Local: npm run dev" };
const check = process.argv.includes("--check");

const worker = await unstable_startWorker({
  config: join(ROOT, "wrangler.toml"),
  dev: { server: { port: 0 }, inspector: false, logLevel: "error" },
});
let text;
try {
  const res = await worker.fetch("http://127.0.0.1/openapi.json");
  if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
  const doc = /** @type {Record<string, unknown>} */ (await res.json());
  doc.servers = [LOCAL];
  text = `${JSON.stringify(doc, null, 2)}\n`;
} finally {
  await worker.dispose();
}

if (check) {
  const current = await readFile(TARGET, "utf8").catch(() => "");
  if (current !== text) {
    console.error(
      "docs/openapi.json differs from the document the Worker serves: run `npm run openapi` and commit it.",
    );
    process.exit(1);
  }
  console.log("docs/openapi.json matches the Worker's /openapi.json");
} else {
  await writeFile(TARGET, text);
  console.log(`wrote docs/openapi.json (${text.length} bytes)`);
}
