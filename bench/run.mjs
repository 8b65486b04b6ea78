#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench` (`-- --quick` for a run under 2 minutes): Hooklane side by side with a floor
 * worker (bench/floor: one D1 insert + one queue send per ingest, one fetch + ack per delivery),
 * both under `wrangler dev --local` on this machine, alternating H, F, H, F so drift hits both.
 *
 * Phases: (a) ingest throughput and latency (autocannon, fixed concurrency); (b) delivery
 * throughput (drain of an N-message backlog); (c) end-to-end latency 202 -> arrival at a
 * moderate rate (Hooklane only); (d) fan-out of one event to 1,000 endpoints. Operations per
 * successful delivery come from Hooklane's `/__ops` counters (OPS_COUNTERS=true) and are priced
 * with the dated table in bench/lib/pricing.mjs.
 *
 * Writes bench/results/latest.json (the shape issue 6 asks for) and latest.details.json
 * (everything else measured). Method and results: docs/BENCHMARKS.md.
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { ASSUMPTIONS, costPerMillion, PRICES } from "./lib/pricing.mjs";
import { liveGroups, openFileLimit, ROOT, startFloor, startHooklane } from "./lib/proc.mjs";
import { startReceiver } from "./lib/receiver.mjs";
import { mean, round, sleep, summary } from "./lib/stats.mjs";

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    connections: { type: "string", default: "16" },
    "no-ops": { type: "boolean", default: false },
    live: { type: "boolean", default: false },
    "max-concurrency": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  console.log(`usage: npm run bench [-- --quick] [-- --connections 16]
  --quick        one round, 8 s ingest, 1,000-message backlog (under 2 minutes)
  (default)      two rounds, 20 s ingest, 5,000-message backlog (about 6-10 minutes)
  --connections  autocannon concurrency for the ingest phase (default 16)
  --no-ops       run Hooklane without OPS_COUNTERS (ops and cost then print n/a)
  --max-concurrency N
                 create the bench endpoints with maxConcurrency N (default: the product's
                 default of 10 in flight per endpoint, which caps one endpoint's drain)
  --live         run Hooklane from the repo itself instead of a snapshot of it taken at start
                 (wrangler dev then reloads the Worker whenever a source file is edited)`);
  process.exit(0);
}

const QUICK = opts.quick === true;
const PLAN = {
  mode: QUICK ? "quick" : "full",
  /** Endpoints' maxConcurrency; null = the product default (10). */
  endpointMaxConcurrency: opts["max-concurrency"] ? Number(opts["max-concurrency"]) : null,
  rounds: QUICK ? 1 : 2,
  connections: Number(opts.connections),
  ingestSeconds: QUICK ? 8 : 20,
  backlog: QUICK ? 1_000 : 5_000,
  enqueueConcurrency: 16,
  e2eRate: 50,
  e2eSeconds: QUICK ? 10 : 30,
  fanout: 1_000,
  /** Endpoints of the app whose single fan-out message blocks Hooklane's consumer in phase (b). */
  prime: 50,
  createConcurrency: 16,
  /** Longest waits, so a slow or stuck pipeline is reported as such instead of hanging the run. */
  caps: {
    ingestDrainS: QUICK ? 12 : 120,
    deliveryDrainS: QUICK ? 25 : 300,
    e2eDrainS: QUICK ? 10 : 120,
    // The target is < 10 s: in quick mode 12 s tells met from missed.
    fanoutS: QUICK ? 12 : 300,
  },
};
/**
 * Hooklane's settings: wrangler.toml defaults (retry schedule, queue batch size 50 and timeout
 * 1 s) plus the bench's vars. REQUEST_TIMEOUT_MS is raised only so the receiver may park one
 * batch for as long as the backlog of phase (b) takes to build; it changes nothing while
 * receivers answer in under a millisecond. SWEEP_TICK_S=0: no sweeper runs during measurements.
 */
const HOOKLANE_VARS = {
  OPS_COUNTERS: opts["no-ops"] ? "false" : "true",
  ALLOW_INSECURE_TARGETS: "true",
  MAX_FANOUT: String(PLAN.fanout),
  REQUEST_TIMEOUT_MS: "300000",
};
const SWEEP_TICK_S = "0";
/** One event body for every ingest, Hooklane and floor alike (about 250 bytes). */
const EVENT = {
  eventType: "order.created",
  payload: {
    orderId: "ord_2Xk9",
    amount: 4200,
    currency: "EUR",
    customer: { id: "cus_81", email: "buyer@example.com" },
    items: [
      { sku: "sku-1", qty: 2, price: 1500 },
      { sku: "sku-2", qty: 1, price: 1200 },
    ],
  },
};
const EVENT_JSON = JSON.stringify(EVENT);

const t0 = performance.now();
/** One progress line. @param {string} phase @param {string} msg */
function progress(phase, msg) {
  const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
  console.log(`[bench ${s}s] ${phase.padEnd(14)} ${msg}`);
}

/** @type {(() => Promise<void>)[]} */
const cleanups = [];
let interrupted = false;
/** @type {Promise<void> | undefined} */
let cleaning;
/** Stops everything the bench started; safe to call more than once (same promise). */
function cleanup() {
  cleaning ??= (async () => {
    // In parallel: each stop waits for its own process group to exit.
    const results = await Promise.allSettled(cleanups.map((fn) => fn()));
    for (const r of results)
      if (r.status === "rejected") console.error("[bench] cleanup:", r.reason);
  })();
  return cleaning;
}
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM", "SIGHUP"])) {
  process.on(signal, () => {
    interrupted = true;
    console.error(`\n[bench] ${signal}: stopping everything the bench started...`);
    const hard = setTimeout(() => process.exit(130), 25_000);
    hard.unref();
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

/**
 * @param {string} base
 * @param {string} token
 * @returns {(path: string, body?: unknown, method?: string) => Promise<{ status: number, body: any }>}
 */
function apiClient(base, token) {
  return async (path, body, method) => {
    const res = await fetch(`${base}${path}`, {
      method: method ?? (body === undefined ? "GET" : "POST"),
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    /** @type {any} */
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed };
  };
}

/**
 * Runs `fn(i)` for i in [0, n) with at most `concurrency` in flight.
 * @param {number} n
 * @param {number} concurrency
 * @param {(i: number) => Promise<void>} fn
 */
async function pool(n, concurrency, fn) {
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n && !failed) {
        const i = next++;
        try {
          await fn(i);
        } catch (err) {
          failed = true; // the other workers stop taking items
          throw err;
        }
      }
    }),
  );
}

/**
 * A POST that resolves to its status and the time the answer arrived.
 * @param {string} url
 * @param {Record<string, string>} headers
 * @param {string} body
 */
async function post(url, headers, body) {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, at: performance.now(), text };
  } catch (err) {
    return { status: 0, at: performance.now(), text: String(err) };
  }
}

/** The commit and how many files differ from it (the bench measures the working tree). */
function gitInfo() {
  try {
    /** @type {import("node:child_process").ExecFileSyncOptionsWithStringEncoding} */
    const o = { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] };
    const commit = execFileSync("git", ["rev-parse", "HEAD"], o).trim();
    const status = execFileSync("git", ["status", "--porcelain"], o);
    return { commit, dirtyFiles: status.split("\n").filter(Boolean).length };
  } catch {
    return { commit: "unknown", dirtyFiles: 0 };
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const machine = {
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    cores: os.cpus().length,
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
  };
  const loadAvgAtStart = os.loadavg().map((x) => round(x, 2));
  const git = gitInfo();
  progress(
    "start",
    `git ${git.commit.slice(0, 10)}${git.dirtyFiles ? ` + ${git.dirtyFiles} changed files` : ""}, load average ${loadAvgAtStart.join(" ")}`,
  );
  progress(
    "start",
    `${PLAN.mode} mode on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, Node ${machine.node}`,
  );

  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  progress("start", `receiver on ${receiver.base}; starting Hooklane and the floor worker...`);

  const startedAt = performance.now();
  const [hookResult, floorResult] = await Promise.allSettled([
    startHooklane({ vars: HOOKLANE_VARS, sweepTickS: SWEEP_TICK_S, live: opts.live === true }),
    startFloor({ targetBase: receiver.base }),
  ]);
  // `hook` may be replaced once (see the probe below): stop the current one.
  if (hookResult.status === "fulfilled") cleanups.push(() => hook.stop());
  // `floor` may be replaced by a fresh one between phases (see beforePhase): stop the current one.
  if (floorResult.status === "fulfilled") cleanups.push(() => floor.stop());
  if (hookResult.status === "rejected") throw hookResult.reason;
  if (floorResult.status === "rejected") throw floorResult.reason;
  let hook = hookResult.value;
  let floor = floorResult.value;
  /** Output of floor processes replaced during the run, kept for the log file. */
  let floorLogsBefore = "";
  cleanups.push(async () => {
    // Keep the last run's logs for a post-mortem (gitignored: *.log).
    const dir = join(ROOT, "bench/results");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "last-hooklane.log"), hook.logs());
    await writeFile(join(dir, "last-floor.log"), floorLogsBefore + floor.logs());
  });
  progress(
    "start",
    `Hooklane ${hook.baseUrl} and floor ${floor.baseUrl} ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
  );

  // Open sockets of each workerd (see groupOpenFiles in bench/lib/proc.mjs): sampled twice a
  // second, peak per phase; each phase starts only once leftovers of the previous one closed.
  const fileLimit = openFileLimit();
  const fdPeak = { hook: 0, floor: 0 };
  /** @type {Record<string, { hook: number, floor: number }>} */
  const fdPeaks = {};
  const fdTimer = setInterval(() => {
    fdPeak.hook = Math.max(fdPeak.hook, hook.openFiles());
    fdPeak.floor = Math.max(fdPeak.floor, floor.openFiles());
  }, 500);
  fdTimer.unref();
  cleanups.push(async () => clearInterval(fdTimer));
  const fdQuiet = Math.min(3_000, Math.floor((fileLimit ?? 20_000) * 0.15));
  let floorRestarts = 0;
  /**
   * Waits for leftover sockets to close, then starts counting the phase's peak. The floor's
   * sockets sometimes stay open for minutes after a fast drain; rather than let the next drain
   * exhaust the open-file limit, a floor still above the mark after the wait is replaced by a
   * fresh one (new state, warmed up with 20 messages) before the phase starts.
   * @param {string} phase
   */
  const beforePhase = async (phase) => {
    const w0 = performance.now();
    const max = QUICK ? 15_000 : 30_000;
    let said = false;
    while (hook.openFiles() > fdQuiet || floor.openFiles() > fdQuiet) {
      if (!said) {
        progress(
          phase,
          `waiting for leftover sockets to close (Hooklane ${hook.openFiles()}, floor ${floor.openFiles()} open; limit ${fileLimit ?? "?"})`,
        );
        said = true;
      }
      if (performance.now() - w0 > max) {
        if (floor.openFiles() > fdQuiet && floor.openFiles() > hook.openFiles()) {
          progress(phase, "  the floor's sockets stay open: restarting the floor worker");
          floorLogsBefore += floor.logs();
          await floor.stop();
          floor = await startFloor({ targetBase: receiver.base });
          floorRestarts++;
          await pool(20, 4, async () => {
            await post(`${floor.baseUrl}/ingest/warm`, json, EVENT_JSON);
          });
          await receiver.waitFor("/f/warm", receiver.count("/f/warm") + 20, 15_000);
        } else progress(phase, "  still open; going on");
        break;
      }
      await sleep(500);
    }
    fdPeak.hook = hook.openFiles();
    fdPeak.floor = floor.openFiles();
  };
  /** @param {string} phase */
  const afterPhase = (phase) => {
    fdPeaks[phase] = { ...fdPeak };
    const worst = Math.max(fdPeak.hook, fdPeak.floor);
    if (fileLimit !== null && worst > fileLimit * 0.8)
      progress(
        phase,
        `WARNING: a workerd held ${worst} open files (limit ${fileLimit}); raise \`ulimit -n\` if requests start failing`,
      );
  };

  // A probe delivery before anything else. With OPS_COUNTERS on, a build whose counting
  // wrappers break Durable Object calls defers every delivery forever ("gate unreachable"); then
  // the run goes on without the counters (ops and cost read n/a) instead of failing.
  let opsFallback = false;
  /** @type {string | null} */
  let warmupIncomplete = null;
  if (HOOKLANE_VARS.OPS_COUNTERS === "true") {
    const probe = apiClient(hook.baseUrl, hook.adminToken);
    const app = await probe("/v1/apps", { name: "bench-probe" });
    const ep = await probe(`/v1/apps/${app.body?.id}/endpoints`, { url: receiver.url("/h/probe") });
    if (ep.status === 201) receiver.setSecret("/h/probe", ep.body.secret);
    await probe(`/v1/apps/${app.body?.id}/messages`, EVENT);
    // Up to 10 s, but a broken gate shows in the log within the first batch (~1 s).
    const p0 = performance.now();
    while (
      receiver.count("/h/probe") < 1 &&
      !/gate unreachable/.test(hook.logs()) &&
      performance.now() - p0 < 10_000
    )
      await sleep(100);
    const arrived = receiver.count("/h/probe") >= 1;
    if (!arrived && /gate unreachable/.test(hook.logs())) {
      progress(
        "start",
        'WARNING: with OPS_COUNTERS on, Hooklane logged "gate unreachable" and the probe delivery never arrived (the counters\' wrappers break Durable Object calls in this build); restarting it without them: ops and cost will read n/a',
      );
      await hook.stop();
      hook = await startHooklane({
        vars: { ...HOOKLANE_VARS, OPS_COUNTERS: "false" },
        sweepTickS: SWEEP_TICK_S,
        live: opts.live === true,
      });
      opsFallback = true;
    }
  }

  const api = apiClient(hook.baseUrl, hook.adminToken);
  const auth = { authorization: `Bearer ${hook.adminToken}`, "content-type": "application/json" };
  const json = { "content-type": "application/json" };

  // --- ops counters ---------------------------------------------------------------------------
  /** @returns {Promise<Record<string, number> | null>} */
  const readOps = async () => {
    const res = await api("/__ops");
    return res.status === 200 && typeof res.body === "object" ? res.body : null;
  };
  const resetOps = async () => {
    await api("/__ops/reset", {}, "POST");
  };
  const opsProbe = await api("/__ops");
  const opsAvailable = opsProbe.status === 200;
  progress(
    "start",
    opsAvailable
      ? "ops counters: on"
      : `ops counters: n/a (GET /__ops answered ${opsProbe.status})`,
  );

  // --- apps and endpoints -------------------------------------------------------------------
  /**
   * An app with one endpoint per receiver path (its own signing secret each).
   * @param {string} name
   * @param {string[]} paths
   */
  const makeApp = async (name, paths) => {
    const app = await api("/v1/apps", { name });
    if (app.status !== 201)
      throw new Error(`POST /v1/apps: ${app.status} ${JSON.stringify(app.body)}`);
    const appId = /** @type {string} */ (app.body.id);
    await pool(paths.length, PLAN.createConcurrency, async (i) => {
      const path = /** @type {string} */ (paths[i]);
      const ep = await api(`/v1/apps/${appId}/endpoints`, {
        url: receiver.url(path),
        description: `bench ${path}`,
        ...(opts["max-concurrency"] ? { maxConcurrency: Number(opts["max-concurrency"]) } : {}),
      });
      if (ep.status !== 201)
        throw new Error(`POST endpoints: ${ep.status} ${JSON.stringify(ep.body)}`);
      receiver.setSecret(path, ep.body.secret);
    });
    return { appId, messagesUrl: `${hook.baseUrl}/v1/apps/${appId}/messages` };
  };

  // The 1,000 fan-out endpoints are created while the other apps are set up and warmed up
  // (setup, not measured).
  const c0 = performance.now();
  const fanoutAppPromise = makeApp(
    "bench-fanout",
    Array.from({ length: PLAN.fanout }, (_, i) => `/h/fan/${i}`),
  ).then((app) => ({ app, seconds: (performance.now() - c0) / 1000 }));
  fanoutAppPromise.catch(() => {});

  const apps = {
    /** @type {{ appId: string, messagesUrl: string }[]} */
    ingest: [],
    /** @type {{ appId: string, messagesUrl: string }[]} */
    delivery: [],
  };
  for (let r = 1; r <= PLAN.rounds; r++) {
    apps.ingest.push(await makeApp(`bench-ingest-${r}`, [`/h/ingest${r}`]));
    apps.delivery.push(await makeApp(`bench-delivery-${r}`, [`/h/dlv${r}`]));
  }
  const e2eApp = await makeApp("bench-e2e", ["/h/e2e"]);
  const warmApp = await makeApp("bench-warmup", ["/h/warm"]);
  const primeApp = await makeApp(
    "bench-prime",
    Array.from({ length: PLAN.prime }, (_, i) => `/h/prime/${i}`),
  );

  // Warm-up: compile, fill per-isolate caches, take every gate out of slow start.
  {
    const n = 20;
    let warmDeliveries = 0;
    const w0 = performance.now();
    await post(primeApp.messagesUrl, auth, EVENT_JSON);
    await pool(n, 8, async (i) => {
      const res = await post(warmApp.messagesUrl, auth, EVENT_JSON);
      if (res.status === 202) warmDeliveries += JSON.parse(res.text).deliveries?.length ?? 0;
      await post(`${floor.baseUrl}/ingest/warm`, json, EVENT_JSON);
      const ingestApp = apps.ingest[i % apps.ingest.length];
      const deliveryApp = apps.delivery[i % apps.delivery.length];
      if (i < 4) {
        if (ingestApp) await post(ingestApp.messagesUrl, auth, EVENT_JSON);
        if (deliveryApp) await post(deliveryApp.messagesUrl, auth, EVENT_JSON);
        await post(e2eApp.messagesUrl, auth, EVENT_JSON);
      }
    });
    const want = (/** @type {string} */ bucket, /** @type {number} */ k) =>
      receiver.waitFor(bucket, k, 30_000);
    const ok = (
      await Promise.all([
        want("/h/warm", n),
        want("/f/warm", n),
        want("/h/e2e", 4),
        want("/h/prime", PLAN.prime),
        ...apps.ingest.map((_, r) => want(`/h/ingest${r + 1}`, Math.ceil(4 / PLAN.rounds))),
        ...apps.delivery.map((_, r) => want(`/h/dlv${r + 1}`, Math.ceil(4 / PLAN.rounds))),
      ])
    ).every(Boolean);
    if (!ok) {
      const seen = ["/h/warm", "/f/warm", "/h/e2e", "/h/prime", "/h/ingest1", "/h/dlv1"]
        .map((b) => `${b} ${receiver.count(b)}`)
        .join(", ");
      // The Worker's own JSON log lines usually say why (e.g. "gate unreachable; deferring").
      const reasons = [
        ...new Set(
          hook
            .logs()
            .split("\n")
            .filter((l) => l.startsWith('{"msg"'))
            .slice(-200)
            .map((l) => l.slice(0, 220)),
        ),
      ].slice(-3);
      // What Hooklane itself says about the warm-up messages' deliveries.
      const list = await api(`/v1/apps/${warmApp.appId}/messages?limit=50`);
      /** @type {Record<string, number>} */
      const statuses = {};
      for (const m of list.body?.data ?? [])
        for (const d of m.deliveries ?? []) statuses[d.status] = (statuses[d.status] ?? 0) + 1;
      // And why attempts failed, from the attempt log of one message with a failed delivery.
      let attemptErrors = "";
      const failedMsg = (list.body?.data ?? []).find((/** @type {any} */ m) =>
        (m.deliveries ?? []).some((/** @type {any} */ d) => d.status === "failed"),
      );
      if (failedMsg) {
        const att = await api(`/v1/apps/${warmApp.appId}/messages/${failedMsg.id}/attempts`);
        attemptErrors = `; its attempts: ${JSON.stringify(
          (att.body?.data ?? []).map((/** @type {any} */ a) => ({
            statusCode: a.statusCode,
            error: a.error,
            durationMs: a.durationMs,
            excerpt: a.responseExcerpt?.slice(0, 120),
          })),
        )}`;
      }
      const detail = `${seen}; the ${n} warm-up messages were accepted with ${warmDeliveries} deliveries, now ${JSON.stringify(statuses)}${attemptErrors}${reasons.length ? `; Hooklane logged:\n  ${reasons.join("\n  ")}` : ""}`;
      const hookArrivals = ["/h/warm", "/h/e2e", "/h/prime", "/h/ingest1", "/h/dlv1"].reduce(
        (a, b) => a + receiver.count(b),
        0,
      );
      if (hookArrivals === 0)
        throw new Error(
          `no warm-up delivery arrived within 30 s (${detail}); see bench/results/last-hooklane.log`,
        );
      // Some arrived: the warm-up only prepares; say what is missing and measure anyway.
      progress("warm-up", `WARNING: not every warm-up delivery arrived within 30 s (${detail})`);
      warmupIncomplete = detail;
    }
    await sleep(1000);
    progress("warm-up", `done in ${((performance.now() - w0) / 1000).toFixed(1)} s`);
    const { seconds } = await fanoutAppPromise;
    progress("setup", `${PLAN.fanout} fan-out endpoints created in ${seconds.toFixed(1)} s`);
  }
  const reloadsAtStart = hook.reloads() + floor.reloads();
  // Warm-up arrivals are in their own buckets (or counted before each phase starts below).
  const baseCount = {
    e2e: receiver.count("/h/e2e"),
    /** @type {Record<string, number>} */
    dlv: Object.fromEntries(
      apps.delivery.map((_, r) => [`/h/dlv${r + 1}`, receiver.count(`/h/dlv${r + 1}`)]),
    ),
    /** @type {Record<string, number>} */
    ingest: Object.fromEntries(
      apps.ingest.map((_, r) => [`/h/ingest${r + 1}`, receiver.count(`/h/ingest${r + 1}`)]),
    ),
  };

  /**
   * Waits until `bucket` has `n` unique arrivals, then until it stays quiet for 1 s, so the next
   * phase starts with empty queues.
   * @param {string} phase
   * @param {string} bucket
   * @param {number} n
   * @param {number} timeoutMs
   */
  const drain = async (phase, bucket, n, timeoutMs) => {
    const d0 = performance.now();
    const done = await receiver.waitFor(bucket, n, timeoutMs, (seen) =>
      progress(phase, `  ...draining ${seen}/${n}`),
    );
    // Then until the bucket stays quiet for 0.6 s (late requests autocannon did not wait for).
    let last = receiver.count(bucket);
    for (let i = 0; i < 10; i++) {
      await sleep(300);
      const now = receiver.count(bucket);
      if (now === last && i >= 1) break;
      last = now;
    }
    return { done, seconds: (performance.now() - d0) / 1000, seen: receiver.count(bucket) };
  };

  // --- (a) ingest -----------------------------------------------------------------------------
  /**
   * @param {"H" | "F"} who
   * @param {number} r round
   */
  const ingestRun = async (who, r) => {
    const phase = `ingest ${who} r${r}`;
    await beforePhase(phase);
    const bucket = who === "H" ? `/h/ingest${r}` : `/f/ingest${r}`;
    const before = who === "H" ? (baseCount.ingest[bucket] ?? 0) : receiver.count(bucket);
    const url =
      who === "H" ? (apps.ingest[r - 1]?.messagesUrl ?? "") : `${floor.baseUrl}/ingest/ingest${r}`;
    /** @type {number[]} */
    const latencies = [];
    let ok = 0;
    let other = 0;
    const svc = who === "H" ? hook : floor;
    const cpu0 = svc.cpuMs();
    const a0 = performance.now();
    const instance = autocannon({
      url,
      method: "POST",
      headers: who === "H" ? auth : json,
      body: EVENT_JSON,
      connections: PLAN.connections,
      duration: PLAN.ingestSeconds,
      timeout: 30,
    });
    instance.on(
      "response",
      (
        /** @type {unknown} */ _c,
        /** @type {number} */ status,
        /** @type {number} */ _b,
        /** @type {number} */ ms,
      ) => {
        if (status === 202) {
          ok++;
          latencies.push(ms);
        } else other++;
      },
    );
    const result = await instance;
    const seconds = (performance.now() - a0) / 1000;
    const cpuMs = svc.cpuMs() - cpu0;
    const s = summary(latencies);
    const rps = ok / seconds;
    const errors = other + (result.errors ?? 0) + (result.timeouts ?? 0);
    progress(
      phase,
      `${rps.toFixed(1)} req/s (202s), p50 ${s.p50.toFixed(0)} ms, p95 ${s.p95.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms, ${errors} errors, workerd CPU ${(cpuMs / Math.max(1, ok)).toFixed(1)} ms/req`,
    );
    // autocannon may stop with requests in flight; the server still accepts them, so wait for
    // at least what we saw answered, then for the bucket to go quiet.
    const dr = await drain(phase, bucket, before + ok, PLAN.caps.ingestDrainS * 1000);
    progress(
      phase,
      `deliveries drained: ${dr.seen - before}/${ok} in ${dr.seconds.toFixed(1)} s${dr.done ? "" : " (TIMED OUT)"}`,
    );
    afterPhase(phase);
    return {
      who,
      round: r,
      seconds,
      ok,
      errors,
      rps,
      latency: s,
      cpuMsPerRequest: cpuMs / Math.max(1, ok),
      drainSeconds: dr.seconds,
      drained: dr.done,
    };
  };

  // --- (b) delivery -------------------------------------------------------------------------
  /**
   * Drain of an N-message backlog: the consumer is kept busy with one parked batch while N
   * messages are enqueued, then the batch is released and the drain is timed:
   * dps = arrivals after release / (last arrival - release).
   *
   * The local queue hands a consumer one batch at a time, and starts another only when a batch
   * that left on its timeout (not full) is still running. So:
   *  - floor: the receiver parks the answers to its first batch(es) of the N messages;
   *  - Hooklane: one message to an app with 50 endpoints (`/h/prime/*`) makes a full batch of 50
   *    deliveries whose answers are parked. Parking Hooklane's own endpoint instead would leave
   *    its gate's concurrency slots taken, and every other batch would be deferred over and over
   *    while the backlog builds (deferral churn, not delivery).
   * @param {"H" | "F"} who
   * @param {number} r
   */
  const deliveryRun = async (who, r) => {
    const phase = `delivery ${who} r${r}`;
    await beforePhase(phase);
    const bucket = who === "H" ? `/h/dlv${r}` : `/f/dlv${r}`;
    const before = who === "H" ? (baseCount.dlv[bucket] ?? 0) : receiver.count(bucket);
    const url =
      who === "H" ? (apps.delivery[r - 1]?.messagesUrl ?? "") : `${floor.baseUrl}/ingest/dlv${r}`;
    const svc = who === "H" ? hook : floor;
    const queueName = who === "H" ? "hooklane-deliveries" : "bench-floor-work";
    if (who === "H" && opsAvailable) await resetOps();
    const cpu0 = svc.cpuMs();
    const q0 = svc.queueStats().get(queueName) ?? {
      batches: 0,
      messages: 0,
      acked: 0,
      ms: 0,
      samples: [],
    };
    const primeBefore = receiver.count("/h/prime");
    const release = receiver.hold(who === "H" ? "/h/prime" : bucket);
    /** @type {{ at: number, parked: number } | undefined} */
    let released;
    const doRelease = () => {
      released ??= release();
      return released;
    };
    let primed = 0;
    if (who === "H") {
      const res = await post(primeApp.messagesUrl, auth, EVENT_JSON);
      if (res.status !== 202) throw new Error(`prime message answered ${res.status}`);
      await receiver.waitFor("/h/prime", primeBefore + PLAN.prime, 20_000);
      primed = receiver.count("/h/prime") - primeBefore;
    }
    const e0 = performance.now();
    let accepted = 0;
    let failed = 0;
    // Never park longer than Hooklane's request timeout allows (300 s; see HOOKLANE_VARS).
    const safety = setTimeout(() => {
      progress(phase, "  parking limit reached, releasing early");
      doRelease();
    }, 280_000);
    /** @type {string | undefined} */
    let lastError;
    await pool(PLAN.backlog, PLAN.enqueueConcurrency, async () => {
      const res = await post(url, who === "H" ? auth : json, EVENT_JSON);
      if (res.status === 202) accepted++;
      else {
        failed++;
        lastError = `${res.status} ${res.text.slice(0, 200)}`;
      }
      // A service that stops answering would otherwise keep the run busy for minutes.
      if (failed > Math.max(20, PLAN.backlog * 0.02) || !svc.alive()) {
        clearTimeout(safety);
        doRelease();
        throw new Error(
          `${who === "H" ? "Hooklane" : "floor"} refused ${failed} of ${accepted + failed} messages (last: ${lastError}); its output ends with:\n${svc.logs().slice(-1500)}`,
        );
      }
    });
    clearTimeout(safety);
    const e1 = performance.now();
    const qHold = svc.queueStats().get(queueName) ?? q0;
    // Hooklane's consumer is blocked on the parked prime batch: the counters so far are the
    // ingest of N messages (plus the prime message and its batch's reads).
    const opsAtEnqueueEnd = who === "H" && opsAvailable ? await readOps() : null;
    const arrivedWhileParked = receiver.count(bucket) - before;
    const rel = doRelease();
    const batchesDuringHold = qHold.batches - q0.batches;
    progress(
      phase,
      `enqueued ${accepted} (${failed} failed) in ${((e1 - e0) / 1000).toFixed(1)} s (${(accepted / ((e1 - e0) / 1000)).toFixed(0)}/s), ${rel.parked} answers parked${who === "H" ? ` (${primed}/${PLAN.prime} prime deliveries)` : ""}, ${batchesDuringHold} batches finished meanwhile; draining...`,
    );
    const dr = await drain(phase, bucket, before + accepted, PLAN.caps.deliveryDrainS * 1000);
    const b = receiver.bucket(bucket);
    let after = 0;
    let last = rel.at;
    let first = Number.POSITIVE_INFINITY;
    for (const at of b.byId.values()) {
      if (at < e0) continue; // warm-up arrivals
      first = Math.min(first, at);
      if (at > rel.at) {
        after++;
        last = Math.max(last, at);
      }
    }
    const dps = after / ((last - rel.at) / 1000);
    // Let the last batch finish its D1 writes and acks before reading the counters.
    await sleep(1000);
    const cpuMs = svc.cpuMs() - cpu0;
    const q1 = svc.queueStats().get(queueName) ?? q0;
    const ops = who === "H" && opsAvailable ? await readOps() : null;
    const delivered = dr.seen - before;
    const primeDelivered = who === "H" ? receiver.count("/h/prime") - primeBefore : 0;
    // Batches that ran after the release (the first one to finish is the parked one).
    const batchMs = summary(q1.samples.slice(qHold.samples.length).filter((_, i) => i > 0));
    progress(
      phase,
      `${dps.toFixed(1)} deliveries/s (${after} arrived ${((last - rel.at) / 1000).toFixed(1)} s after release); ${delivered}/${accepted} delivered; ${q1.batches - q0.batches} consumer batches (median ${batchMs.p50} ms) handled ${q1.messages - q0.messages} queue messages${dr.done ? "" : ` (STOPPED WAITING after ${PLAN.caps.deliveryDrainS} s)`}`,
    );
    afterPhase(phase);
    return {
      who,
      round: r,
      accepted,
      failed,
      delivered,
      /** Deliveries that arrived before the release (0 when the consumer was blocked). */
      arrivedWhileParked,
      primeDelivered,
      enqueueSeconds: (e1 - e0) / 1000,
      parked: rel.parked,
      batchesDuringHold,
      drainCounted: after,
      drainSeconds: (last - rel.at) / 1000,
      dps,
      firstToLastDps: delivered / ((last - first) / 1000),
      consumerBatches: q1.batches - q0.batches,
      queueMessagesHandled: q1.messages - q0.messages,
      consumerBatchMsTotal: q1.ms - q0.ms,
      consumerBatchMs: batchMs,
      cpuMs,
      ops,
      opsAtEnqueueEnd,
      completed: dr.done,
    };
  };

  // --- run the alternating phases -------------------------------------------------------------
  /** @type {Awaited<ReturnType<typeof ingestRun>>[]} */
  const ingest = [];
  for (let r = 1; r <= PLAN.rounds; r++) {
    ingest.push(await ingestRun("H", r));
    ingest.push(await ingestRun("F", r));
  }
  /** @type {Awaited<ReturnType<typeof deliveryRun>>[]} */
  const delivery = [];
  for (let r = 1; r <= PLAN.rounds; r++) {
    delivery.push(await deliveryRun("H", r));
    delivery.push(await deliveryRun("F", r));
  }

  // --- (c) end-to-end latency -------------------------------------------------------------------
  const e2e = await (async () => {
    const phase = "e2e H";
    await beforePhase(phase);
    // Moderate load: 50 msg/s, or half of the ingest rate Hooklane sustained in phase (a) when
    // that is lower (a saturated machine would measure queueing, not the pipeline).
    const hIngestRps = mean(ingest.filter((x) => x.who === "H").map((x) => x.rps));
    const rate = Math.max(5, Math.min(PLAN.e2eRate, Math.round(hIngestRps / 2)));
    const n = rate * PLAN.e2eSeconds;
    const gap = 1000 / rate;
    /** @type {Map<string, number>} */
    const acceptedAt = new Map();
    /** @type {number[]} */
    const ingestMs = [];
    let failed = 0;
    /** @type {string[]} */
    const failSamples = [];
    if (opsAvailable) await resetOps();
    const cpu0 = hook.cpuMs();
    const q0 = hook.queueStats().get("hooklane-deliveries") ?? {
      batches: 0,
      messages: 0,
      acked: 0,
      ms: 0,
      samples: [],
    };
    progress(phase, `${n} messages at ${rate}/s for ${PLAN.e2eSeconds} s...`);
    const p0 = performance.now();
    /** @type {Promise<void>[]} */
    const inFlight = [];
    for (let i = 0; i < n; i++) {
      const due = p0 + i * gap;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const sentAt = performance.now();
      inFlight.push(
        post(e2eApp.messagesUrl, auth, EVENT_JSON).then((res) => {
          if (res.status !== 202) {
            failed++;
            if (failSamples.length < 3) failSamples.push(`${res.status} ${res.text.slice(0, 160)}`);
            return;
          }
          ingestMs.push(res.at - sentAt);
          acceptedAt.set(JSON.parse(res.text).id, res.at);
        }),
      );
    }
    await Promise.all(inFlight);
    const sendSeconds = (performance.now() - p0) / 1000;
    const dr = await drain(
      phase,
      "/h/e2e",
      baseCount.e2e + acceptedAt.size,
      PLAN.caps.e2eDrainS * 1000,
    );
    await sleep(1000);
    const ops = opsAvailable ? await readOps() : null;
    const cpuMs = hook.cpuMs() - cpu0;
    const q1 = hook.queueStats().get("hooklane-deliveries") ?? q0;
    const b = receiver.bucket("/h/e2e");
    /** @type {number[]} */
    const lat = [];
    let arrivedCount = 0;
    for (const [id, at] of acceptedAt) {
      const arrived = b.byId.get(id);
      // Not arrived when the bench stopped waiting: counts as infinitely late, so percentiles
      // above the arrived share read "n/a" instead of looking better than they are.
      if (arrived === undefined) lat.push(Number.POSITIVE_INFINITY);
      else {
        lat.push(arrived - at);
        arrivedCount++;
      }
    }
    const s = summary(lat);
    const ms = (/** @type {number} */ x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : "n/a");
    progress(
      phase,
      `202 -> arrival p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, p99 ${ms(s.p99)} (${arrivedCount}/${acceptedAt.size} arrived, sent over ${sendSeconds.toFixed(1)} s, ${failed} failed${failSamples.length ? `: ${failSamples.join(" | ")}` : ""})`,
    );
    afterPhase(phase);
    return {
      rate,
      sent: n,
      accepted: acceptedAt.size,
      failSamples,
      arrived: arrivedCount,
      failed,
      latency: s,
      ingestLatency: summary(ingestMs),
      ops,
      cpuMs,
      consumerBatches: q1.batches - q0.batches,
      queueMessagesHandled: q1.messages - q0.messages,
      completed: dr.done,
    };
  })();

  // --- (d) fan-out ------------------------------------------------------------------------------
  const fanout = await (async () => {
    const phase = "fan-out H";
    await beforePhase(phase);
    const { app, seconds: createSeconds } = await fanoutAppPromise;
    progress(
      phase,
      `${PLAN.fanout} endpoints (created during the warm-up in ${createSeconds.toFixed(1)} s); sending one event...`,
    );
    if (opsAvailable) await resetOps();
    const cpu0 = hook.cpuMs();
    const q0 = hook.queueStats().get("hooklane-deliveries") ?? {
      batches: 0,
      messages: 0,
      acked: 0,
      ms: 0,
      samples: [],
    };
    const f0 = performance.now();
    const res = await post(app.messagesUrl, auth, EVENT_JSON);
    if (res.status !== 202)
      throw new Error(`fan-out ingest answered ${res.status}: ${res.text.slice(0, 500)}`);
    const ingestMs = res.at - f0;
    const done = await receiver.waitFor("/h/fan", PLAN.fanout, PLAN.caps.fanoutS * 1000, (seen) =>
      progress(phase, `  ...${seen}/${PLAN.fanout} arrived`),
    );
    const b = receiver.bucket("/h/fan");
    const seconds = (b.lastAt - f0) / 1000;
    // When the bench stopped waiting: a straight-line estimate, reported as such, never as a result.
    const estimatedSeconds = done
      ? seconds
      : ((performance.now() - f0) / 1000) * (PLAN.fanout / Math.max(1, b.unique.size));
    await sleep(1000);
    const ops = opsAvailable ? await readOps() : null;
    const cpuMs = hook.cpuMs() - cpu0;
    const q1 = hook.queueStats().get("hooklane-deliveries") ?? q0;
    progress(
      phase,
      done
        ? `${PLAN.fanout} arrived in ${seconds.toFixed(2)} s (ingest answered in ${ingestMs.toFixed(0)} ms)`
        : `only ${b.unique.size}/${PLAN.fanout} arrived within ${PLAN.caps.fanoutS} s (stopped waiting; at that pace all would take ~${estimatedSeconds.toFixed(0)} s; ingest answered in ${ingestMs.toFixed(0)} ms)`,
    );
    afterPhase(phase);
    return {
      endpoints: PLAN.fanout,
      arrived: b.unique.size,
      seconds: done ? seconds : null,
      estimatedSeconds,
      createSeconds,
      ingestMs,
      ops,
      cpuMs,
      consumerBatches: q1.batches - q0.batches,
      queueMessagesHandled: q1.messages - q0.messages,
    };
  })();

  // --- results --------------------------------------------------------------------------------
  const pooled = (/** @type {"H" | "F"} */ who) => ingest.filter((x) => x.who === who);
  const hIngest = pooled("H");
  const fIngest = pooled("F");
  const hRps = mean(hIngest.map((x) => x.rps));
  const fRps = mean(fIngest.map((x) => x.rps));
  // Latency percentiles: the median over rounds of each round's percentile.
  const med = (/** @type {number[]} */ xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0
      ? Number.NaN
      : ((s[Math.floor((s.length - 1) / 2)] ?? 0) + (s[Math.ceil((s.length - 1) / 2)] ?? 0)) / 2;
  };
  const hDel = delivery.filter((x) => x.who === "H");
  const fDel = delivery.filter((x) => x.who === "F");
  const hDps = mean(hDel.map((x) => x.dps));
  const fDps = mean(fDel.map((x) => x.dps));

  // Ops per successful delivery, over the Hooklane delivery phases (ingest + delivery + any
  // deferrals of N messages to one endpoint).
  /**
   * @param {{ ops: Record<string, number> | null, delivered: number, cpuMs: number, consumerBatches: number, ingestRequests: number, doAdjust?: number, doDeliveries?: number }[]} runs
   */
  const perDelivery = (runs) => {
    if (runs.some((x) => x.ops === null)) return null;
    const sum = (/** @type {string} */ k) => runs.reduce((a, x) => a + (x.ops?.[k] ?? 0), 0);
    const n = runs.reduce((a, x) => a + x.delivered, 0);
    if (n === 0) return null;
    return {
      deliveries: n,
      d1Queries: sum("d1Queries") / n,
      d1RowsRead: sum("d1RowsRead") / n,
      d1RowsWritten: sum("d1RowsWritten") / n,
      queueSent: sum("queueSent") / n,
      queueReceived: sum("queueReceived") / n,
      queueAcked: sum("queueAcked") / n,
      queueRetried: sum("queueRetried") / n,
      queueOps: (sum("queueSent") + sum("queueReceived") + sum("queueAcked")) / n,
      // The prime app's 50 endpoints cost one gate admit and one report each; they are left out
      // so this is the figure for the measured endpoint (see deliveryRun).
      doRequests:
        (sum("doRequests") - runs.reduce((a, x) => a + (x.doAdjust ?? 0), 0)) /
        Math.max(
          1,
          runs.reduce((a, x) => a + (x.doDeliveries ?? x.delivered), 0),
        ),
      subrequests: sum("subrequests") / n,
      workersRequests:
        (runs.reduce((a, x) => a + x.ingestRequests, 0) +
          runs.reduce((a, x) => a + x.consumerBatches, 0)) /
        n,
      cpuMs: runs.reduce((a, x) => a + x.cpuMs, 0) / n,
    };
  };
  const opsDelivery = perDelivery(
    hDel.map((x) => ({
      ops: x.ops,
      delivered: x.delivered + x.primeDelivered,
      doAdjust: 2 * x.primeDelivered,
      doDeliveries: x.delivered,
      cpuMs: x.cpuMs,
      consumerBatches: x.consumerBatches,
      ingestRequests: x.accepted + x.failed + 1,
    })),
  );
  // Where the operations go: ingest (counters at the end of the enqueue, while the consumer was
  // blocked) per accepted message, and the rest (consumer) per delivery.
  const opsSplit = (() => {
    if (hDel.some((x) => x.ops === null || x.opsAtEnqueueEnd === null)) return null;
    const keys = ["d1Queries", "d1RowsRead", "d1RowsWritten", "queueSent", "doRequests"];
    const messages = hDel.reduce((a, x) => a + x.accepted + 1, 0);
    const deliveries = hDel.reduce((a, x) => a + x.delivered + x.primeDelivered, 0);
    /** @type {Record<string, number>} */
    const ingestPerMessage = {};
    /** @type {Record<string, number>} */
    const consumerPerDelivery = {};
    // The prime endpoints' gate calls (one admit before the release, one report after) are
    // left out, as in perDelivery.
    const primes = hDel.reduce((a, x) => a + x.primeDelivered, 0);
    for (const k of keys) {
      const adjust = k === "doRequests" ? primes : 0;
      const atEnd = hDel.reduce((a, x) => a + (x.opsAtEnqueueEnd?.[k] ?? 0), 0) - adjust;
      const total = hDel.reduce((a, x) => a + (x.ops?.[k] ?? 0), 0) - 2 * adjust;
      ingestPerMessage[k] = atEnd / Math.max(1, messages);
      consumerPerDelivery[k] = (total - atEnd) / Math.max(1, deliveries);
    }
    return { ingestPerMessage, consumerPerDelivery };
  })();
  const opsE2e = perDelivery([
    {
      ops: e2e.ops,
      delivered: e2e.arrived,
      cpuMs: e2e.cpuMs,
      consumerBatches: e2e.consumerBatches,
      ingestRequests: e2e.sent,
    },
  ]);
  const opsFanout = perDelivery([
    {
      ops: fanout.ops,
      delivered: fanout.arrived,
      cpuMs: fanout.cpuMs,
      consumerBatches: fanout.consumerBatches,
      ingestRequests: 1,
    },
  ]);
  const cost = opsDelivery ? costPerMillion(opsDelivery) : null;
  const costE2e = opsE2e ? costPerMillion(opsE2e) : null;
  const costFanout = opsFanout ? costPerMillion(opsFanout) : null;

  const signatures = receiver.totals("/h/");
  const reloadsDuringRun = hook.reloads() + floor.reloads() - reloadsAtStart;

  const latest = {
    ingest: {
      rps: round(hRps, 1),
      p50Ms: round(med(hIngest.map((x) => x.latency.p50)), 1),
      p99Ms: round(med(hIngest.map((x) => x.latency.p99)), 1),
      floorRps: round(fRps, 1),
      ratio: round(hRps / fRps, 2),
    },
    delivery: { dps: round(hDps, 1), floorDps: round(fDps, 1), ratio: round(hDps / fDps, 2) },
    e2e: {
      p50Ms: round(e2e.latency.p50, 0),
      p95Ms: round(e2e.latency.p95, 0),
      p99Ms: round(e2e.latency.p99, 0),
    },
    fanout1000: { seconds: round(fanout.seconds, 2) },
    ops: {
      d1RowsWrittenPerDelivery: round(opsDelivery?.d1RowsWritten, 2),
      d1RowsReadPerDelivery: round(opsDelivery?.d1RowsRead, 2),
      queueOpsPerDelivery: round(opsDelivery?.queueOps, 2),
      doRequestsPerDelivery: round(opsDelivery?.doRequests, 3),
    },
    costPerMillionUsd: cost ? round(cost.total, 2) : null,
    machine,
    date: new Date().toISOString(),
  };

  const targets = [
    {
      name: "ingest >= 0.8x floor",
      value: latest.ingest.ratio,
      met: (latest.ingest.ratio ?? 0) >= 0.8,
    },
    {
      name: "delivery >= 0.7x floor",
      value: latest.delivery.ratio,
      met: (latest.delivery.ratio ?? 0) >= 0.7,
    },
    {
      name: "e2e p50 <= 1500 ms",
      value: latest.e2e.p50Ms,
      met: (latest.e2e.p50Ms ?? Number.POSITIVE_INFINITY) <= 1500,
    },
    {
      name: "fan-out 1000 < 10 s",
      value:
        latest.fanout1000.seconds ??
        `> ${PLAN.caps.fanoutS} s (~${round(fanout.estimatedSeconds, 0)} s est.)`,
      met: (latest.fanout1000.seconds ?? Number.POSITIVE_INFINITY) < 10,
    },
    {
      name: "<= $3 per million",
      value: latest.costPerMillionUsd,
      met: latest.costPerMillionUsd !== null && latest.costPerMillionUsd <= 3,
    },
  ];

  const details = {
    mode: PLAN.mode,
    plan: PLAN,
    hooklaneVars: HOOKLANE_VARS,
    sweepTickS: SWEEP_TICK_S,
    ingest,
    delivery,
    e2e,
    fanout,
    opsPerDelivery: { delivery: opsDelivery, e2e: opsE2e, fanout: opsFanout },
    opsSplit,
    costPerMillionUsd: { delivery: cost, e2e: costE2e, fanout: costFanout },
    prices: PRICES,
    assumptions: ASSUMPTIONS,
    signatures,
    reloadsDuringRun,
    openFileLimit: fileLimit,
    openFilesPeakPerPhase: fdPeaks,
    floorRestarts,
    opsFallback,
    warmupIncomplete,
    targets,
    totalSeconds: (performance.now() - t0) / 1000,
  };

  const dir = join(ROOT, "bench/results");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "latest.json"), `${JSON.stringify(latest, null, 2)}\n`);
  await writeFile(join(dir, "latest.details.json"), `${JSON.stringify(details, null, 2)}\n`);

  // --- table ------------------------------------------------------------------------------------
  const f = (/** @type {number | null | undefined} */ x, d = 1) =>
    x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(d);
  const hP95 = med(hIngest.map((x) => x.latency.p95));
  const fLat = {
    p50: med(fIngest.map((x) => x.latency.p50)),
    p95: med(fIngest.map((x) => x.latency.p95)),
    p99: med(fIngest.map((x) => x.latency.p99)),
  };
  const rows = [
    ["metric", "Hooklane", "floor", "ratio / note"],
    ["ingest req/s", f(hRps), f(fRps), `${f(latest.ingest.ratio, 2)}x (target >= 0.8x)`],
    [
      "ingest p50 / p95 / p99 ms",
      `${f(latest.ingest.p50Ms, 0)} / ${f(hP95, 0)} / ${f(latest.ingest.p99Ms, 0)}`,
      `${f(fLat.p50, 0)} / ${f(fLat.p95, 0)} / ${f(fLat.p99, 0)}`,
      `${PLAN.connections} connections`,
    ],
    [
      "delivery/s (backlog drain)",
      f(hDps),
      f(fDps),
      `${f(latest.delivery.ratio, 2)}x (target >= 0.7x)`,
    ],
    [
      "consumer batch of 50, median ms",
      f(med(hDel.map((x) => x.consumerBatchMs.p50)), 0),
      f(med(fDel.map((x) => x.consumerBatchMs.p50)), 0),
      "during the drain; the local queue runs one batch at a time",
    ],
    [
      "e2e 202->arrival p50/p95/p99 ms",
      `${f(e2e.latency.p50, 0)} / ${f(e2e.latency.p95, 0)} / ${f(e2e.latency.p99, 0)}`,
      "-",
      `at ${e2e.rate}/s (target p50 <= 1500)`,
    ],
    [
      "fan-out 1,000 endpoints s",
      fanout.seconds === null
        ? `> ${PLAN.caps.fanoutS} (${fanout.arrived}/${PLAN.fanout}, ~${f(fanout.estimatedSeconds, 0)} est.)`
        : f(fanout.seconds, 2),
      "-",
      "target < 10 s",
    ],
    [
      "D1 rows written / delivery",
      f(opsDelivery?.d1RowsWritten, 2),
      "-",
      `read ${f(opsDelivery?.d1RowsRead, 1)}, statements ${f(opsDelivery?.d1Queries, 2)}`,
    ],
    [
      "queue ops / delivery",
      f(opsDelivery?.queueOps, 2),
      "-",
      `sent ${f(opsDelivery?.queueSent, 2)} recv ${f(opsDelivery?.queueReceived, 2)} ack ${f(opsDelivery?.queueAcked, 2)}`,
    ],
    [
      "DO requests / delivery",
      f(opsDelivery?.doRequests, 3),
      "-",
      `subrequests ${f(opsDelivery?.subrequests, 2)}`,
    ],
    [
      "workerd CPU ms / delivery",
      f(opsDelivery?.cpuMs ?? mean(hDel.map((x) => x.cpuMs / Math.max(1, x.delivered))), 1),
      f(mean(fDel.map((x) => x.cpuMs / Math.max(1, x.delivered))), 1),
      "ingest + delivery, upper bound",
    ],
    [
      "USD per million deliveries",
      f(cost?.total, 2),
      "-",
      `target <= 3 (e2e phase: ${f(costE2e?.total, 2)}, fan-out: ${f(costFanout?.total, 2)})`,
    ],
    [
      "invalid signatures",
      String(signatures.invalid),
      "-",
      `${signatures.verified} verified, ${signatures.duplicates} duplicate arrivals`,
    ],
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  console.log("");
  for (const [i, r] of rows.entries()) {
    console.log(
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join("  ")
        .trimEnd(),
    );
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
  console.log("");
  for (const t of targets)
    console.log(`${t.met ? "MET   " : "MISSED"} ${t.name}: ${t.value ?? "n/a"}`);
  if (cost) {
    const items = Object.entries(cost.items)
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join(", ");
    console.log(`cost breakdown (USD per million deliveries, prices of ${PRICES.date}): ${items}`);
  }
  if (opsSplit) {
    const show = (/** @type {Record<string, number>} */ o) =>
      `D1 ${f(o.d1Queries, 2)} queries, ${f(o.d1RowsWritten, 1)} rows written, ${f(o.d1RowsRead, 1)} read; ${f(o.queueSent, 2)} queue sends; ${f(o.doRequests, 3)} DO calls`;
    console.log(`where it goes: ingest per message: ${show(opsSplit.ingestPerMessage)}`);
    console.log(`               consumer per delivery: ${show(opsSplit.consumerPerDelivery)}`);
  }
  if (signatures.invalid > 0)
    console.log(`invalid signature samples: ${signatures.samples.join("; ")}`);
  if (opsFallback)
    console.log(
      "NOTE: measured without OPS_COUNTERS (they broke Durable Object calls in this build): ops and cost are n/a.",
    );
  if (reloadsDuringRun > 0)
    console.log(
      `WARNING: wrangler reloaded the Worker ${reloadsDuringRun} time(s) during the measurements (a source file changed); re-run on a quiet tree.`,
    );
  progress("done", `wrote bench/results/latest.json and latest.details.json`);
}

main()
  .catch(async (err) => {
    // After Ctrl+C, requests to the stopping services fail: that is not worth a stack trace.
    if (interrupted) return;
    console.error("[bench] failed:", err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  })
  .finally(async () => {
    progress("stop", "stopping Hooklane, the floor worker and the receiver...");
    await cleanup();
    if (liveGroups.size > 0)
      progress("stop", `process groups still tracked: ${[...liveGroups].join(", ")}`);
    // undici keep-alive sockets and autocannon timers must not hold the process open.
    setTimeout(() => process.exit(), 200).unref();
  });
