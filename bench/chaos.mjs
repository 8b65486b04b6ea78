#!/usr/bin/env node
// @ts-check
/**
 * Chaos soak: `node bench/chaos.mjs [--messages N] [--kill-after K] [--timeout-min M]`.
 *
 * The run the issue asks for, end to end on this machine, through the public API only:
 *  - a receiver (Node http, 127.0.0.1) with three paths, each request's fate drawn from a
 *    seeded PRNG per path so runs are comparable:
 *      /a  30% 500, 5% connection reset (socket destroyed, no answer), 5% 429 `Retry-After: 1`,
 *          the rest 200 (flaky, never down);
 *      /b  20% 503, 10% 200 after 3 s, the rest 200 (flaky and slow);
 *      /c  always 200;
 *    every request's signature is verified with the `standardwebhooks` package;
 *  - Hooklane through its launcher (`node scripts/dev.mjs`, as `npm run dev`; the sweeper fires
 *    every 30 s) on fresh state, with `ALLOW_INSECURE_TARGETS=true` and
 *    `RETRY_SCHEDULE=1,5,15,30,60` (the default schedule spans more than a day), everything
 *    else default (breaker, concurrency, `SWEEP_GRACE_S` 120);
 *  - one app, endpoints a, b, c for one event type; N messages ingested 16 at a time, each with
 *    an `Idempotency-Key`; after K accepted, the whole service is SIGKILLed (a crash) and
 *    started again on the same state directory and port, and ingest goes on (requests that
 *    failed meanwhile are sent again with the same key);
 *  - then every 20 s the message list is read (every delivery's status) with the dead letters
 *    and /healthz, until no delivery is pending or failed, or the timeout;
 *  - at the end Hooklane's statuses are checked against what the receiver saw: deliveries it
 *    answered 2xx that Hooklane holds dead or open, successes it never answered.
 *
 * Prints a table and writes it to bench/results/chaos-latest.json; the Worker's output (both
 * lives) goes to bench/results/chaos-hooklane.log (gitignored). Method and results:
 * docs/BENCHMARKS.md, "Chaos soak".
 */
import { execFileSync } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";
import { apiClient, pool } from "./lib/api.mjs";
import { liveGroups, ROOT, startHooklane } from "./lib/proc.mjs";
import { round, sleep } from "./lib/stats.mjs";

const { values: opts } = parseArgs({
  options: {
    messages: { type: "string", default: "10000" },
    "kill-after": { type: "string", default: "500" },
    "timeout-min": { type: "string", default: "45" },
    seed: { type: "string", default: "1" },
    "working-tree": { type: "boolean", default: false },
    "retry-schedule": { type: "string", default: "1,5,15,30,60" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  console.log(`usage: node bench/chaos.mjs [--messages N] [--kill-after K] [--timeout-min M] [--seed S]
                            [--retry-schedule S] [--working-tree]
  --messages     messages to ingest (default 10000), each fanned out to endpoints a, b and c
  --kill-after   SIGKILL Hooklane after this many accepted messages, then restart it on the
                 same state and port (default 500; 0 = no crash)
  --timeout-min  give up (NOT SETTLED) this many minutes after the first ingest (default 45)
  --seed         seed of the receiver's random answers (default 1)
  --retry-schedule S
                 RETRY_SCHEDULE of the run, seconds (default 1,5,15,30,60; its retry window,
                 which also bounds how long a delivery may wait, is 342 s)
  --working-tree run the working tree's files (default: HEAD's, so edits in progress by others
                 are not what is measured)`);
  process.exit(0);
}

/** @param {string | undefined} value @param {string} name @param {number} min */
function intOption(value, name, min) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer >= ${min}`);
    process.exit(2);
  }
  return n;
}
const MESSAGES = intOption(opts.messages, "messages", 1);
const KILL_AFTER = intOption(opts["kill-after"], "kill-after", 0);
const TIMEOUT_MIN = intOption(opts["timeout-min"], "timeout-min", 1);
const SEED = intOption(opts.seed, "seed", 0);
const WORKING_TREE = opts["working-tree"] === true;

/** The Worker vars of this run; everything else is wrangler.toml's default. */
const VARS = { ALLOW_INSECURE_TARGETS: "true", RETRY_SCHEDULE: opts["retry-schedule"] ?? "" };
/**
 * The retry window of a schedule as src/delivery/retry.ts computes it (each delay at its
 * longest: +20% jitter, 2x for a Retry-After, at most 12 h; plus a 15 s timeout per retry): how
 * long a delivery may stay open, waiting included, before it ends `expired`.
 * @param {string} schedule
 */
function retryWindowS(schedule) {
  const delays = schedule.split(",").map(Number);
  if (delays.some((d) => !Number.isFinite(d) || d < 0)) {
    console.error("--retry-schedule: comma-separated seconds");
    process.exit(2);
  }
  return (
    delays.reduce((a, d) => a + Math.min(43_200, Math.ceil(2 * d * 1.2)), 0) + delays.length * 15
  );
}
const WINDOW_S = retryWindowS(VARS.RETRY_SCHEDULE);
/** What `npm run dev` does by default: a sweep every 30 s. */
const SWEEP_TICK_S = "30";
const IN_FLIGHT = 16;
const POLL_MS = 20_000;
const PAGE = 250;
const EVENT_TYPE = "chaos.tick";
const PATHS = /** @type {const} */ (["a", "b", "c"]);
const RESULTS = join(ROOT, "bench/results");

const t0 = performance.now();
/** One progress line. @param {string} msg */
function say(msg) {
  const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(7);
  console.log(`[chaos ${s}s] ${msg}`);
}

// --- the receiver ------------------------------------------------------------------------------

/** A small fast PRNG (mulberry32): the same seed, the same sequence. @param {number} seed */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * What one request gets: an answer (status, headers, after a delay) or a reset socket.
 * @typedef {{ kind: "answer", status: number, headers?: Record<string, string>, delayMs?: number, label: string }
 *   | { kind: "reset", label: string }} Fate
 */

/** @type {Record<(typeof PATHS)[number], (r: number) => Fate>} */
const BEHAVIOUR = {
  a: (r) =>
    r < 0.3
      ? { kind: "answer", status: 500, label: "500" }
      : r < 0.35
        ? { kind: "reset", label: "reset" }
        : r < 0.4
          ? { kind: "answer", status: 429, headers: { "retry-after": "1" }, label: "429" }
          : { kind: "answer", status: 200, label: "200" },
  b: (r) =>
    r < 0.2
      ? { kind: "answer", status: 503, label: "503" }
      : r < 0.3
        ? { kind: "answer", status: 200, delayMs: 3_000, label: "200 after 3 s" }
        : { kind: "answer", status: 200, label: "200" },
  c: () => ({ kind: "answer", status: 200, label: "200" }),
};

/**
 * @typedef {object} PathStats
 * @property {number} requests
 * @property {Record<string, number>} fates how many requests got each fate
 * @property {number} ok 2xx answers written
 * @property {Map<string, number>} okIds 2xx answers per webhook-id
 * @property {number} invalid requests whose signature did not verify
 * @property {string[]} invalidSamples
 * @property {number} lastOkAt when the last 2xx answer went out (performance.now())
 */

/** @param {number} seed */
async function startChaosReceiver(seed) {
  /** @type {Map<string, Webhook>} */
  const verifiers = new Map();
  /** @type {Map<string, PathStats>} */
  const stats = new Map();
  /** @type {Map<string, () => number>} */
  const rngs = new Map();
  PATHS.forEach((p, i) => {
    stats.set(p, {
      requests: 0,
      fates: {},
      ok: 0,
      okIds: new Map(),
      invalid: 0,
      invalidSamples: [],
      lastOkAt: Number.NaN,
    });
    rngs.set(p, mulberry32(seed * 1_000 + i + 1));
  });
  let lastRequestAt = Number.NaN;

  const server = createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("error", () => {});
    req.on("end", () => {
      const path = new URL(req.url ?? "/", "http://receiver").pathname.slice(1);
      const s = stats.get(path);
      const rng = rngs.get(path);
      const behaviour = BEHAVIOUR[/** @type {(typeof PATHS)[number]} */ (path)];
      if (!s || !rng || behaviour === undefined) {
        res.writeHead(404).end();
        return;
      }
      lastRequestAt = performance.now();
      s.requests++;
      const body = Buffer.concat(chunks).toString("utf8");
      /** @type {Record<string, string>} */
      const headers = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      try {
        const verifier = verifiers.get(path);
        if (!verifier) throw new Error("no secret for this path");
        verifier.verify(body, headers);
      } catch (err) {
        s.invalid++;
        if (s.invalidSamples.length < 5) s.invalidSamples.push(`/${path}: ${String(err)}`);
      }
      const id = headers["webhook-id"] ?? "";
      const fate = behaviour(rng());
      s.fates[fate.label] = (s.fates[fate.label] ?? 0) + 1;
      if (fate.kind === "reset") {
        req.socket.destroy();
        return;
      }
      const ok = fate.status >= 200 && fate.status < 300;
      if (ok) {
        res.once("finish", () => {
          s.ok++;
          s.okIds.set(id, (s.okIds.get(id) ?? 0) + 1);
          s.lastOkAt = performance.now();
        });
      }
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(fate.status, { "content-type": "text/plain", ...fate.headers });
        res.end(ok ? "ok" : "failing on purpose");
      };
      if (fate.delayMs) setTimeout(send, fate.delayMs);
      else send();
    });
  });
  // Long keep-alive, as bench/lib/receiver.mjs explains (a short one turns reused connections
  // into resets that are the bench's, not the endpoint's).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(undefined));
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("receiver: no port");
  const base = `http://127.0.0.1:${address.port}`;
  return {
    base,
    stats,
    lastRequestAt: () => lastRequestAt,
    /** @param {string} path @param {string} secret */
    setSecret(path, secret) {
      verifiers.set(path, new Webhook(secret));
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
    },
  };
}

// --- Hooklane reads ------------------------------------------------------------------------------

/**
 * @typedef {{ pending: number, failed: number, succeeded: number, dead: number, cancelled: number }} StatusCounts
 */
function emptyCounts() {
  return { pending: 0, failed: 0, succeeded: 0, dead: 0, cancelled: 0 };
}

/**
 * Every delivery's status, per endpoint, from the message list (newest first, by cursor).
 * @param {ReturnType<typeof apiClient>} api
 * @param {string} appId
 */
async function readStatuses(api, appId) {
  /** @type {Map<string, StatusCounts>} */
  const byEndpoint = new Map();
  /** @type {Set<string>} */
  const messageIds = new Set();
  /** Status per delivery, keyed `endpointId messageId`. @type {Map<string, string>} */
  const statusOf = new Map();
  let deliveries = 0;
  let short = 0;
  let pages = 0;
  /** @type {string | null} */
  let cursor = null;
  do {
    const q = `limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const res = await api(`/v1/apps/${appId}/messages?${q}`);
    if (res.status !== 200)
      throw new Error(`GET messages: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    pages++;
    for (const m of res.body.data) {
      messageIds.add(m.id);
      if (m.deliveries.length < PATHS.length) short++;
      for (const d of m.deliveries) {
        deliveries++;
        const c = byEndpoint.get(d.endpointId) ?? emptyCounts();
        const status = /** @type {keyof StatusCounts} */ (d.status);
        c[status] = (c[status] ?? 0) + 1;
        byEndpoint.set(d.endpointId, c);
        statusOf.set(`${d.endpointId} ${m.id}`, d.status);
      }
    }
    cursor = res.body.nextCursor ?? null;
  } while (cursor);
  return { byEndpoint, statusOf, messages: messageIds.size, deliveries, short, pages };
}

/**
 * Dead letters per endpoint and reason.
 * @param {ReturnType<typeof apiClient>} api
 * @param {string} appId
 */
async function readDeadLetters(api, appId) {
  /** @type {Map<string, Record<string, number>>} */
  const byEndpoint = new Map();
  /** Reason per delivery, keyed `endpointId messageId`. @type {Map<string, string>} */
  const reasonOf = new Map();
  let total = 0;
  /** @type {string | null} */
  let cursor = null;
  do {
    const q = `limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const res = await api(`/v1/apps/${appId}/dead-letters?${q}`);
    if (res.status !== 200)
      throw new Error(`GET dead-letters: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    for (const d of res.body.data) {
      total++;
      const reasons = byEndpoint.get(d.endpointId) ?? {};
      reasons[d.reason] = (reasons[d.reason] ?? 0) + 1;
      byEndpoint.set(d.endpointId, reasons);
      reasonOf.set(`${d.endpointId} ${d.messageId}`, d.reason);
    }
    cursor = res.body.nextCursor ?? null;
  } while (cursor);
  return { byEndpoint, reasonOf, total };
}

/** GET /healthz: its status and JSON body (or the error). @param {string} base */
async function readHealth(base) {
  try {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    /** @type {unknown} */
    let body = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body };
  } catch (err) {
    return { status: 0, body: String(err) };
  }
}

/**
 * Reads the Worker's output as it comes (both lives of the service): writes every line with the
 * run's clock to `file`, and counts what it says: sweeps (`"kind":"sweep_health"` lines),
 * consumer batches (`"delivery batch"` lines: first tries, wakes, wakes that released nothing),
 * queue batches, structured lines by `msg`, and lines that look like errors.
 * @param {string} file
 */
function workerLogReader(file) {
  const out = createWriteStream(file);
  out.on("error", () => {});
  const sweeps = { total: 0, handedOut: 0, deliveriesHandedOut: 0, maxStalledRuns: 0, behind: 0 };
  /** Sums over `"delivery batch"` lines. @type {Record<string, number>} */
  const batches = { batches: 0, wakeOnly: 0, emptyWakes: 0, maxMs: 0 };
  /** Per queue: batches, messages, acked (Miniflare's `QUEUE name acked/total` lines). @type {Record<string, { batches: number, messages: number, acked: number }>} */
  const queues = {};
  /** @type {Record<string, number>} */
  const byMsg = {};
  /** @type {string[]} */
  const errorSamples = [];
  let errorLines = 0;
  /** wrangler's own lookups of workers.cloudflare.com: this machine has no network. */
  let wranglerOffline = 0;
  /** @type {number | null} */
  let firstReleaseAfterRestartS = null;
  let restartedAtS = Number.NaN;
  return {
    /** @param {string} raw */
    onLine(raw) {
      const at = (performance.now() - t0) / 1000;
      // The launcher prints the token it wrote to .dev.vars (unused: --var wins); never keep it.
      const line = raw.replace(/hladm_[A-Za-z0-9_-]+/g, "hladm_<redacted>");
      out.write(`${at.toFixed(1).padStart(7)} ${line}\n`);
      const text = line.trim();
      if (!text) return;
      const q = /QUEUE (\S+) (\d+)\/(\d+)/.exec(text);
      if (q) {
        const name = q[1] ?? "";
        const qs = queues[name] ?? { batches: 0, messages: 0, acked: 0 };
        qs.batches++;
        qs.acked += Number(q[2]);
        qs.messages += Number(q[3]);
        queues[name] = qs;
      }
      const start = text.indexOf("{");
      /** @type {Record<string, unknown> | null} */
      let json = null;
      if (start >= 0 && text.endsWith("}")) {
        try {
          json = JSON.parse(text.slice(start));
        } catch {
          json = null;
        }
      }
      if (json && typeof json.msg === "string") {
        byMsg[json.msg] = (byMsg[json.msg] ?? 0) + 1;
        if (json.kind === "sweep_health") {
          sweeps.total++;
          const handed = Number(json.handedOut ?? 0);
          if (handed > 0) {
            sweeps.handedOut++;
            sweeps.deliveriesHandedOut += handed;
          }
          sweeps.maxStalledRuns = Math.max(sweeps.maxStalledRuns, Number(json.stalledRuns ?? 0));
          if (json.behind === true) sweeps.behind++;
        }
        if (json.msg === "delivery batch") {
          batches.batches = (batches.batches ?? 0) + 1;
          for (const k of [
            "messages",
            "firstTries",
            "woken",
            "released",
            "sent",
            "succeeded",
            "parked",
            "dead",
          ]) {
            batches[k] = (batches[k] ?? 0) + Number(json[k] ?? 0);
          }
          if (Number(json.firstTries ?? 0) === 0 && Number(json.woken ?? 0) > 0) {
            batches.wakeOnly = (batches.wakeOnly ?? 0) + 1;
            if (Number(json.released ?? 0) === 0)
              batches.emptyWakes = (batches.emptyWakes ?? 0) + 1;
          }
          batches.maxMs = Math.max(batches.maxMs ?? 0, Number(json.ms ?? 0));
          if (firstReleaseAfterRestartS === null && at > restartedAtS && Number(json.sent ?? 0) > 0)
            firstReleaseAfterRestartS = at - restartedAtS;
        }
      }
      if (/workers\.cloudflare\.com|Request\.cf/.test(text)) {
        wranglerOffline++;
      } else if (/\b(error|exception|uncaught|unhandled)\b|✘/i.test(text)) {
        errorLines++;
        if (errorSamples.length < 12) errorSamples.push(text.slice(0, 400));
      }
    },
    /** A line of the run's own in the log. @param {string} text */
    mark(text) {
      out.write(
        `${((performance.now() - t0) / 1000).toFixed(1).padStart(7)} [chaos] ---- ${text}\n`,
      );
    },
    /** From now on, the first batch that sends anything is timed (after a restart). */
    restarted() {
      restartedAtS = (performance.now() - t0) / 1000;
    },
    summary() {
      return {
        sweeps,
        batches,
        queues,
        firstSendAfterRestartS: round(firstReleaseAfterRestartS, 1),
        byMsg,
        errorLines,
        errorSamples,
        wranglerOfflineLines: wranglerOffline,
      };
    },
    close() {
      return new Promise((resolve) => out.end(() => resolve(undefined)));
    },
  };
}

/** HEAD's commit and the files of the working tree that differ from it. */
function gitInfo() {
  try {
    /** @type {import("node:child_process").ExecFileSyncOptionsWithStringEncoding} */
    const o = { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] };
    const commit = execFileSync("git", ["rev-parse", "HEAD"], o).trim();
    const changed = execFileSync("git", ["status", "--porcelain"], o)
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { commit, changed };
  } catch {
    return { commit: "unknown", changed: [] };
  }
}

/**
 * Other work on this machine now, by kind (Linux /proc; empty elsewhere): another chaos soak or
 * `npm run bench`, test runs, `wrangler dev`s not ours. The run measures a shared machine and
 * says so.
 * @returns {Record<string, number>}
 */
function otherWork() {
  /** @type {Record<string, number>} */
  const seen = {};
  let pids;
  try {
    pids = readdirSync("/proc").filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid);
  } catch {
    return seen;
  }
  for (const pid of pids) {
    let cmd;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      continue;
    }
    // Node processes only (argv[0] is node): not the shells and `timeout`s that started them.
    const node = /^\S*node /.test(cmd);
    const kind = !node
      ? null
      : /^\S+ \S*bench\/chaos\.mjs/.test(cmd)
        ? "chaos soak"
        : /^\S+ \S*bench\/run\.mjs/.test(cmd)
          ? "npm run bench"
          : /^\S+ \S*node_modules\/\.bin\/vitest/.test(cmd)
            ? "vitest"
            : /^\S+ \S*wrangler\.js dev/.test(cmd) && !cmd.includes("hooklane-bench-")
              ? "other wrangler dev"
              : null;
    if (kind) seen[kind] = (seen[kind] ?? 0) + 1;
  }
  return seen;
}

/**
 * One soak at a time: two at once share this machine's cores (each measures the other) and
 * write the same result files. A lock file with our pid, taken over only from a dead process.
 */
const LOCK = join(os.tmpdir(), "hooklane-chaos.lock");
function takeLock() {
  for (let i = 0; i < 2; i++) {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: "wx" });
      process.on("exit", () => rmSync(LOCK, { force: true }));
      return;
    } catch {
      const holder = Number(readFileSync(LOCK, "utf8"));
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = holder > 0;
      } catch {
        alive = false;
      }
      if (alive) {
        console.error(
          `[chaos] another chaos soak is running (pid ${holder}; ${LOCK}): two at once would measure each other. Wait for it.`,
        );
        process.exit(2);
      }
      rmSync(LOCK, { force: true });
    }
  }
}

// --- cleanup -------------------------------------------------------------------------------------

/** @type {(() => Promise<void>)[]} */
const cleanups = [];
let interrupted = false;
/** @type {Promise<void> | undefined} */
let cleaning;
/** Stops everything this run started; safe to call more than once (same promise). */
function cleanup() {
  cleaning ??= (async () => {
    const results = await Promise.allSettled(cleanups.map((fn) => fn()));
    for (const r of results)
      if (r.status === "rejected") console.error("[chaos] cleanup:", r.reason);
  })();
  return cleaning;
}
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM", "SIGHUP"])) {
  process.on(signal, () => {
    interrupted = true;
    console.error(`\n[chaos] ${signal}: stopping everything this run started...`);
    const hard = setTimeout(() => process.exit(130), 25_000);
    hard.unref();
    cleanup().finally(() => process.exit(130));
  });
}

// --- the run -------------------------------------------------------------------------------------

async function main() {
  takeLock();
  /** The most of each kind of other work seen at once (at the start, every 5 s of ingest, each poll). @type {Record<string, number>} */
  const othersMax = {};
  const noteOthers = () => {
    for (const [k, n] of Object.entries(otherWork())) othersMax[k] = Math.max(othersMax[k] ?? 0, n);
  };
  noteOthers();
  if (Object.keys(othersMax).length > 0)
    say(`NOTE: other work on this machine: ${JSON.stringify(othersMax)} (it shares the cores)`);
  const git = gitInfo();
  const machine = {
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    cores: os.cpus().length,
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
  };
  say(
    `${WORKING_TREE ? `working tree (git ${git.commit.slice(0, 10)} + ${git.changed.length} changed files)` : `git ${git.commit.slice(0, 10)} (HEAD's files; ${git.changed.length} changed files in the working tree not run)`}; ${machine.cores} cores, load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  say(
    `${MESSAGES} messages x endpoints a (30% 500, 5% reset, 5% 429 Retry-After: 1), b (20% 503, 10% slow 3 s), c (200); ` +
      (KILL_AFTER > 0 && KILL_AFTER < MESSAGES
        ? `SIGKILL and restart after ${KILL_AFTER} accepted`
        : "no crash"),
  );
  say(
    `vars: ${Object.entries(VARS)
      .map(([k, v]) => `${k}=${v}`)
      .join(
        " ",
      )} (seconds, so retries end within minutes: the default schedule 5,300,...,36000 spans 27.6 h; retry window ${WINDOW_S} s, waiting included), sweeper every ${SWEEP_TICK_S} s, SWEEP_GRACE_S and the breaker at their defaults`,
  );

  const receiver = await startChaosReceiver(SEED);
  cleanups.push(() => receiver.close());
  await mkdir(RESULTS, { recursive: true });
  const workerLog = workerLogReader(join(RESULTS, "chaos-hooklane.log"));
  let hook = await startHooklane({
    vars: VARS,
    sweepTickS: SWEEP_TICK_S,
    onLine: workerLog.onLine,
    ...(WORKING_TREE ? {} : { commit: git.commit }),
  });
  // `hook` is replaced at the restart: stop whichever runs now (this also removes the state).
  // The log closes after it (cleanups run in parallel, so in one function).
  cleanups.push(async () => {
    await hook.stop();
    await workerLog.close();
  });
  say(`Hooklane on ${hook.baseUrl}, receiver on ${receiver.base}`);

  const api = apiClient(hook.baseUrl, hook.adminToken);
  const app = await api("/v1/apps", { name: "chaos" });
  if (app.status !== 201)
    throw new Error(`POST /v1/apps: ${app.status} ${JSON.stringify(app.body)}`);
  const appId = /** @type {string} */ (app.body.id);
  /** endpoint id -> path name @type {Map<string, string>} */
  const names = new Map();
  for (const p of PATHS) {
    const ep = await api(`/v1/apps/${appId}/endpoints`, {
      url: `${receiver.base}/${p}`,
      description: `chaos ${p}`,
      eventTypes: [EVENT_TYPE],
    });
    if (ep.status !== 201)
      throw new Error(`POST endpoints (${p}): ${ep.status} ${JSON.stringify(ep.body)}`);
    receiver.setSecret(p, ep.body.secret);
    names.set(ep.body.id, p);
  }

  // --- ingest, with the crash -----------------------------------------------------------------
  const runId = Date.now().toString(36);
  const messagesUrl = `${hook.baseUrl}/v1/apps/${appId}/messages`;
  const headers = {
    authorization: `Bearer ${hook.adminToken}`,
    "content-type": "application/json",
  };
  /** message id per index @type {(string | undefined)[]} */
  const ids = new Array(MESSAGES);
  let accepted = 0;
  let replayed = 0;
  /** Ingest requests sent again (network error, 5xx or 429), by cause. @type {Record<string, number>} */
  const resent = {};
  /** Resolves when the service takes requests again (after the restart). */
  let serviceUp = Promise.resolve();
  /** The crash, once done (a list: TypeScript does not see assignments inside closures). @type {{ atAccepted: number, atS: number, downS: number }[]} */
  const crashes = [];
  const crashWanted = KILL_AFTER > 0 && KILL_AFTER < MESSAGES;

  const restart = async () => {
    const k0 = performance.now();
    say(`SIGKILL Hooklane (launcher, wrangler, workerd) after ${accepted} accepted messages`);
    await hook.kill();
    workerLog.mark(`SIGKILL after ${accepted} accepted; the restarted service follows`);
    const old = hook;
    hook = await startHooklane({
      vars: VARS,
      sweepTickS: SWEEP_TICK_S,
      onLine: workerLog.onLine,
      reuse: old,
    });
    workerLog.restarted();
    const downS = (performance.now() - k0) / 1000;
    crashes.push({
      atAccepted: KILL_AFTER,
      atS: round((k0 - ingest0) / 1000, 1) ?? 0,
      downS: round(downS, 1) ?? 0,
    });
    say(`Hooklane is back on ${hook.baseUrl} (same state and port) after ${downS.toFixed(1)} s`);
  };

  const ingest0 = performance.now();
  let lastAcceptAt = ingest0;
  let ticking = true;
  const ticker = (async () => {
    while (ticking) {
      await sleep(5_000);
      if (!ticking) break;
      noteOthers();
      const r = [...receiver.stats.entries()].map(([p, s]) => `${p} ${s.okIds.size}`).join(", ");
      say(
        `ingest ${accepted}/${MESSAGES} accepted, ${Object.values(resent).reduce((a, b) => a + b, 0)} resent; delivered (distinct ids 2xx): ${r}`,
      );
    }
  })();
  await pool(MESSAGES, IN_FLIGHT, async (i) => {
    const body = JSON.stringify({
      eventType: EVENT_TYPE,
      payload: { run: runId, seq: i, note: "chaos soak" },
    });
    const key = `chaos-${runId}-${i}`;
    const giveUpAt = performance.now() + 5 * 60_000;
    for (;;) {
      await serviceUp;
      /** @type {string} */
      let cause;
      try {
        const res = await fetch(messagesUrl, {
          method: "POST",
          headers: { ...headers, "idempotency-key": key },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status === 202) {
          ids[i] = JSON.parse(text).id;
          if (res.headers.get("idempotent-replayed") === "true") replayed++;
          accepted++;
          lastAcceptAt = performance.now();
          if (crashWanted && accepted === KILL_AFTER) serviceUp = restart();
          return;
        }
        if (res.status < 500 && res.status !== 429)
          throw new Error(`ingest #${i}: ${res.status} ${text.slice(0, 300)}`);
        cause = `HTTP ${res.status}`;
      } catch (err) {
        if (err instanceof Error && err.message.startsWith("ingest #")) throw err;
        cause = "network error";
      }
      resent[cause] = (resent[cause] ?? 0) + 1;
      if (performance.now() > giveUpAt) throw new Error(`ingest #${i}: still failing (${cause})`);
      await sleep(250);
    }
  });
  ticking = false;
  await ticker;
  await serviceUp;
  const ingestS = (lastAcceptAt - ingest0) / 1000;
  const distinctIds = new Set(ids.filter((x) => x !== undefined)).size;
  say(
    `ingest done: ${accepted} accepted (${distinctIds} distinct message ids, ${replayed} answered as idempotent replays) in ${ingestS.toFixed(1)} s; resent ${JSON.stringify(resent)}`,
  );

  // --- until every delivery has ended ---------------------------------------------------------
  const deadline = ingest0 + TIMEOUT_MIN * 60_000;
  /** @type {Awaited<ReturnType<typeof readStatuses>> | null} */
  let statuses = null;
  /** @type {Awaited<ReturnType<typeof readDeadLetters>> | null} */
  let dead = null;
  /** @type {{ status: number, body: unknown }} */
  let health = { status: 0, body: null };
  let settled = false;
  let settledAt = Number.NaN;
  let polls = 0;
  /** @type {string[]} */
  const pollErrors = [];
  /** @type {{ atS: number, open: number, health: number, load1: number | null }[]} */
  const timeline = [];

  /** Each reason /healthz gave (numbers as #): polls, first and last seen. @type {Record<string, { polls: number, firstS: number, lastS: number }>} */
  const healthReasons = {};
  for (;;) {
    const p0 = performance.now();
    polls++;
    try {
      statuses = await readStatuses(api, appId);
      dead = await readDeadLetters(api, appId);
    } catch (err) {
      pollErrors.push(String(err));
      say(`poll ${polls}: ${String(err)}`);
    }
    health = await readHealth(hook.baseUrl);
    noteOthers();
    const atS = round((p0 - ingest0) / 1000, 0) ?? 0;
    const body = /** @type {{ reasons?: unknown }} */ (health.body ?? {});
    const reasons = Array.isArray(body.reasons) ? body.reasons : [];
    for (const r of health.status === 200
      ? []
      : reasons.length
        ? reasons
        : [`HTTP ${health.status}`]) {
      const key = String(r).replace(/\d+(\.\d+)?/g, "#");
      const h = healthReasons[key] ?? { polls: 0, firstS: atS, lastS: atS };
      h.polls++;
      h.lastS = atS;
      healthReasons[key] = h;
    }
    if (statuses) {
      let open = 0;
      const parts = [];
      for (const p of PATHS) {
        const id = [...names].find(([, n]) => n === p)?.[0] ?? "";
        const c = statuses.byEndpoint.get(id) ?? emptyCounts();
        const o = c.pending + c.failed;
        open += o;
        parts.push(`${p} ${c.succeeded} ok / ${c.dead} dead / ${o} open`);
      }
      settled =
        open === 0 &&
        statuses.messages === MESSAGES &&
        statuses.deliveries === MESSAGES * PATHS.length;
      timeline.push({ atS, open, health: health.status, load1: round(os.loadavg()[0], 2) });
      say(
        `poll ${polls}: ${parts.join(" | ")}; ${statuses.messages} messages, ${statuses.deliveries} deliveries (read in ${((performance.now() - p0) / 1000).toFixed(1)} s)`,
      );
    }
    say(`  healthz ${health.status} ${JSON.stringify(health.body)}`);
    if (settled) {
      settledAt = p0;
      break;
    }
    if (performance.now() > deadline) break;
    await sleep(Math.max(0, POLL_MS - (performance.now() - p0)));
  }
  // /healthz reports what the last sweep saw, which may predate the settling: read it again
  // once a sweep has run since (the launcher sweeps every 30 s).
  const healthAtSettle = health;
  const sweptAt = (/** @type {{ status: number, body: unknown }} */ h) =>
    /** @type {{ sweptAt?: string } | null} */ (h.body)?.sweptAt ?? "";
  if (settled) {
    const before = sweptAt(health);
    const until = performance.now() + 75_000;
    while (performance.now() < until) {
      await sleep(5_000);
      health = await readHealth(hook.baseUrl);
      if (sweptAt(health) !== before) break;
    }
    say(`healthz after the next sweep: ${health.status} ${JSON.stringify(health.body)}`);
  }

  const crash = crashes[0] ?? null;
  // --- results --------------------------------------------------------------------------------
  const worker = workerLog.summary();
  /**
   * @typedef {{ endpointId: string, succeeded: number, dead: number,
   *   deadByReason: Record<string, number>, open: number, pending: number, failed: number,
   *   cancelled: number, requests: number, answers: Record<string, number>, ok2xx: number,
   *   distinctIdsDelivered: number, duplicate2xx: number, okButDead: Record<string, number>,
   *   okButOpen: number, succeededWithout2xx: number, deadLetterStatus: Record<string, number>,
   *   invalidSignatures: number }} EndpointResult
   */
  /** @type {Record<string, EndpointResult>} */
  const endpoints = {};
  for (const [id, p] of names) {
    const c = statuses?.byEndpoint.get(id) ?? emptyCounts();
    const s = receiver.stats.get(p);
    const okAnswers = s?.ok ?? 0;
    const okDistinct = s?.okIds.size ?? 0;
    // Hooklane's word against the receiver's: deliveries the receiver answered 2xx that
    // Hooklane holds dead (by reason) or open, and successes the receiver never answered.
    /** @type {Record<string, number>} */
    const okButDead = {};
    let okButOpen = 0;
    for (const msgId of s?.okIds.keys() ?? []) {
      const key = `${id} ${msgId}`;
      const status = statuses?.statusOf.get(key);
      if (status === "dead") {
        const reason = dead?.reasonOf.get(key) ?? "unknown";
        okButDead[reason] = (okButDead[reason] ?? 0) + 1;
      } else if (status === "pending" || status === "failed") okButOpen++;
    }
    let succeededWithout2xx = 0;
    for (const [key, status] of statuses?.statusOf ?? []) {
      const [ep, msgId] = key.split(" ");
      if (ep === id && status === "succeeded" && !s?.okIds.has(msgId ?? "")) succeededWithout2xx++;
    }
    // Every dead letter should belong to a delivery that reads dead.
    /** @type {Record<string, number>} */
    const deadLetterStatus = {};
    for (const [key] of dead?.reasonOf ?? []) {
      if (!key.startsWith(`${id} `)) continue;
      const status = statuses?.statusOf.get(key) ?? "unknown";
      deadLetterStatus[status] = (deadLetterStatus[status] ?? 0) + 1;
    }
    endpoints[p] = {
      endpointId: id,
      succeeded: c.succeeded,
      dead: c.dead,
      deadByReason: dead?.byEndpoint.get(id) ?? {},
      open: c.pending + c.failed,
      pending: c.pending,
      failed: c.failed,
      cancelled: c.cancelled,
      requests: s?.requests ?? 0,
      answers: s?.fates ?? {},
      ok2xx: okAnswers,
      distinctIdsDelivered: okDistinct,
      duplicate2xx: okAnswers - okDistinct,
      okButDead,
      okButOpen,
      succeededWithout2xx,
      deadLetterStatus,
      invalidSignatures: s?.invalid ?? 0,
    };
  }
  const invalid = [...receiver.stats.values()].reduce((a, s) => a + s.invalid, 0);
  const result = {
    run: "chaos soak",
    date: new Date().toISOString(),
    commit: git.commit,
    ran: WORKING_TREE ? "working tree" : "HEAD",
    changedFiles: WORKING_TREE ? git.changed : [],
    machine,
    settings: {
      messages: MESSAGES,
      killAfter: KILL_AFTER,
      timeoutMin: TIMEOUT_MIN,
      seed: SEED,
      inFlight: IN_FLIGHT,
      vars: VARS,
      sweepTickS: Number(SWEEP_TICK_S),
      pollS: POLL_MS / 1000,
      retryWindowS: WINDOW_S,
      note: "RETRY_SCHEDULE in seconds: the default (5,300,1800,7200,18000,36000,36000) spans 27.6 h; everything else default (breaker, maxConcurrency 10, SWEEP_GRACE_S 120)",
    },
    settled,
    settleS: settled ? round((settledAt - ingest0) / 1000, 1) : null,
    settleNote: "from the first ingest to the poll that saw no open delivery (polls every 20 s)",
    lastRequestS: round((receiver.lastRequestAt() - ingest0) / 1000, 1),
    ingest: {
      seconds: round(ingestS, 1),
      accepted,
      distinctMessageIds: distinctIds,
      idempotentReplays: replayed,
      resent,
    },
    crash,
    deliveries: statuses
      ? { messages: statuses.messages, deliveries: statuses.deliveries, short: statuses.short }
      : null,
    endpoints,
    deadLetters: dead?.total ?? null,
    invalidSignatures: invalid,
    invalidSamples: [...receiver.stats.values()].flatMap((s) => s.invalidSamples).slice(0, 5),
    sweeps: worker.sweeps,
    consumer: {
      batches: worker.batches,
      queues: worker.queues,
      firstSendAfterRestartS: worker.firstSendAfterRestartS,
    },
    healthzAtSettle: healthAtSettle,
    healthzAtEnd: health,
    healthReasons,
    otherWorkMax: othersMax,
    loadAvgAtEnd: os.loadavg().map((x) => round(x, 2)),
    healthzOk: health.status === 200,
    workerLog: {
      byMsg: worker.byMsg,
      errorLines: worker.errorLines,
      errorSamples: worker.errorSamples,
      wranglerOfflineLines: worker.wranglerOfflineLines,
    },
    pollErrors,
    timeline,
  };
  await mkdir(RESULTS, { recursive: true });
  await writeFile(join(RESULTS, "chaos-latest.json"), `${JSON.stringify(result, null, 2)}\n`);

  // The table.
  const line = "-".repeat(96);
  console.log(`\n${line}`);
  console.log(
    settled
      ? `SETTLED: every one of ${MESSAGES * PATHS.length} deliveries succeeded or is dead, ${result.settleS} s after the first ingest`
      : `NOT SETTLED after ${TIMEOUT_MIN} min: ${Object.values(endpoints).reduce((a, e) => a + e.open, 0)} deliveries still open`,
  );
  console.log(
    `ingest ${result.ingest.seconds} s (${accepted} accepted, ${replayed} idempotent replays, resent ${JSON.stringify(resent)})` +
      (crash
        ? `; crash after ${crash.atAccepted} accepted at ${crash.atS} s, down ${crash.downS} s`
        : ""),
  );
  console.log(line);
  const cols = [
    "endpoint",
    "succeeded",
    "dead (by reason)",
    "open",
    "requests",
    "2xx",
    "distinct ids 2xx",
  ];
  const widths = [9, 10, 34, 6, 9, 7, 16];
  const row = (/** @type {(string | number)[]} */ cells) =>
    cells.map((c, i) => String(c).padEnd(widths[i] ?? 10)).join(" ");
  console.log(row(cols));
  for (const p of PATHS) {
    const e = endpoints[p];
    if (!e) continue;
    const reasons = Object.entries(e.deadByReason)
      .map(([r, n]) => `${r} ${n}`)
      .join(", ");
    console.log(
      row([
        p,
        e.succeeded,
        `${e.dead}${reasons ? ` (${reasons})` : ""}`,
        e.open,
        e.requests,
        e.ok2xx,
        e.distinctIdsDelivered,
      ]),
    );
  }
  console.log(line);
  for (const p of PATHS) {
    const e = endpoints[p];
    console.log(
      `${p}: answers ${JSON.stringify(e?.answers ?? {})}; 2xx at the receiver but dead in Hooklane ${JSON.stringify(e?.okButDead ?? {})}, but open ${e?.okButOpen ?? 0}; succeeded without a 2xx ${e?.succeededWithout2xx ?? 0}; duplicate 2xx ${e?.duplicate2xx ?? 0}; dead letters by their delivery's status ${JSON.stringify(e?.deadLetterStatus ?? {})}`,
    );
  }
  console.log(`invalid signatures: ${invalid}`);
  console.log(
    `sweeps: ${worker.sweeps.total} (sweep_health lines), ${worker.sweeps.handedOut} handed deliveries out (${worker.sweeps.deliveriesHandedOut} in all), max stalled runs ${worker.sweeps.maxStalledRuns}`,
  );
  const bt = worker.batches;
  console.log(
    `consumer: ${bt.batches} batches (${bt.firstTries ?? 0} first tries, ${bt.wakeOnly} wake-only batches of which ${bt.emptyWakes} released nothing), ${bt.sent ?? 0} sent, ${bt.parked ?? 0} parked, slowest batch ${bt.maxMs} ms; queues ${JSON.stringify(worker.queues)}` +
      (crash ? `; first send after the restart at +${worker.firstSendAfterRestartS} s` : ""),
  );
  console.log(
    `healthz at the end${settled ? " (after the first sweep since settling)" : ""}: ${health.status} ${JSON.stringify(health.body)}`,
  );
  for (const [reason, h] of Object.entries(healthReasons))
    console.log(`  degraded in ${h.polls} polls (${h.firstS}-${h.lastS} s): ${reason}`);
  if (Object.keys(othersMax).length > 0)
    console.log(
      `machine shared: most other work seen at once ${JSON.stringify(othersMax)}; load average at the end ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}`,
    );
  console.log(
    `Worker log: ${worker.errorLines} error-looking lines (besides ${worker.wranglerOfflineLines} of wrangler's offline lookups); structured lines by msg ${JSON.stringify(worker.byMsg)}`,
  );
  for (const sample of worker.errorSamples.slice(0, 5)) console.log(`  ${sample}`);
  console.log(line);
  say("wrote bench/results/chaos-latest.json (Worker output: bench/results/chaos-hooklane.log)");
  if (!settled) process.exitCode = 1;
}

main()
  .catch((err) => {
    if (interrupted) return;
    console.error("[chaos] failed:", err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  })
  .finally(async () => {
    say("stopping Hooklane and the receiver...");
    await cleanup();
    if (liveGroups.size > 0) say(`process groups still tracked: ${[...liveGroups].join(", ")}`);
    setTimeout(() => process.exit(), 200).unref();
  });
