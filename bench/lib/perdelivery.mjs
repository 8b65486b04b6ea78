// @ts-check
/**
 * Operations per successful delivery from a phase's `/__ops` counters, and D1 bytes kept per
 * delivery over backlog runs: what bench/lib/report.mjs and the phases' own summaries
 * (phases/batched.mjs) derive their figures from.
 */
import { keptPerDelivery } from "./d1size.mjs";
import { round } from "./stats.mjs";

/**
 * Ops per successful delivery over some runs: the `/__ops` counters summed, over deliveries.
 * @param {{ ops: Record<string, number> | null, delivered: number, cpuMs: number, consumerBatches: number, ingestRequests: number, doAdjust?: number, doDeliveries?: number }[]} runs
 */
export function perDelivery(runs) {
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
    // so this is the figure for the measured endpoint (see backlogRun).
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
}

/**
 * The backlog runs' counters as perDelivery takes them: the prime deliveries count as
 * deliveries, their gate calls do not.
 * @param {Awaited<ReturnType<typeof import("../phases/delivery.mjs").backlogRun>>[]} runs
 */
export function backlogOps(runs) {
  return perDelivery(
    runs.map((x) => ({
      ops: x.ops,
      delivered: x.delivered + x.primeDelivered,
      doAdjust: 2 * x.primeDelivered,
      doDeliveries: x.delivered,
      cpuMs: x.cpuMs,
      consumerBatches: x.consumerBatches,
      ingestRequests: x.accepted + x.failed + 1,
    })),
  );
}

/** The four per-delivery figures latest.json keeps. @param {ReturnType<typeof perDelivery>} per */
export function opsKeys(per) {
  return {
    d1RowsWrittenPerDelivery: round(per?.d1RowsWritten, 2),
    d1RowsReadPerDelivery: round(per?.d1RowsRead, 2),
    queueOpsPerDelivery: round(per?.queueOps, 2),
    doRequestsPerDelivery: round(per?.doRequests, 3),
  };
}

/**
 * D1 bytes kept per delivery beyond the payloads over backlog runs, from the pages in use and
 * from the file sizes (null when a run was not measured).
 * @param {{ d1: import("../phases/delivery.mjs").D1Growth | null }[]} runs
 * @param {number} payloadBytes
 */
export function d1Kept(runs, payloadBytes) {
  if (runs.length === 0 || runs.some((x) => x.d1 === null)) return null;
  const total = (/** @type {"growth" | "fileGrowth" | "messages" | "deliveries"} */ k) =>
    runs.reduce((a, x) => a + (x.d1?.[k] ?? 0), 0);
  const messages = total("messages");
  const deliveries = total("deliveries");
  const pages = keptPerDelivery({ growth: total("growth"), messages, deliveries, payloadBytes });
  const files = keptPerDelivery({
    growth: total("fileGrowth"),
    messages,
    deliveries,
    payloadBytes,
  });
  return {
    messages,
    deliveries,
    growth: total("growth"),
    fileGrowth: total("fileGrowth"),
    perDeliveryExclPayload: pages?.perDeliveryExclPayload ?? null,
    filesPerDeliveryExclPayload: files?.perDeliveryExclPayload ?? null,
  };
}

/** Median; NaN for no samples. @param {number[]} xs */
export function med(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : ((s[Math.floor((s.length - 1) / 2)] ?? 0) + (s[Math.ceil((s.length - 1) / 2)] ?? 0)) / 2;
}
