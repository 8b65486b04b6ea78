#!/usr/bin/env node
// @ts-check
/**
 * Local launcher: the README's one command (`npm run dev`) to run Hooklane on this machine.
 *
 * What it does, in order:
 *  1. Makes sure local secrets exist: writes `.dev.vars` (mode 0600) with a random
 *     `ADMIN_TOKEN`, a random `ENCRYPTION_KEY` and `ALLOW_INSECURE_TARGETS="true"` when the
 *     file is missing, and says where the admin token is.
 *  2. Applies the D1 migrations to the local database (non-interactively).
 *  3. Starts `wrangler dev --local` on 127.0.0.1 with `--test-scheduled`, passing every
 *     argument given to this script through (`--port`, `--var KEY:VALUE`, `--persist-to DIR`...).
 *  4. Runs the sweeper ticker: `wrangler dev` never fires cron triggers, so every
 *     `SWEEP_TICK_S` seconds (default 30) it calls `/__scheduled`, exactly what the cron
 *     trigger does in production. That is what re-sends deliveries stuck after a crash.
 *  5. Forwards SIGINT/SIGTERM/SIGHUP to wrangler's whole process group (so the workerd
 *     children die too) and exits with wrangler's exit code.
 *
 * Environment:
 *  - `SWEEP_TICK_S`: seconds between sweeper runs (default 30; 0 disables the ticker).
 *  - `HOOKLANE_DEV_VARS_PATH`: use (and create when missing) this secrets file instead of
 *    `<repo>/.dev.vars`; it is handed to wrangler as `--env-file`. The e2e harness uses it so
 *    tests neither write nor read the developer's own `.dev.vars`.
 *  - `HOOKLANE_STOP_ON_STDIN_EOF=1`: stop (as on SIGTERM) when stdin closes; for supervisors
 *    such as the e2e harness, so a crashed test run cannot leave a server running.
 *  - `WRANGLER_SEND_METRICS` is forced to `false` (telemetry cannot reach the network here).
 *
 * Options of its own (everything else goes to wrangler):
 *  - `--shards N`: N D1 databases (`DB`, `DB_1`, ... `DB_{N-1}`), each migrated.
 *  - `--delivery-queues N`: N delivery queues (`DELIVERIES`, `DELIVERIES_1`, ...), each with
 *    its consumer and the one dead-letter queue.
 *  With either above 1, the launcher writes `.wrangler/topology/s<N>-q<M>.toml` (wrangler.toml
 *  plus the numbered bindings) and runs wrangler with it, exactly as a deployment with that
 *  wrangler.toml would run.
 *
 * Plain Node ESM on purpose: no build step and no dependency beyond the installed wrangler.
 */

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { copyAssets } from "./assets.mjs";
import { takeCount, writeTopologyConfig } from "./topology.mjs";

/** Repo root: this file lives in `<root>/scripts/`. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Wrangler's JS entry, run with this same Node: no npx lookup, no network, pinned version. */
const WRANGLER_JS = resolve(ROOT, "node_modules/wrangler/bin/wrangler.js");
const DEFAULT_PORT = 8787;
const DEFAULT_IP = "127.0.0.1";
/** How long wrangler gets to stop after a forwarded signal before its group is SIGKILLed. */
const KILL_GRACE_MS = 5_000;

/**
 * Finds the value of a `--name value` or `--name=value` option (the last one wins, as in yargs).
 * @param {string[]} args command line arguments
 * @param {string[]} names option spellings, e.g. `["--port"]`
 * @returns {string | undefined}
 */
function optionValue(args, names) {
  /** @type {string | undefined} */
  let found;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    for (const name of names) {
      if (arg === name && i + 1 < args.length) found = args[i + 1];
      else if (arg.startsWith(`${name}=`)) found = arg.slice(name.length + 1);
    }
  }
  return found;
}

/**
 * Writes a fresh secrets file when none exists.
 * `wx` makes creation atomic: two launchers started at once cannot overwrite each other's token.
 * @param {string} path where the file belongs
 * @returns {{ created: boolean, adminToken?: string }}
 */
function ensureDevVars(path) {
  if (existsSync(path)) return { created: false };
  const adminToken = `hladm_${randomBytes(32).toString("base64url")}`;
  const encryptionKey = randomBytes(32).toString("base64");
  const text = [
    "# Local settings for `wrangler dev`, written by scripts/dev.mjs with fresh random secrets.",
    "# Never commit this file. Delete it to get new secrets (existing local data stays encrypted",
    "# with the old ENCRYPTION_KEY, so also delete .wrangler/state or your --persist-to dir).",
    `ADMIN_TOKEN="${adminToken}"`,
    `ENCRYPTION_KEY="${encryptionKey}"`,
    "# Lets http:// and loopback receivers work locally. Production config never carries it.",
    'ALLOW_INSECURE_TARGETS="true"',
    "",
  ].join("\n");
  try {
    writeFileSync(path, text, { mode: 0o600, flag: "wx" });
  } catch (err) {
    // Another launcher created it between our check and our write: use theirs.
    if (err instanceof Error && "code" in err && err.code === "EEXIST") return { created: false };
    throw err;
  }
  return { created: true, adminToken };
}

/**
 * Runs wrangler to completion (used for the migrations).
 * stdin is ignored so wrangler sees a non-interactive session and answers its own prompt.
 * @param {string[]} args wrangler arguments
 * @param {NodeJS.ProcessEnv} env environment
 * @returns {Promise<number>} exit code
 */
function runWrangler(args, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [WRANGLER_JS, ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Resolves after `ms` milliseconds.
 * @param {number} ms
 */
function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Calls `url` with a deadline; any HTTP answer counts as success, network errors as failure.
 * The deadline is a plain timer raced against the call: a ticker must never wait forever on a
 * request that neither answers nor aborts.
 * @param {string} url
 * @param {number} timeoutMs
 * @returns {Promise<boolean>}
 */
async function answers(url, timeoutMs) {
  const controller = new AbortController();
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const expired = new Promise((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(false);
    }, timeoutMs);
  });
  const call = fetch(url, { signal: controller.signal })
    // Drain the body so the connection is released.
    .then((res) => res.arrayBuffer())
    .then(
      () => true,
      () => false,
    );
  try {
    return /** @type {boolean} */ (await Promise.race([call, expired]));
  } finally {
    clearTimeout(timer);
  }
}

async function main() {
  const userArgs = process.argv.slice(2);
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
  const shards = takeCount(userArgs, "--shards");
  const queues = takeCount(userArgs, "--delivery-queues");
  /** @type {string | undefined} */
  let topologyConfig;
  if (shards > 1 || queues > 1) {
    if (optionValue(userArgs, ["--config", "-c"]) !== undefined) {
      console.error("[dev] --shards / --delivery-queues build their own config; drop --config.");
      process.exit(2);
    }
    topologyConfig = writeTopologyConfig(shards, queues);
    console.log(
      `[dev] ${shards} D1 shard(s), ${queues} delivery queue(s): ${relative(ROOT, topologyConfig)}`,
    );
    userArgs.push("--config", topologyConfig);
    // The config lives under .wrangler/, but secrets and local state stay where they always are.
    if (optionValue(userArgs, ["--persist-to"]) === undefined)
      userArgs.push("--persist-to", resolve(ROOT, ".wrangler", "state"));
  }

  // 1. Secrets. When the user points wrangler at their own --env-file, wrangler ignores
  // .dev.vars entirely, so creating one would only mislead.
  const userEnvFile = optionValue(userArgs, ["--env-file"]);
  const overridePath = process.env.HOOKLANE_DEV_VARS_PATH;
  /** @type {string[]} */
  const extraArgs = [];
  if (userEnvFile === undefined) {
    // wrangler reads `.dev.vars` next to its config file (the repo root unless `-c` says otherwise).
    const config = optionValue(userArgs, ["--config", "-c"]);
    const defaultVarsPath = resolve(config ? dirname(resolve(ROOT, config)) : ROOT, ".dev.vars");
    // A generated topology config still uses the repository's own `.dev.vars`.
    const varsPath = overridePath
      ? resolve(overridePath)
      : topologyConfig
        ? resolve(ROOT, ".dev.vars")
        : defaultVarsPath;
    const shown = relative(process.cwd(), varsPath) || varsPath;
    const { created, adminToken } = ensureDevVars(varsPath);
    if (created) {
      console.log(`[dev] Created ${shown} (mode 0600) with fresh local secrets.`);
      console.log(`[dev] Admin token (also in ${shown} as ADMIN_TOKEN):`);
      console.log(`[dev]   ${adminToken}`);
    } else {
      console.log(`[dev] Admin token: ADMIN_TOKEN in ${shown}`);
      if (hasPlaceholderSecrets(readFileSync(varsPath, "utf8"))) {
        console.warn(
          `[dev] ${shown} still has placeholder secrets (copied from .dev.vars.example?); delete it to get fresh ones.`,
        );
      }
    }
    // wrangler only reads `<config dir>/.dev.vars` by itself; any other path needs --env-file
    // (which also makes wrangler skip `.dev.vars`). Values given by `--var` win over both.
    if (varsPath !== defaultVarsPath) extraArgs.push("--env-file", varsPath);
  } else {
    console.log(`[dev] Using secrets from ${userEnvFile} (given by --env-file).`);
  }

  // 2. Migrations, against the same local state and config that `wrangler dev` will use.
  const migrateArgs = ["d1", "migrations", "apply", "DB", "--local"];
  for (const name of ["--persist-to", "--config", "--env"]) {
    const aliases = name === "--config" ? [name, "-c"] : name === "--env" ? [name, "-e"] : [name];
    const value = optionValue(userArgs, aliases);
    if (value !== undefined) migrateArgs.push(name, value);
  }
  for (let k = 0; k < shards; k++) {
    // Every shard gets the same schema (see docs/ARCHITECTURE.md, "Shards").
    if (k > 0) migrateArgs[3] = `DB_${k}`;
    const migrateCode = await runWrangler(migrateArgs, env);
    if (migrateCode !== 0) {
      console.error(`[dev] D1 migrations failed (exit ${migrateCode}); not starting the server.`);
      process.exit(migrateCode);
    }
  }

  // 3. The server, with its static assets in place.
  copyAssets();
  const userPort = optionValue(userArgs, ["--port"]);
  const port = userPort === undefined ? DEFAULT_PORT : Number(userPort);
  const userIp = optionValue(userArgs, ["--ip"]);
  // The ticker has to reach the server; a wildcard bind is still reachable on loopback.
  const tickHost =
    userIp === undefined || userIp === "0.0.0.0" || userIp === "::" ? DEFAULT_IP : userIp;
  const devArgs = [
    "dev",
    "--local",
    ...(userIp === undefined ? ["--ip", DEFAULT_IP] : []),
    ...(userPort === undefined ? ["--port", String(DEFAULT_PORT)] : []),
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    ...extraArgs,
    ...userArgs,
  ];
  // detached: wrangler leads its own process group, so one kill(-pid) also reaches workerd.
  // stdin ignored: a background process group must not touch the terminal (SIGTTIN/SIGTTOU),
  // and Ctrl+C reaches wrangler through our forwarding below instead.
  const wrangler = spawn(process.execPath, [WRANGLER_JS, ...devArgs], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  const pgid = wrangler.pid;
  // Printed so a supervisor (the e2e harness) can still clean up if this script is SIGKILLed.
  console.log(`[dev] wrangler dev started: pid ${pgid} (own process group), port ${port}.`);
  let exited = false;

  /**
   * Signals wrangler's whole group; a group already gone is fine.
   * @param {NodeJS.Signals} signal
   */
  const signalGroup = (signal) => {
    if (pgid === undefined) return;
    try {
      process.kill(-pgid, signal);
    } catch {
      // ESRCH: nothing left in the group.
    }
  };

  // If this script dies unexpectedly, take wrangler and workerd with it (exit handlers are sync).
  process.on("exit", () => {
    if (!exited) signalGroup("SIGKILL");
  });

  let stopping = false;
  /** @param {NodeJS.Signals} signal */
  const onSignal = (signal) => {
    if (stopping) {
      // Second Ctrl+C: the user is impatient; do not wait for a graceful stop.
      signalGroup("SIGKILL");
      return;
    }
    stopping = true;
    signalGroup(signal);
    // Even after wrangler exits, workerd may linger in the group: always finish the group off.
    setTimeout(() => signalGroup("SIGKILL"), KILL_GRACE_MS).unref();
  };
  for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM", "SIGHUP"])) {
    process.on(signal, () => onSignal(signal));
  }
  // A supervisor (the e2e harness) holds our stdin open; if it dies, even by SIGKILL, the pipe
  // closes and we stop wrangler instead of leaving an orphaned server behind. Opt-in, because
  // in a terminal stdin is the TTY and Ctrl+D is not meant to stop the server.
  if (process.env.HOOKLANE_STOP_ON_STDIN_EOF === "1") {
    process.stdin.on("data", () => {});
    process.stdin.once("close", () => onSignal("SIGTERM"));
  }

  // 4. The sweeper ticker.
  const tickS = Number(process.env.SWEEP_TICK_S ?? "30");
  const base = `http://${tickHost.includes(":") ? `[${tickHost}]` : tickHost}:${port}`;
  const ticker = async () => {
    if (!(Number.isFinite(tickS) && tickS > 0)) {
      console.log("[dev] Sweeper ticker disabled (SWEEP_TICK_S=0): stuck deliveries stay stuck.");
      return;
    }
    while (!exited && !stopping && !(await answers(`${base}/healthz`, 2_000))) await sleep(250);
    if (exited || stopping) return;
    console.log(`[dev] Sweeper ticker: ${base}/__scheduled every ${tickS}s.`);
    while (!exited && !stopping) {
      // Errors are ignored: the server may be reloading; the next tick tries again.
      await answers(`${base}/__scheduled?cron=*+*+*+*+*`, 60_000);
      await sleep(tickS * 1_000);
    }
  };

  wrangler.once("error", (err) => {
    console.error(`[dev] Could not start wrangler: ${err.message}`);
    exited = true;
    process.exit(1);
  });
  wrangler.once("exit", (code, signal) => {
    exited = true;
    // Sweep up anything wrangler left behind in its group (a workerd child) before leaving.
    signalGroup("SIGKILL");
    const signalCode = signal ? 128 + (osConstants.signals[signal] ?? 0) : 1;
    process.exit(code ?? signalCode);
  });

  void ticker();
}

main().catch((err) => {
  console.error("[dev]", err);
  process.exit(1);
});

/**
 * True when a secrets file still holds the example's placeholders (the service would not work).
 * @param {string} text
 */
function hasPlaceholderSecrets(text) {
  /** @param {string} name */
  const value = (name) => new RegExp(`^${name}="?([^"\\n]*)"?$`, "m").exec(text)?.[1] ?? "";
  return (
    value("ADMIN_TOKEN") === "replace-me" ||
    Buffer.from(value("ENCRYPTION_KEY"), "base64").length !== 32
  );
}
