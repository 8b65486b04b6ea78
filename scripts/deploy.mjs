#!/usr/bin/env node
// @ts-check
/**
 * `npm run deploy`: Hooklane on a Cloudflare account in one command, safe to run again.
 *
 *  1. Reads wrangler.toml: its D1 databases, its queues (producers, consumers, dead-letter
 *     queues) and its R2 buckets, so whatever the config names is what gets created.
 *  2. Asks the account what exists (`wrangler d1 list --json`, `queues list`, `r2 bucket list`,
 *     `secret list`) and prints the plan: reuse what exists, create what is missing.
 *  3. Asks "Go ahead?", then for each missing secret (ADMIN_TOKEN, ENCRYPTION_KEY; Enter
 *     generates one). Existing secrets are kept; `--rotate-secrets` replaces ADMIN_TOKEN.
 *  4. Creates the missing resources, writes `wrangler.deploy.toml` (wrangler.toml with the
 *     real database ids; gitignored), applies the D1 migrations to every binding remotely,
 *     sets the secrets (`wrangler secret put`, value on stdin) and runs `wrangler deploy`.
 *
 * Options:
 *  - `--dry-run`: print the steps and their wrangler command lines (secrets masked); needs no
 *    account and no network, runs and writes nothing.
 *  - `--yes`, `-y`: take the defaults, ask nothing (also when stdin is not a terminal).
 *  - `--rotate-secrets`: replace ADMIN_TOKEN even when it is set.
 *
 * Plain Node ESM, no dependency beyond the installed wrangler (run with this same Node).
 */
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { copyAssets } from "./assets.mjs";
import { ask } from "./lib/ask.mjs";
import { DeployStop, deploy } from "./lib/deploy-run.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER_JS = resolve(ROOT, "node_modules/wrangler/bin/wrangler.js");
const USAGE = "usage: npm run deploy -- [--dry-run] [--yes] [--rotate-secrets]";

/** @type {import("./lib/deploy-run.mjs").Runner} */
function wrangler(args, { input, capture = false } = {}) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [WRANGLER_JS, ...args], {
      cwd: ROOT,
      env: { WRANGLER_SEND_METRICS: "false", ...process.env },
      // No stdin unless a value is piped in: wrangler then answers its own prompts.
      stdio: [
        input === undefined ? "ignore" : "pipe",
        capture ? "pipe" : "inherit",
        capture ? "pipe" : "inherit",
      ],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c) => {
      stdout += c;
    });
    child.stderr?.on("data", (c) => {
      stderr += c;
    });
    child.stdin?.end(input);
    child.once("error", fail);
    child.once("close", (code, signal) => done({ code: code ?? (signal ? 1 : 0), stdout, stderr }));
  });
}

async function main() {
  const flags = new Set(process.argv.slice(2));
  const known = ["--dry-run", "--yes", "-y", "--rotate-secrets", "--help", "-h"];
  const unknown = [...flags].filter((f) => !known.includes(f));
  if (unknown.length > 0 || flags.has("--help") || flags.has("-h")) {
    if (unknown.length === 0) {
      console.log(USAGE);
      return 0;
    }
    console.error(`[deploy] unknown option: ${unknown.join(" ")}\n${USAGE}`);
    return 2;
  }
  const dryRun = flags.has("--dry-run");
  if (!dryRun) copyAssets();
  const interactive = !flags.has("--yes") && !flags.has("-y") && process.stdin.isTTY;
  return deploy({
    root: ROOT,
    dryRun,
    rotateSecrets: flags.has("--rotate-secrets"),
    wrangler,
    io: { say: (line) => console.log(line), ask: interactive ? ask : undefined },
  });
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[deploy] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof DeployStop ? err.code : 1);
  },
);
