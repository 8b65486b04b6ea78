// @ts-check
/**
 * Starting and stopping the two services the bench compares, both on 127.0.0.1:
 *  - Hooklane through the repo's launcher (`node scripts/dev.mjs`: D1 migrations, then
 *    `wrangler dev --local`), as the e2e harness (test/e2e/harness.ts) does;
 *  - the floor worker (bench/floor) through `wrangler dev --local -c bench/floor/wrangler.toml`,
 *    wrapped in guard.mjs.
 * Every child holds a pipe to this process's stdin side: if the bench dies, even by SIGKILL,
 * the pipe closes and the child stops its whole process group. `stop()` is idempotent.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { sleep } from "./stats.mjs";

/** Repo root: this file lives in `<root>/bench/lib/`. */
export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const WRANGLER_JS = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const GUARD = join(ROOT, "bench/lib/guard.mjs");
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;
const MAX_LOG_CHARS = 4_000_000;

/** Every process group started by the bench, for a last-resort synchronous SIGKILL on exit. */
export const liveGroups = new Set();

/** @param {number} pgid @param {NodeJS.Signals} signal */
function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left.
  }
}

/** @param {number} pgid */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

process.on("exit", () => {
  for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
});

/** A TCP port that was free a moment ago on 127.0.0.1. @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("no port"));
        return;
      }
      server.close((err) => (err ? reject(err) : resolvePort(address.port)));
    });
  });
}

/** @param {import("node:child_process").ChildProcess} child @param {number} ms */
function waitForExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((done) => {
    const t = setTimeout(() => done(false), ms);
    child.once("exit", () => {
      clearTimeout(t);
      done(true);
    });
  });
}

/**
 * Counts Miniflare's per-batch log lines (`QUEUE <name> <acked>/<total> (<ms>ms)`).
 * @typedef {{ batches: number, messages: number, acked: number, ms: number, samples: number[] }} QueueStats
 * `samples`: the duration of every batch so far (ms), in order.
 * @typedef {{ queue: string, acked: number, messages: number, ms: number }} QueueBatch one such
 * line; a service keeps them all in the order they came, across its queues
 */

/**
 * @typedef {object} Service
 * @property {string} name
 * @property {string} baseUrl
 * @property {() => string} logs
 * @property {() => Map<string, QueueStats>} queueStats
 * @property {() => QueueBatch[]} queueBatches every consumer batch so far, all queues, in order
 * @property {() => number} reloads how often wrangler reloaded the Worker (a source file changed)
 * @property {() => number} cpuMs workerd CPU time (user + system) of this service so far
 * @property {() => number} openFiles file descriptors its workerd processes hold now
 * @property {() => boolean} alive whether its launcher process is still running
 * @property {() => Promise<void>} stop
 * @property {() => Promise<void>} kill SIGKILLs all of its processes at once, like a crash (no
 * graceful stop, nothing removed); `stop()` afterwards does nothing more to the processes
 */

/**
 * Spawns a child with a stdin pipe, collects its output and parses queue lines.
 * @param {string} name
 * @param {string[]} args node arguments
 * @param {NodeJS.ProcessEnv} env
 * @param {RegExp} pgidPattern how the child announces the process group that holds workerd
 * @param {string} [cwd]
 * @param {(line: string) => void} [onLine] called with every output line (colours stripped),
 * for a caller that keeps more than the last MAX_LOG_CHARS or reads it as it comes
 */
function spawnService(name, args, env, pgidPattern, cwd = ROOT, onLine) {
  const child = spawn(process.execPath, args, {
    cwd,
    env: {
      ...process.env,
      ...env,
      WRANGLER_SEND_METRICS: "false",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
    },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${name}`);
  const leader = child.pid;
  liveGroups.add(leader);
  let log = "";
  let partial = "";
  /** @type {number | undefined} */
  let innerPgid;
  /** @type {Map<string, QueueStats>} */
  const queues = new Map();
  /** @type {QueueBatch[]} */
  const batches = [];
  // wrangler dev watches the sources: an edit mid-run reloads the Worker (fresh isolate,
  // counters and caches gone). The bench reports it rather than silently measuring a mix.
  let reloads = 0;
  /** @param {Buffer} chunk */
  const onData = (chunk) => {
    const text = chunk.toString("utf8");
    log += text;
    if (log.length > MAX_LOG_CHARS) log = log.slice(-MAX_LOG_CHARS);
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const raw of lines) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
      const line = raw.replace(/\u001b\[[0-9;]*m/g, "");
      onLine?.(line);
      if (innerPgid === undefined) {
        const m = pgidPattern.exec(line);
        if (m?.[1] !== undefined) {
          innerPgid = Number(m[1]);
          liveGroups.add(innerPgid);
        }
      }
      if (line.includes("Reloading local server")) reloads++;
      const q = /QUEUE (\S+) (\d+)\/(\d+)(?: \((\d+)ms\))?/.exec(line);
      if (q) {
        const s = queues.get(q[1] ?? "") ?? {
          batches: 0,
          messages: 0,
          acked: 0,
          ms: 0,
          samples: [],
        };
        s.batches++;
        s.acked += Number(q[2]);
        s.messages += Number(q[3]);
        s.ms += Number(q[4] ?? 0);
        s.samples.push(Number(q[4] ?? 0));
        queues.set(q[1] ?? "", s);
        batches.push({
          queue: q[1] ?? "",
          acked: Number(q[2]),
          messages: Number(q[3]),
          ms: Number(q[4] ?? 0),
        });
      }
    }
  };
  child.stdin?.on("error", () => {});
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);

  /** @type {Promise<void> | undefined} */
  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      killGroup(leader, "SIGTERM");
      if (!(await waitForExit(child, STOP_GRACE_MS))) killGroup(leader, "SIGKILL");
      await waitForExit(child, 5_000);
      if (innerPgid !== undefined) {
        for (let i = 0; i < 30 && groupAlive(innerPgid); i++) await sleep(100);
        killGroup(innerPgid, "SIGKILL");
        liveGroups.delete(innerPgid);
      }
      killGroup(leader, "SIGKILL");
      liveGroups.delete(leader);
    })();
    return stopped;
  };
  const kill = () => {
    stopped ??= (async () => {
      killGroup(leader, "SIGKILL");
      if (innerPgid !== undefined) killGroup(innerPgid, "SIGKILL");
      await waitForExit(child, 5_000);
      for (const pgid of [leader, innerPgid]) {
        if (pgid === undefined) continue;
        for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
        liveGroups.delete(pgid);
      }
    })();
    return stopped;
  };
  return {
    child,
    logs: () => log,
    queueStats: () => new Map([...queues].map(([k, v]) => [k, { ...v, samples: [...v.samples] }])),
    queueBatches: () => [...batches],
    reloads: () => reloads,
    cpuMs: () => (innerPgid === undefined ? 0 : groupCpuMs(innerPgid)),
    openFiles: () => (innerPgid === undefined ? 0 : groupOpenFiles(innerPgid)),
    alive: () => child.exitCode === null && child.signalCode === null,
    stop,
    kill,
  };
}

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {
  // The Linux default.
}

/**
 * CPU time (ms, user + system, all threads) of the workerd processes in a process group, read
 * from /proc. Linux only; 0 elsewhere.
 * @param {number} pgid
 */
function groupCpuMs(pgid) {
  /** @type {string[]} */
  let pids;
  try {
    pids = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return 0;
  }
  let total = 0;
  for (const pid of pids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    // After "pid (comm) ": state is field 3, so field n is fields[n - 3].
    const fields = stat.slice(close + 2).split(" ");
    if (Number(fields[2]) !== pgid || !comm.startsWith("workerd")) continue;
    total += ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  }
  return total;
}

/**
 * Open file descriptors of the workerd processes in a process group (Linux; 0 elsewhere).
 *
 * Under `wrangler dev` every outbound `fetch` of a Worker leaves a socket to wrangler's loopback
 * server that workerd closes only tens of seconds later (seen as CLOSE-WAIT): ~2.4 per delivery.
 * A 5,000-message drain holds ~12,000; with the leftovers of an earlier phase that reached this
 * machine's open-file limit (20,000) and the floor's workerd failed every request. The bench
 * watches this count and waits for it to fall before each phase.
 * @param {number} pgid
 */
function groupOpenFiles(pgid) {
  let total = 0;
  for (const pid of workerdPids(pgid)) {
    try {
      total += readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** @param {number} pgid @returns {string[]} */
function workerdPids(pgid) {
  /** @type {string[]} */
  const out = [];
  let pids;
  try {
    pids = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      if (Number(fields[2]) === pgid && comm.startsWith("workerd")) out.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * The soft limit on open files for processes started from here (`ulimit -n`), or null.
 * @returns {number | null}
 */
export function openFileLimit() {
  try {
    const out = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
    return out === "unlimited" ? null : Number(out);
  } catch {
    return null;
  }
}

/**
 * Polls `url` until it answers 2xx; throws (after stopping the service) on timeout or exit.
 * @param {string} name
 * @param {string} url
 * @param {ReturnType<typeof spawnService>} svc
 * @param {(status: number) => boolean} [up] which answers mean ready (default: any 2xx)
 */
async function waitReady(name, url, svc, up = (status) => status >= 200 && status < 300) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = "";
  for (;;) {
    if (svc.child.exitCode !== null || svc.child.signalCode !== null) {
      await svc.stop();
      throw new Error(
        `${name} exited before becoming ready. Last output:\n${svc.logs().slice(-4000)}`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (up(res.status)) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      await svc.stop();
      throw new Error(
        `${name} not ready after ${READY_TIMEOUT_MS / 1000} s (${last}). Output:\n${svc.logs().slice(-4000)}`,
      );
    }
    await sleep(200);
  }
}

/** What of the repo `scripts/dev.mjs` and `wrangler dev` need to build and run Hooklane. */
const SNAPSHOT_ENTRIES = [
  "src",
  "migrations",
  "scripts",
  "wrangler.toml",
  "package.json",
  "tsconfig.json",
];

/**
 * Starts Hooklane with `node scripts/dev.mjs` on a free port, fresh state and random secrets.
 *
 * By default it runs from a snapshot of the working tree (src, migrations, scripts,
 * wrangler.toml, package.json, tsconfig.json copied to a temp dir, node_modules linked): `wrangler
 * dev` watches its sources and reloads the Worker on every edit, which would reset the isolate
 * (caches, ops counters, in-flight batches) mid-measurement. `live: true` runs from the repo.
 *
 * `commit`: run that commit's files (`git archive`) instead of the working tree's, so edits
 * others have in progress are not measured.
 *
 * `reuse`: start again on what an earlier start (typically `kill()`ed, a crash) left behind: its
 * directory (state, snapshot, `.dev.vars`), port and secrets; then /healthz answering 503 also
 * means up (the last sweep before the crash may have seen the service degraded).
 * `onLine` gets every line the service prints, as it comes.
 * `shards` and `deliveryQueues` (default 1 each) go to the launcher as `--shards N` and
 * `--delivery-queues M` (N D1 databases, M delivery queues; passed only when above 1, so the
 * default shape starts exactly as before).
 * @param {{ vars: Record<string, string>, sweepTickS: string, live?: boolean, commit?: string,
 *   reuse?: { dir: string, tree: string, port: number, adminToken: string, encryptionKey: string },
 *   onLine?: (line: string) => void, shards?: number, deliveryQueues?: number }} opts
 * `persistDir` is its `--persist-to` directory (the local D1 database lives under `v3/d1`).
 * @returns {Promise<Service & { adminToken: string, encryptionKey: string, tree: string,
 *   dir: string, port: number, persistDir: string }>}
 */
export async function startHooklane(opts) {
  const reuse = opts.reuse;
  const port = reuse ? reuse.port : await freePort();
  const dir = reuse ? reuse.dir : await mkdtemp(join(tmpdir(), "hooklane-bench-"));
  let tree = reuse ? reuse.tree : ROOT;
  if (!opts.live && !reuse) {
    tree = join(dir, "tree");
    if (opts.commit) {
      const tar = join(dir, "tree.tar");
      /** @type {import("node:child_process").ExecFileSyncOptions} */
      const o = { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] };
      execFileSync("git", ["archive", "-o", tar, opts.commit, "--", ...SNAPSHOT_ENTRIES], o);
      await mkdir(tree);
      execFileSync("tar", ["-xf", tar, "-C", tree], o);
    } else {
      for (const entry of SNAPSHOT_ENTRIES) {
        await cp(join(ROOT, entry), join(tree, entry), { recursive: true });
      }
    }
    await symlink(join(ROOT, "node_modules"), join(tree, "node_modules"), "dir");
  }
  const adminToken = reuse ? reuse.adminToken : `hladm_${randomBytes(32).toString("base64url")}`;
  const encryptionKey = reuse ? reuse.encryptionKey : randomBytes(32).toString("base64");
  const vars = {
    ADMIN_TOKEN: adminToken,
    ENCRYPTION_KEY: encryptionKey,
    ...opts.vars,
  };
  const persistDir = join(dir, "state");
  const args = [
    join(tree, "scripts/dev.mjs"),
    "--port",
    String(port),
    // Our own inspector port: two `wrangler dev` starting at once would both try 9229.
    "--inspector-port",
    String(await freePort()),
    "--persist-to",
    persistDir,
  ];
  if ((opts.shards ?? 1) > 1) args.push("--shards", String(opts.shards));
  if ((opts.deliveryQueues ?? 1) > 1) args.push("--delivery-queues", String(opts.deliveryQueues));
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const svc = spawnService(
    "hooklane",
    args,
    {
      SWEEP_TICK_S: opts.sweepTickS,
      HOOKLANE_DEV_VARS_PATH: join(dir, ".dev.vars"),
      HOOKLANE_STOP_ON_STDIN_EOF: "1",
    },
    /\[dev\] wrangler dev started: pid (\d+)/,
    tree,
    opts.onLine,
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await svc.stop();
    await rm(dir, { recursive: true, force: true });
  };
  await waitReady(
    "Hooklane",
    `${baseUrl}/healthz`,
    { ...svc, stop },
    reuse ? (status) => (status >= 200 && status < 300) || status === 503 : undefined,
  );
  return {
    name: "hooklane",
    baseUrl,
    adminToken,
    encryptionKey,
    tree,
    dir,
    port,
    persistDir,
    logs: svc.logs,
    queueStats: svc.queueStats,
    queueBatches: svc.queueBatches,
    reloads: svc.reloads,
    cpuMs: svc.cpuMs,
    openFiles: svc.openFiles,
    alive: svc.alive,
    stop,
    kill: svc.kill,
  };
}

/**
 * Starts the floor worker: applies its migration locally, then `wrangler dev --local` under the
 * guard, on a free port with a fresh state directory.
 * @param {{ targetBase: string, extraArgs?: string[] }} opts
 * @returns {Promise<Service>}
 */
export async function startFloor(opts) {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "hooklane-bench-floor-"));
  const config = "bench/floor/wrangler.toml";
  const persist = join(dir, "state");
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" };
  const migrate = spawn(
    process.execPath,
    [
      WRANGLER_JS,
      "d1",
      "migrations",
      "apply",
      "DB",
      "--local",
      "-c",
      config,
      "--persist-to",
      persist,
    ],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let migrateLog = "";
  migrate.stdout?.on("data", (c) => {
    migrateLog += c;
  });
  migrate.stderr?.on("data", (c) => {
    migrateLog += c;
  });
  const code = await new Promise((done) => migrate.once("exit", (c) => done(c ?? 1)));
  if (code !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`floor migrations failed (exit ${code}):\n${migrateLog}`);
  }
  const svc = spawnService(
    "floor",
    [
      GUARD,
      process.execPath,
      WRANGLER_JS,
      "dev",
      "--local",
      "-c",
      config,
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      persist,
      "--inspector-port",
      String(await freePort()),
      "--show-interactive-dev-session=false",
      "--var",
      `TARGET_BASE:${opts.targetBase}`,
      ...(opts.extraArgs ?? []),
    ],
    {},
    /\[guard\] started pid (\d+)/,
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await svc.stop();
    await rm(dir, { recursive: true, force: true });
  };
  await waitReady("floor worker", `${baseUrl}/healthz`, { ...svc, stop });
  return {
    name: "floor",
    baseUrl,
    logs: svc.logs,
    queueStats: svc.queueStats,
    queueBatches: svc.queueBatches,
    reloads: svc.reloads,
    cpuMs: svc.cpuMs,
    openFiles: svc.openFiles,
    alive: svc.alive,
    stop,
    kill: svc.kill,
  };
}
