#!/usr/bin/env node
/**
 * Runs a command, passes its output through unchanged, and fails when anything it printed
 * looks like a Hooklane secret: signing secrets (`whsec_`), ed25519 private keys (`whsk_`),
 * bearer tokens (`hlb_`), API keys (`hk_`) and admin tokens (`hladm_`). `npm test` runs the
 * whole suite under it, so "no secret in the console output of a full test run" is checked on
 * every run, not assumed. Findings name the kind of secret and the line number, never the value.
 *
 *   node scripts/scan-output.mjs -- <command> [args...]
 */
import { spawn } from "node:child_process";
import { stripVTControlCharacters } from "node:util";

/** @type {{ name: string; pattern: RegExp }[]} */
const PATTERNS = [
  { name: "a whsec_ signing secret", pattern: /whsec_[A-Za-z0-9+/]{16,}/ },
  { name: "a whsk_ ed25519 private key", pattern: /whsk_[A-Za-z0-9+/]{16,}/ },
  { name: "an hlb_ bearer token", pattern: /\bhlb_[A-Za-z0-9_-]{16,}/ },
  { name: "an hk_ API key", pattern: /\bhk_[A-Za-z0-9_-]{16,}/ },
  { name: "an hladm_ admin token", pattern: /\bhladm_[A-Za-z0-9_-]{16,}/ },
];

/**
 * The secrets in `text`, one finding per kind: its name and the first line it is on.
 * @param {string} text
 * @returns {{ name: string; line: number }[]}
 */
function findSecrets(text) {
  const lines = text.split("\n");
  /** @type {{ name: string; line: number }[]} */
  const found = [];
  for (const { name, pattern } of PATTERNS) {
    const at = lines.findIndex((l) => pattern.test(l));
    if (at >= 0) found.push({ name, line: at + 1 });
  }
  return found;
}

async function main() {
  const dash = process.argv.indexOf("--");
  const [command, ...args] = process.argv.slice(dash >= 0 ? dash + 1 : 2);
  if (!command) {
    console.error("usage: node scripts/scan-output.mjs -- <command> [args...]");
    process.exit(2);
  }
  const env = { ...process.env };
  // Output goes through a pipe; keep colours when a person is watching.
  if (process.stdout.isTTY && env.FORCE_COLOR === undefined) env.FORCE_COLOR = "1";
  const child = spawn(command, args, { stdio: ["inherit", "pipe", "pipe"], env });
  /** @type {Buffer[]} */
  const chunks = [];
  child.stdout.on("data", (c) => {
    chunks.push(c);
    process.stdout.write(c);
  });
  child.stderr.on("data", (c) => {
    chunks.push(c);
    process.stderr.write(c);
  });
  for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
    process.on(signal, () => child.kill(signal));
  }
  const code = await new Promise((resolve) => {
    child.on("close", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  // Colour codes would split a token; strip them before looking.
  const text = stripVTControlCharacters(Buffer.concat(chunks).toString("utf8"));
  const found = findSecrets(text);
  for (const f of found) {
    console.error(`[scan-output] the output contains ${f.name} (output line ${f.line})`);
  }
  if (found.length === 0) {
    console.log(`[scan-output] no secrets in ${text.split("\n").length} lines of output`);
  }
  process.exit(code !== 0 ? code : found.length > 0 ? 1 : 0);
}

await main();
