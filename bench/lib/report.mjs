// @ts-check
/**
 * From the phases' measurements to bench/results/latest.json (the summary shape docs/BENCHMARKS.md describes, plus
 * the shapes added since), latest.details.json (everything else) and the printed table.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { batchingSummary } from "../phases/batched.mjs";
import { startedAt } from "./context.mjs";
import { backlogOps, d1Kept, med, opsKeys, perDelivery } from "./perdelivery.mjs";
import { ASSUMPTIONS, costPerMillion, PRICES } from "./pricing.mjs";
import { ROOT } from "./proc.mjs";
import { mean, round } from "./stats.mjs";

/**
 * @typedef {object} RunResults everything a run measured and how it was set up
 * @property {import("./context.mjs").Plan} plan
 * @property {Record<string, string>} hooklaneVars
 * @property {string} sweepTickS
 * @property {Record<string, string>} retryVars vars of the Hooklane of the retry shape (besides hooklaneVars)
 * @property {number} payloadBytes
 * @property {{ cpu: string, cores: number, memoryGb: number | null, node: string, os: string }} machine
 * @property {{ commit: string, dirtyFiles: number }} git what was measured (the working tree)
 * @property {{ atStart: (number | null)[], atEnd: (number | null)[] }} loadAverage 1, 5, 15 min
 * @property {Awaited<ReturnType<typeof import("../phases/ingest.mjs").ingestRun>>[]} ingest
 * @property {Awaited<ReturnType<typeof import("../phases/delivery.mjs").deliveryRun>>[]} delivery
 * @property {Awaited<ReturnType<typeof import("../phases/e2e.mjs").e2eRun>>} e2e
 * @property {Awaited<ReturnType<typeof import("../phases/fanout.mjs").fanoutRun>>} fanout
 * @property {Awaited<ReturnType<typeof import("../phases/fanout10.mjs").fanout10Run>>} fanout10
 * @property {import("../phases/batched.mjs").BatchedRun} batching
 * @property {Awaited<ReturnType<typeof import("../phases/fanout.mjs").fanoutRun>> | null} fanout10k null when skipped
 * @property {Awaited<ReturnType<typeof import("../phases/retry.mjs").retryRun>>} retry
 * @property {Awaited<ReturnType<typeof import("../phases/fifo.mjs").fifoRun>> | null} fifo null when skipped
 * @property {ReturnType<import("./context.mjs").Receiver["totals"]>} signatures
 * @property {number} reloadsDuringRun
 * @property {number | null} openFileLimit
 * @property {Record<string, { hook: number, floor: number }>} openFilesPeakPerPhase
 * @property {number} floorRestarts
 * @property {boolean} opsFallback
 * @property {string | null} warmupIncomplete
 */

/**
 * Everything derived from a run: latest.json, latest.details.json and the table's figures.
 * @param {RunResults} r
 */
export function summarize(r) {
  const { plan, ingest, delivery, e2e, fanout, fanout10, fanout10k, retry, fifo } = r;
  const pooled = (/** @type {"H" | "F"} */ who) => ingest.filter((x) => x.who === who);
  const hIngest = pooled("H");
  const fIngest = pooled("F");
  const hRps = mean(hIngest.map((x) => x.rps));
  const fRps = mean(fIngest.map((x) => x.rps));
  const hDel = delivery.filter((x) => x.who === "H");
  const fDel = delivery.filter((x) => x.who === "F");
  const hDps = mean(hDel.map((x) => x.dps));
  const fDps = mean(fDel.map((x) => x.dps));

  // Ops per successful delivery, over the Hooklane delivery phases (ingest + delivery + any
  // deferrals of N messages to one endpoint).
  const opsDelivery = backlogOps(hDel);
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
  const opsFanout10k = fanout10k
    ? perDelivery([
        {
          ops: fanout10k.ops,
          delivered: fanout10k.arrived,
          cpuMs: fanout10k.cpuMs,
          consumerBatches: fanout10k.consumerBatches,
          ingestRequests: 1,
        },
      ])
    : null;
  const opsFanout10 = backlogOps([fanout10]);
  const opsRetry = perDelivery([
    {
      ops: retry.ops,
      delivered: retry.succeeded,
      cpuMs: retry.cpuMs,
      consumerBatches: retry.consumerBatches,
      ingestRequests: retry.accepted + retry.failed,
    },
  ]);
  const opsFifo = fifo
    ? perDelivery([
        {
          ops: fifo.ops,
          delivered: fifo.arrived,
          cpuMs: fifo.cpuMs,
          consumerBatches: fifo.consumerBatches,
          ingestRequests: fifo.accepted + fifo.failed,
        },
      ])
    : null;
  const cost = opsDelivery ? costPerMillion(opsDelivery) : null;
  const costE2e = opsE2e ? costPerMillion(opsE2e) : null;
  const costFanout = opsFanout ? costPerMillion(opsFanout) : null;
  const costFanout10k = opsFanout10k ? costPerMillion(opsFanout10k) : null;
  const costFanout10 = opsFanout10 ? costPerMillion(opsFanout10) : null;
  const costRetry = opsRetry ? costPerMillion(opsRetry) : null;
  const d1Delivery = d1Kept(hDel, r.payloadBytes);
  const d1Fanout10 = d1Kept([fanout10], r.payloadBytes);
  const batching = batchingSummary(r.batching, hDel, r.payloadBytes);

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
    fanout1000: { seconds: round(fanout.seconds, 2), warmSeconds: round(fanout.warmSeconds, 2) },
    /** null when the phase did not run (quick mode without --fanout10k) or did not finish. */
    fanout10000: { seconds: round(fanout10k?.seconds, 2) },
    ops: opsKeys(opsDelivery),
    costPerMillionUsd: cost ? round(cost.total, 2) : null,
    /** N messages to an app of 10 endpoints, drained like phase (b). */
    fanout10: {
      dps: round(fanout10.dps, 1),
      ops: opsKeys(opsFanout10),
      costPerMillionUsd: costFanout10 ? round(costFanout10.total, 2) : null,
    },
    /** N messages to one endpoint with `batch`, drained like (b), beside (b)'s figures. */
    batching: batching.latest,
    /** One message in ten fails its first request; ops per successful delivery. */
    retry10pct: {
      failedFirst: retry.failedFirst,
      ops: opsKeys(opsRetry),
      costPerMillionUsd: costRetry ? round(costRetry.total, 2) : null,
    },
    /** Growth of the D1 databases (pages in use) per delivery, less the senders' payloads. */
    d1BytesPerDelivery: {
      delivery: round(d1Delivery?.perDeliveryExclPayload, 0),
      fanout10: round(d1Fanout10?.perDeliveryExclPayload, 0),
    },
    /** null values when the phase did not run (quick mode without --fifo). */
    fifoBacklog: {
      queueReceivedPerDelivery: round(fifo?.queueReceivedPerDelivery, 2),
      inOrder: fifo ? fifo.inOrder : null,
    },
    machine: r.machine,
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
        `> ${plan.caps.fanoutS} s (~${round(fanout.estimatedSeconds, 0)} s est.)`,
      met: (latest.fanout1000.seconds ?? Number.POSITIVE_INFINITY) < 10,
    },
    {
      name: "fan-out 1000 < 5 s (scale-out)",
      value:
        latest.fanout1000.seconds ??
        `> ${plan.caps.fanoutS} s (~${round(fanout.estimatedSeconds, 0)} s est.)`,
      met: (latest.fanout1000.seconds ?? Number.POSITIVE_INFINITY) < 5,
    },
    {
      name: "<= $3 per million",
      value: latest.costPerMillionUsd,
      met: latest.costPerMillionUsd !== null && latest.costPerMillionUsd <= 3,
    },
  ];

  const details = {
    mode: plan.mode,
    /** The Hooklanes' shape: `scripts/dev.mjs --shards N --delivery-queues M`. */
    shape: plan.shape,
    git: r.git,
    loadAverage: r.loadAverage,
    plan,
    hooklaneVars: r.hooklaneVars,
    sweepTickS: r.sweepTickS,
    ingest,
    delivery,
    e2e,
    fanout,
    fanout10k: fanout10k ?? { skipped: "quick mode without --fanout10k" },
    opsPerDelivery: {
      delivery: opsDelivery,
      e2e: opsE2e,
      fanout: opsFanout,
      fanout10k: opsFanout10k,
      fanout10: opsFanout10,
      retry10pct: opsRetry,
      fifo: opsFifo,
    },
    opsSplit,
    costPerMillionUsd: {
      delivery: cost,
      e2e: costE2e,
      fanout: costFanout,
      fanout10k: costFanout10k,
      fanout10: costFanout10,
      retry10pct: costRetry,
    },
    prices: PRICES,
    assumptions: ASSUMPTIONS,
    signatures: r.signatures,
    reloadsDuringRun: r.reloadsDuringRun,
    openFileLimit: r.openFileLimit,
    openFilesPeakPerPhase: r.openFilesPeakPerPhase,
    floorRestarts: r.floorRestarts,
    opsFallback: r.opsFallback,
    warmupIncomplete: r.warmupIncomplete,
    targets,
    fanout10,
    batching: batching.details,
    retry10pct: { ...retry, hooklaneVars: r.retryVars },
    fifo: fifo ?? { skipped: "quick mode without --fifo" },
    d1BytesPerDelivery: {
      payloadBytes: r.payloadBytes,
      delivery: d1Delivery,
      fanout10: d1Fanout10,
    },
    totalSeconds: (performance.now() - startedAt) / 1000,
  };

  const shown = {
    plan,
    hRps,
    fRps,
    hDps,
    fDps,
    hIngest,
    fIngest,
    hDel,
    fDel,
    e2e,
    fanout,
    fanout10,
    fanout10k,
    retry,
    fifo,
    opsDelivery,
    opsSplit,
    opsFanout10,
    batchingRows: batching.rows,
    opsRetry,
    cost,
    costE2e,
    costFanout,
    costFanout10k,
    costFanout10,
    costRetry,
    d1Delivery,
    d1Fanout10,
    payloadBytes: r.payloadBytes,
    signatures: r.signatures,
    opsFallback: r.opsFallback,
    reloadsDuringRun: r.reloadsDuringRun,
  };
  return { latest, details, targets, shown };
}

/**
 * Writes bench/results/latest.json and latest.details.json.
 * @param {ReturnType<typeof summarize>} s
 */
export async function writeResults(s) {
  const dir = join(ROOT, "bench/results");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "latest.json"), `${JSON.stringify(s.latest, null, 2)}\n`);
  await writeFile(join(dir, "latest.details.json"), `${JSON.stringify(s.details, null, 2)}\n`);
}

/**
 * Prints the table (metric, Hooklane, floor, note), the targets and the notes under them.
 * @param {ReturnType<typeof summarize>} s
 */
export function printSummary(s) {
  const { latest, targets } = s;
  const { plan, e2e, fanout, fanout10, fanout10k, retry, fifo, opsDelivery, cost, signatures } =
    s.shown;
  const { hIngest, fIngest, hDel, fDel } = s.shown;
  const f = (/** @type {number | null | undefined} */ x, d = 1) =>
    x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(d);
  /** Rows written / read, queue ops, DO requests per delivery. @param {ReturnType<typeof perDelivery>} o */
  const opsCell = (o) =>
    `${f(o?.d1RowsWritten, 2)} / ${f(o?.d1RowsRead, 1)}, ${f(o?.queueOps, 2)}, ${f(o?.doRequests, 3)}`;
  const hP95 = med(hIngest.map((x) => x.latency.p95));
  const fLat = {
    p50: med(fIngest.map((x) => x.latency.p50)),
    p95: med(fIngest.map((x) => x.latency.p95)),
    p99: med(fIngest.map((x) => x.latency.p99)),
  };
  const { shards, deliveryQueues } = plan.shape;
  /** A fan-out phase's seconds, or how far it got. @param {NonNullable<typeof fanout10k>} x @param {number} capS */
  const fanoutCell = (x, capS) =>
    x.seconds === null
      ? `> ${capS} (${x.arrived}/${x.endpoints}, ~${f(x.estimatedSeconds, 0)} est.)`
      : f(x.seconds, 2);
  /** Batches and step medians of a fan-out phase. @param {NonNullable<typeof fanout10k>} x */
  const stepsCell = (x) =>
    `${x.steps.batches} batches of ~${f(x.steps.firstTriesP50, 0)}, step medians: load ${f(x.steps.steps.load, 0)}, admit ${f(x.steps.steps.admit, 0)}, send ${f(x.steps.steps.send, 0)}, record ${f(x.steps.steps.record, 0)} ms`;
  const rows = [
    [
      "metric",
      `Hooklane (${shards} shard${shards === 1 ? "" : "s"}, ${deliveryQueues} queue${deliveryQueues === 1 ? "" : "s"})`,
      "floor",
      "ratio / note",
    ],
    [
      "ingest req/s",
      f(s.shown.hRps),
      f(s.shown.fRps),
      `${f(latest.ingest.ratio, 2)}x (target >= 0.8x)`,
    ],
    [
      "ingest p50 / p95 / p99 ms",
      `${f(latest.ingest.p50Ms, 0)} / ${f(hP95, 0)} / ${f(latest.ingest.p99Ms, 0)}`,
      `${f(fLat.p50, 0)} / ${f(fLat.p95, 0)} / ${f(fLat.p99, 0)}`,
      `${plan.connections} connections`,
    ],
    [
      "delivery/s (backlog drain)",
      f(s.shown.hDps),
      f(s.shown.fDps),
      `${latest.delivery.ratio === null ? "n/a" : `${f(latest.delivery.ratio, 2)}x`} (target >= 0.7x)${deliveryQueues > 1 ? `; not a clean drain with ${deliveryQueues} queues (see below)` : ""}`,
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
      fanoutCell(fanout, plan.caps.fanoutS),
      "-",
      `target < 10 s (scale-out: < 5 s); a second event (gates made): ${fanout.warmSeconds === null || fanout.warmSeconds === undefined ? "n/a" : `${fanout.warmSeconds.toFixed(2)} s`}; ${stepsCell(fanout)}`,
    ],
    [
      "fan-out 10,000 endpoints s",
      fanout10k ? fanoutCell(fanout10k, plan.caps.fanout10kS) : "skipped",
      "-",
      fanout10k
        ? `${fanout10k.signatures.verified} signatures verified, ${fanout10k.signatures.invalid} invalid; ${stepsCell(fanout10k)}`
        : "runs in full mode or with --fanout10k",
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
      `target <= 3 (e2e phase: ${f(s.shown.costE2e?.total, 2)}, fan-out: ${f(s.shown.costFanout?.total, 2)}${fanout10k ? `, fan-out 10,000: ${f(s.shown.costFanout10k?.total, 2)}` : ""})`,
    ],
    [
      "fan-out 10 delivery/s",
      f(fanout10.dps),
      "-",
      `${fanout10.delivered}/${fanout10.accepted * fanout10.endpoints} delivered; ${fanout10.messages} messages x ${fanout10.endpoints} endpoints`,
    ],
    [
      "fan-out 10 rows w / r, queue, DO",
      opsCell(s.shown.opsFanout10),
      "-",
      `per delivery; USD per million ${f(s.shown.costFanout10?.total, 2)}`,
    ],
    ...s.shown.batchingRows,
    [
      "10% retry rows w / r, queue, DO",
      opsCell(s.shown.opsRetry),
      "-",
      `per successful delivery (${retry.succeeded}/${retry.accepted}, ${retry.failedFirst} failed first); USD per million ${f(s.shown.costRetry?.total, 2)}`,
    ],
    [
      "D1 bytes kept / delivery",
      f(s.shown.d1Delivery?.perDeliveryExclPayload, 0),
      "-",
      `beyond the ${s.shown.payloadBytes}-byte payload; fan-out 10: ${f(s.shown.d1Fanout10?.perDeliveryExclPayload, 0)} (file sizes: ${f(s.shown.d1Delivery?.filesPerDeliveryExclPayload, 0)} / ${f(s.shown.d1Fanout10?.filesPerDeliveryExclPayload, 0)})`,
    ],
    [
      "FIFO queue msgs recv / delivery",
      fifo ? f(fifo.queueReceivedPerDelivery, 2) : "skipped",
      "-",
      fifo
        ? `${fifo.arrived}/${fifo.messages} answered after ${fifo.answerMs} ms each, ${fifo.inOrder ? "in message order" : `${fifo.outOfOrder} out of order`}`
        : "runs in full mode or with --fifo",
    ],
    [
      "invalid signatures",
      String(signatures.invalid),
      "-",
      `${signatures.verified} verified, ${signatures.duplicates} duplicate arrivals${signatures.retries > 0 ? `, ${signatures.retries} retries after a 500` : ""}`,
    ],
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((row) => (row[c] ?? "").length)));
  console.log("");
  for (const [i, row] of rows.entries()) {
    console.log(
      row
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
  const { opsSplit } = s.shown;
  if (opsSplit) {
    const show = (/** @type {Record<string, number>} */ o) =>
      `D1 ${f(o.d1Queries, 2)} queries, ${f(o.d1RowsWritten, 1)} rows written, ${f(o.d1RowsRead, 1)} read; ${f(o.queueSent, 2)} queue sends; ${f(o.doRequests, 3)} DO calls`;
    console.log(`where it goes: ingest per message: ${show(opsSplit.ingestPerMessage)}`);
    console.log(`               consumer per delivery: ${show(opsSplit.consumerPerDelivery)}`);
  }
  if (signatures.invalid > 0)
    console.log(`invalid signature samples: ${signatures.samples.join("; ")}`);
  if (deliveryQueues > 1)
    console.log(
      `NOTE: with ${deliveryQueues} delivery queues the prime message's deliveries split over the queues, so no queue gets a full parked batch and the local queue starts further batches while the backlog of (b) and (e) builds ("batches finished meanwhile" above 0): their drain figures are not comparable; measure them with --delivery-queues 1.`,
    );
  if (s.shown.opsFallback)
    console.log(
      "NOTE: measured without OPS_COUNTERS (they broke Durable Object calls in this build): ops and cost are n/a.",
    );
  if (s.shown.reloadsDuringRun > 0)
    console.log(
      `WARNING: wrangler reloaded the Worker ${s.shown.reloadsDuringRun} time(s) during the measurements (a source file changed); re-run on a quiet tree.`,
    );
}
