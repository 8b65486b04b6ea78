#!/usr/bin/env node
// @ts-check
/**
 * Proves the Worker bundles for deploy (`wrangler deploy --dry-run`, no account needed) and
 * that the bundle stays under the gzip budget: every KiB is parsed at each cold start.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KIB = 300;
const root = resolve(import.meta.dirname, "..");
const outdir = mkdtempSync(join(tmpdir(), "hooklane-bundle-"));
try {
  const run = spawnSync(
    process.execPath,
    [
      join(root, "node_modules/wrangler/bin/wrangler.js"),
      "deploy",
      "--dry-run",
      "--outdir",
      outdir,
    ],
    { cwd: root, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  if (run.status !== 0) {
    process.stderr.write(`${run.stdout}\n${run.stderr}\n`);
    throw new Error(`wrangler deploy --dry-run failed (exit ${run.status})`);
  }
  const files = readdirSync(outdir).filter((f) => f.endsWith(".js") || f.endsWith(".mjs"));
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const bytes = readFileSync(join(outdir, f));
    raw += statSync(join(outdir, f)).size;
    gzip += gzipSync(bytes, { level: 9 }).byteLength;
  }
  const kib = (/** @type {number} */ n) => (n / 1024).toFixed(1);
  console.log(
    `bundle: ${files.join(", ")}: ${kib(raw)} KiB, ${kib(gzip)} KiB gzipped (budget ${BUDGET_KIB} KiB)`,
  );
  if (gzip > BUDGET_KIB * 1024) {
    console.error(`bundle over budget by ${kib(gzip - BUDGET_KIB * 1024)} KiB`);
    process.exitCode = 1;
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
