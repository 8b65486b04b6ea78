#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench` (`-- --quick` for a run of about 3 minutes): Hooklane side by side with a
 * floor worker (bench/floor: one D1 insert + one queue send per ingest, one fetch + ack per
 * delivery), both under `wrangler dev --local` on this machine, alternating H, F, H, F so drift
 * hits both.
 *
 * Phases, one module each in bench/phases/: (a) ingest throughput and latency (autocannon, fixed
 * concurrency); (b) delivery throughput (drain of an N-message backlog); (c) end-to-end latency
 * 202 -> arrival at a moderate rate (Hooklane only); (d) fan-out of one event to 1,000
 * endpoints; then shapes for the next issue, Hooklane only and through the public API: (e)
 * fan-out 10 (a backlog of messages to 10 endpoints each, drained like (b)); (h) fan-out of one
 * event to 10,000 endpoints (full mode or --fanout10k; run after (e)); (f) 10% retry (one
 * message in ten fails its first request, on a Hooklane of its own with RETRY_SCHEDULE=1,1,1);
 * (g) FIFO backlog (full mode or --fifo); (i) batching (the drain of (b) to an endpoint with
 * `batch`, after (e)). `--shards N --delivery-queues M` start every Hooklane
 * of the run in that shape (scripts/dev.mjs). D1 bytes kept per delivery come from the local D1
 * database's pages in use (read from the SQLite headers, no SQL) around (b), (e) and (i); see
 * bench/lib/d1size.mjs. Operations per successful delivery come from Hooklane's
 * `/__ops` counters (OPS_COUNTERS=true) and are priced with the dated table in
 * bench/lib/pricing.mjs.
 *
 * This file is the orchestrator: options, plan, starting and stopping the services, the phases
 * in order, the results (bench/lib/report.mjs). Writes bench/results/latest.json (the summary
 * docs/BENCHMARKS.md describes) and latest.details.json (everything else measured).
 * Method and results: docs/BENCHMARKS.md.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { apiClient, hooklaneClient, JSON_HEADERS, pool, post } from "./lib/api.mjs";
import { batchLog } from "./lib/batches.mjs";
import { progress } from "./lib/context.mjs";
import { liveGroups, ROOT, startFloor, startHooklane } from "./lib/proc.mjs";
import { startReceiver } from "./lib/receiver.mjs";
import { printSummary, summarize, writeResults } from "./lib/report.mjs";
import { gitInfo, shapeText } from "./lib/runinfo.mjs";
import { watchSockets } from "./lib/sockets.mjs";
import { round, sleep } from "./lib/stats.mjs";
import { batchedRun } from "./phases/batched.mjs";
import { deliveryRun } from "./phases/delivery.mjs";
import { e2eRun } from "./phases/e2e.mjs";
import { fanoutRun } from "./phases/fanout.mjs";
import { fanout10Run } from "./phases/fanout10.mjs";
import { fifoRun } from "./phases/fifo.mjs";
import { ingestRun } from "./phases/ingest.mjs";
import { retryRun } from "./phases/retry.mjs";
import { warmUp } from "./phases/warmup.mjs";

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    connections: { type: "string", default: "16" },
    "no-ops": { type: "boolean", default: false },
    live: { type: "boolean", default: false },
    "max-concurrency": { type: "string" },
    fifo: { type: "boolean", default: false },
    fanout10k: { type: "boolean", default: false },
    shards: { type: "string", default: "1" },
    "delivery-queues": { type: "string", default: "1" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  console.log(`usage: npm run bench [-- --quick] [-- --connections 16]
  --quick        one round, 8 s ingest, 1,000-message backlog, 200 fan-out-10 messages, 500
                 retry messages, no FIFO backlog (about 3 minutes)
  (default)      two rounds, 20 s ingest, 3,000-message backlog, 300 fan-out-10 messages,
                 2,000 retry messages, FIFO backlog of 200 (about 12-16 minutes)
  --connections  autocannon concurrency for the ingest phase (default 16)
  --no-ops       run Hooklane without OPS_COUNTERS (ops and cost then print n/a)
  --max-concurrency N
                 create the bench endpoints with maxConcurrency N (default: the product's
                 default of 10 in flight per endpoint, which caps one endpoint's drain)
  --fifo         run the FIFO backlog in quick mode too (200 messages answered after 1 s
                 each: about 200 s more)
  --fanout10k    run the fan-out to 10,000 endpoints in quick mode too (creating them adds
                 1.5-3 minutes, the fan-out itself about two)
  --shards N     start Hooklane with N D1 shards (scripts/dev.mjs --shards N; default 1)
  --delivery-queues M
                 start Hooklane with M delivery queues (scripts/dev.mjs --delivery-queues M;
                 default 1); the local queue runs one batch at a time per queue
  --live         run Hooklane from the repo itself instead of a snapshot of it taken at start
                 (wrangler dev then reloads the Worker whenever a source file is edited)

phases: (a) ingest, (b) delivery backlog drain, (c) end-to-end latency, (d) fan-out to 1,000
endpoints, (e) fan-out 10: N messages to 10 endpoints each, (h) fan-out to 10,000 endpoints
(full mode or --fanout10k), (f) 10% retry: one message in ten fails its first request (a
second Hooklane with RETRY_SCHEDULE=1,1,1), (g) FIFO backlog, (i) batching: the backlog of (b)
to one endpoint with batch {maxEvents 50, maxWaitMs 1000}; D1 bytes kept per delivery are
measured around (b), (e) and (i)`);
  process.exit(0);
}

/** A count option from 1 to 16 (what scripts/dev.mjs takes). @param {string} name */
function countOption(name) {
  const raw = /** @type {Record<string, unknown>} */ (opts)[name];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 16) {
    console.error(`[bench] --${name} takes a whole number from 1 to 16 (got "${raw}")`);
    process.exit(2);
  }
  return n;
}

const QUICK = opts.quick === true;
/** @type {import("./lib/context.mjs").Plan} */
const PLAN = {
  mode: QUICK ? "quick" : "full",
  /** Endpoints' maxConcurrency; null = the product default (10). */
  endpointMaxConcurrency: opts["max-concurrency"] ? Number(opts["max-concurrency"]) : null,
  rounds: QUICK ? 1 : 2,
  connections: Number(opts.connections),
  ingestSeconds: QUICK ? 8 : 20,
  // Under `wrangler dev` each outbound fetch leaves a socket in CLOSE-WAIT for tens of seconds
  // (docs/BENCHMARKS.md); at ~450 deliveries/s a 5,000 drain plus its ingest passed this
  // machine's 20,000 open files (a hard limit) and workerd refused every request. 3,000 stays
  // well under it.
  backlog: QUICK ? 1_000 : 3_000,
  enqueueConcurrency: 16,
  e2eRate: 50,
  e2eSeconds: QUICK ? 10 : 30,
  fanout: 1_000,
  fanout10k: { endpoints: 10_000, run: !QUICK || opts.fanout10k === true },
  shape: { shards: countOption("shards"), deliveryQueues: countOption("delivery-queues") },
  /** Endpoints of the app whose single fan-out message blocks Hooklane's consumer in phase (b). */
  prime: 50,
  createConcurrency: 16,
  fanout10: { endpoints: 10, messages: QUICK ? 200 : 300 },
  /** One new message in `failEvery` fails its first request; the schedule is its Hooklane's. */
  retry: { messages: QUICK ? 500 : 2_000, failEvery: 10, schedule: "1,1,1" },
  /** About messages x answerMs long: full mode, or quick with --fifo. */
  fifo: { run: !QUICK || opts.fifo === true, messages: 200, answerMs: 1_000 },
  /** Longest waits, so a slow or stuck pipeline is reported as such instead of hanging the run. */
  caps: {
    ingestDrainS: QUICK ? 12 : 120,
    deliveryDrainS: QUICK ? 25 : 300,
    e2eDrainS: QUICK ? 10 : 120,
    // The targets are < 10 s and < 5 s (docs/BENCHMARKS.md, Results); a quick run on a loaded machine
    // still gets a number rather than an estimate.
    fanoutS: QUICK ? 30 : 300,
    fanout10kS: QUICK ? 240 : 600,
    fanout10DrainS: QUICK ? 40 : 300,
    retryS: QUICK ? 60 : 300,
    fifoS: 400,
  },
};
/**
 * Hooklane's settings: wrangler.toml defaults (retry schedule, queue batch size 50 and timeout
 * 1 s, MAX_ENDPOINTS 10,000) plus the bench's vars. REQUEST_TIMEOUT_MS is raised only so the
 * receiver may park one batch for as long as the backlog of phase (b) takes to build; it changes
 * nothing while receivers answer in under a millisecond. SWEEP_TICK_S=0: no sweeper runs during
 * measurements. Ingest takes any fan-out (wide ones go to the queue as range tasks); the
 * fan-out apps set their own `maxEndpoints`, so no var is needed for them.
 */
const HOOKLANE_VARS = {
  OPS_COUNTERS: opts["no-ops"] ? "false" : "true",
  ALLOW_INSECURE_TARGETS: "true",
  REQUEST_TIMEOUT_MS: "300000",
};
/** Added for the Hooklane of phase (f) only: retries about a second apart. */
const RETRY_VARS = { RETRY_SCHEDULE: PLAN.retry.schedule };
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
/** What a sender's payload weighs, taken out of the D1 bytes kept per delivery. */
const PAYLOAD_BYTES = Buffer.byteLength(JSON.stringify(EVENT.payload));

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
  progress("start", `Hooklane shape: ${shapeText(PLAN.shape)}`);

  // --- services -------------------------------------------------------------------------------
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  progress("start", `receiver on ${receiver.base}; starting Hooklane and the floor worker...`);

  const startedAt = performance.now();
  // The main Hooklane's `delivery batch` lines, for the fan-out phases' step timings.
  const batches = batchLog();
  const [hookResult, floorResult] = await Promise.allSettled([
    startHooklane({
      vars: HOOKLANE_VARS,
      sweepTickS: SWEEP_TICK_S,
      live: opts.live === true,
      onLine: batches.onLine,
      ...PLAN.shape,
    }),
    startFloor({ targetBase: receiver.base }),
  ]);
  if (hookResult.status === "rejected" || floorResult.status === "rejected") {
    // Stop the one that did start before reporting why the other did not.
    await Promise.allSettled(
      [hookResult, floorResult].map((x) => (x.status === "fulfilled" ? x.value.stop() : null)),
    );
    throw hookResult.status === "rejected"
      ? hookResult.reason
      : /** @type {PromiseRejectedResult} */ (floorResult).reason;
  }
  let hook = hookResult.value;
  let floor = floorResult.value;
  // `hook` may be replaced once (see the probe below): stop the current one.
  cleanups.push(() => hook.stop());
  // `floor` may be replaced by a fresh one between phases (see restartFloor): stop the current one.
  cleanups.push(() => floor.stop());
  /** The Hooklane of phase (f), started for it alone. @type {typeof hook | undefined} */
  let retryHook;
  /** Output of floor processes replaced during the run, kept for the log file. */
  let floorLogsBefore = "";
  cleanups.push(async () => {
    // Keep the last run's logs for a post-mortem (gitignored: *.log).
    const dir = join(ROOT, "bench/results");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "last-hooklane.log"), hook.logs());
    await writeFile(join(dir, "last-floor.log"), floorLogsBefore + floor.logs());
    if (retryHook) await writeFile(join(dir, "last-hooklane-retry.log"), retryHook.logs());
  });
  progress(
    "start",
    `Hooklane ${hook.baseUrl} and floor ${floor.baseUrl} ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
  );

  let floorRestarts = 0;
  const sockets = watchSockets({
    services: () => ({ hook, floor }),
    quick: QUICK,
    // A fresh floor (new state), warmed up with 20 messages.
    restartFloor: async () => {
      floorLogsBefore += floor.logs();
      await floor.stop();
      floor = await startFloor({ targetBase: receiver.base });
      floorRestarts++;
      await pool(20, 4, async () => {
        await post(`${floor.baseUrl}/ingest/warm`, JSON_HEADERS, EVENT_JSON);
      });
      await receiver.waitFor("/f/warm", receiver.count("/f/warm") + 20, 15_000);
    },
  });
  cleanups.push(async () => sockets.stop());

  // A probe delivery before anything else. With OPS_COUNTERS on, a build whose counting
  // wrappers break Durable Object calls defers every delivery forever ("gate unreachable"); then
  // the run goes on without the counters (ops and cost read n/a) instead of failing.
  let opsFallback = false;
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
        onLine: batches.onLine,
        ...PLAN.shape,
      });
      opsFallback = true;
    }
  }

  const setup = {
    createConcurrency: PLAN.createConcurrency,
    endpointMaxConcurrency: PLAN.endpointMaxConcurrency,
  };
  const client = hooklaneClient(hook, receiver, setup);
  const opsProbe = await client.api("/__ops");
  const opsAvailable = opsProbe.status === 200;
  progress(
    "start",
    opsAvailable
      ? "ops counters: on"
      : `ops counters: n/a (GET /__ops answered ${opsProbe.status})`,
  );
  /** @type {import("./lib/context.mjs").Bench} */
  const b = {
    plan: PLAN,
    receiver,
    get hook() {
      return hook;
    },
    get floor() {
      return floor;
    },
    client,
    opsAvailable,
    eventJson: EVENT_JSON,
    payloadBytes: PAYLOAD_BYTES,
    beforePhase: sockets.beforePhase,
    afterPhase: sockets.afterPhase,
    batches,
  };

  // --- apps, endpoints and warm-up --------------------------------------------------------------
  // The fan-out endpoints (1,000, and 10,000 when that phase runs) are created while the other
  // apps are set up and warmed up (setup, not measured; every measurement starts after they
  // all exist). Each has its own receiver path and its own signing secret (a private profile,
  // what an endpoint created without `authProfileId` gets), so the consumer opens one secret per
  // endpoint as it would for distinct customers, and the receiver checks each with its own.
  /**
   * @param {string} name
   * @param {string} bucket
   * @param {number} n
   */
  const fanoutAppOf = (name, bucket, n) => {
    const t0 = performance.now();
    const made = client
      .makeApp(
        name,
        Array.from({ length: n }, (_, i) => `${bucket}/${i}`),
        {},
        { maxEndpoints: n },
      )
      .then((app) => ({ app, seconds: (performance.now() - t0) / 1000 }));
    made.catch(() => {});
    return made;
  };
  const fanoutApp = fanoutAppOf("bench-fanout", "/h/fan", PLAN.fanout);
  const fanout10kApp = PLAN.fanout10k.run
    ? fanoutAppOf("bench-fanout-10k", "/h/fan10k", PLAN.fanout10k.endpoints)
    : null;

  const apps = {
    /** @type {import("./lib/context.mjs").App[]} */
    ingest: [],
    /** @type {import("./lib/context.mjs").App[]} */
    delivery: [],
  };
  for (let r = 1; r <= PLAN.rounds; r++) {
    apps.ingest.push(await client.makeApp(`bench-ingest-${r}`, [`/h/ingest${r}`]));
    apps.delivery.push(await client.makeApp(`bench-delivery-${r}`, [`/h/dlv${r}`]));
  }
  const e2eApp = await client.makeApp("bench-e2e", ["/h/e2e"]);
  const warmApp = await client.makeApp("bench-warmup", ["/h/warm"]);
  const primeApp = await client.makeApp(
    "bench-prime",
    Array.from({ length: PLAN.prime }, (_, i) => `/h/prime/${i}`),
  );

  const warmupIncomplete = await warmUp(b, {
    ...apps,
    e2e: e2eApp,
    warm: warmApp,
    prime: primeApp,
  });
  const { seconds } = await fanoutApp;
  progress("setup", `${PLAN.fanout} fan-out endpoints created in ${seconds.toFixed(1)} s`);
  if (fanout10kApp) {
    progress("setup", `waiting for the ${PLAN.fanout10k.endpoints} fan-out endpoints...`);
    const made = await fanout10kApp;
    progress(
      "setup",
      `${PLAN.fanout10k.endpoints} fan-out endpoints created in ${made.seconds.toFixed(1)} s`,
    );
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

  // --- (a) ingest and (b) delivery, alternating -------------------------------------------------
  /** @type {Awaited<ReturnType<typeof ingestRun>>[]} */
  const ingest = [];
  for (let r = 1; r <= PLAN.rounds; r++) {
    ingest.push(await ingestRun(b, apps, baseCount.ingest, "H", r));
    ingest.push(await ingestRun(b, apps, baseCount.ingest, "F", r));
  }
  /** @type {Awaited<ReturnType<typeof deliveryRun>>[]} */
  const delivery = [];
  for (let r = 1; r <= PLAN.rounds; r++) {
    delivery.push(await deliveryRun(b, { ...apps, prime: primeApp }, baseCount.dlv, "H", r));
    delivery.push(await deliveryRun(b, { ...apps, prime: primeApp }, baseCount.dlv, "F", r));
  }

  // --- (c) end-to-end latency, (d) fan-out 1,000, (e) fan-out 10, (i) batching, (h) 10,000 -----
  const e2e = await e2eRun(b, e2eApp, baseCount.e2e, ingest);
  const fanout = await fanoutRun(b, fanoutApp, {
    phase: "fan-out H",
    bucket: "/h/fan",
    endpoints: PLAN.fanout,
    capS: PLAN.caps.fanoutS,
    warm: true,
  });
  const fanout10 = await fanout10Run(b, primeApp);
  const batching = await batchedRun(b, primeApp);
  // After (e) and (i): the 10,000 requests leave more sockets behind than any other phase (see
  // docs/BENCHMARKS.md), and (f) runs on a Hooklane of its own.
  const fanout10k = fanout10kApp
    ? await fanoutRun(b, fanout10kApp, {
        phase: "fan-out 10k H",
        bucket: "/h/fan10k",
        endpoints: PLAN.fanout10k.endpoints,
        capS: PLAN.caps.fanout10kS,
      })
    : null;
  if (!fanout10k) progress("fan-out 10k H", "skipped in quick mode (pass --fanout10k to run it)");

  // --- (f) 10% retry, on a Hooklane of its own ------------------------------------------------
  // Only this phase runs with RETRY_SCHEDULE=1,1,1, so no other phase is measured under a
  // schedule it was not meant to have, whatever the server does with it.
  progress(
    "retry 10% H",
    `starting a second Hooklane with RETRY_SCHEDULE=${RETRY_VARS.RETRY_SCHEDULE}...`,
  );
  const retryVars = {
    ...HOOKLANE_VARS,
    ...(opsFallback ? { OPS_COUNTERS: "false" } : {}),
    ...RETRY_VARS,
  };
  const r0 = performance.now();
  retryHook = await startHooklane({
    vars: retryVars,
    sweepTickS: SWEEP_TICK_S,
    live: opts.live === true,
    ...PLAN.shape,
  });
  const retryService = retryHook;
  cleanups.push(() => retryService.stop());
  progress(
    "retry 10% H",
    `Hooklane ${retryHook.baseUrl} ready in ${((performance.now() - r0) / 1000).toFixed(1)} s`,
  );
  const retryClient = hooklaneClient(retryHook, receiver, setup);
  const retry = await retryRun(b, {
    hook: retryHook,
    client: retryClient,
    opsAvailable: (await retryClient.api("/__ops")).status === 200,
  });
  const reloadsRetry = retryHook.reloads();
  await retryHook.stop();

  // --- (g) FIFO backlog -------------------------------------------------------------------------
  const fifo = PLAN.fifo.run ? await fifoRun(b) : null;
  if (!fifo) progress("fifo H", "skipped in quick mode (pass --fifo to run it)");

  // --- results ----------------------------------------------------------------------------------
  const summary = summarize({
    plan: PLAN,
    hooklaneVars: HOOKLANE_VARS,
    sweepTickS: SWEEP_TICK_S,
    retryVars: RETRY_VARS,
    payloadBytes: PAYLOAD_BYTES,
    machine,
    git,
    loadAverage: { atStart: loadAvgAtStart, atEnd: os.loadavg().map((x) => round(x, 2)) },
    ingest,
    delivery,
    e2e,
    fanout,
    fanout10,
    batching,
    fanout10k,
    retry,
    fifo,
    signatures: receiver.totals("/h/"),
    reloadsDuringRun: hook.reloads() + floor.reloads() - reloadsAtStart + reloadsRetry,
    openFileLimit: sockets.fileLimit,
    openFilesPeakPerPhase: sockets.peaks,
    floorRestarts,
    opsFallback,
    warmupIncomplete,
  });
  await writeResults(summary);
  printSummary(summary);
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
