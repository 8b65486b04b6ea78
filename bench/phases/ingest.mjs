// @ts-check
/**
 * Phase (a), ingest throughput and latency: autocannon at a fixed concurrency against Hooklane
 * (H) or the floor (F) for a fixed time; 202s per second, their latency, workerd CPU per
 * request, then the drain of what was accepted.
 */
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { JSON_HEADERS } from "../lib/api.mjs";
import { drain, progress } from "../lib/context.mjs";
import { summary } from "../lib/stats.mjs";

/**
 * One ingest run. `before`: the bucket's arrivals before it (warm-up), for Hooklane's buckets.
 * @param {import("../lib/context.mjs").Bench} b
 * @param {{ ingest: import("../lib/context.mjs").App[] }} apps
 * @param {Record<string, number>} baseCount arrivals per Hooklane bucket after the warm-up
 * @param {"H" | "F"} who
 * @param {number} r round
 */
export async function ingestRun(b, apps, baseCount, who, r) {
  const { receiver, plan } = b;
  const phase = `ingest ${who} r${r}`;
  await b.beforePhase(phase);
  const bucket = who === "H" ? `/h/ingest${r}` : `/f/ingest${r}`;
  const before = who === "H" ? (baseCount[bucket] ?? 0) : receiver.count(bucket);
  const url =
    who === "H" ? (apps.ingest[r - 1]?.messagesUrl ?? "") : `${b.floor.baseUrl}/ingest/ingest${r}`;
  /** @type {number[]} */
  const latencies = [];
  let ok = 0;
  let other = 0;
  const svc = who === "H" ? b.hook : b.floor;
  const cpu0 = svc.cpuMs();
  const a0 = performance.now();
  const instance = autocannon({
    url,
    method: "POST",
    headers: who === "H" ? b.client.auth : JSON_HEADERS,
    body: b.eventJson,
    connections: plan.connections,
    duration: plan.ingestSeconds,
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
  const dr = await drain(receiver, phase, bucket, before + ok, plan.caps.ingestDrainS * 1000);
  progress(
    phase,
    `deliveries drained: ${dr.seen - before}/${ok} in ${dr.seconds.toFixed(1)} s${dr.done ? "" : " (TIMED OUT)"}`,
  );
  b.afterPhase(phase);
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
}
