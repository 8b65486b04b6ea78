// @ts-check
/**
 * Phase (c), end-to-end latency: messages at a moderate steady rate (Hooklane only), each timed
 * from its 202 to its arrival at the receiver.
 */
import { performance } from "node:perf_hooks";
import { post } from "../lib/api.mjs";
import { DELIVERY_QUEUES, drain, progress, queueStatsOf } from "../lib/context.mjs";
import { mean, sleep, summary } from "../lib/stats.mjs";

/**
 * @param {import("../lib/context.mjs").Bench} b
 * @param {import("../lib/context.mjs").App} app
 * @param {number} before arrivals in `/h/e2e` after the warm-up
 * @param {{ who: "H" | "F", rps: number }[]} ingest phase (a)'s runs, to choose the rate
 */
export async function e2eRun(b, app, before, ingest) {
  const { receiver, plan, hook } = b;
  const phase = "e2e H";
  await b.beforePhase(phase);
  // Moderate load: 50 msg/s, or half of the ingest rate Hooklane sustained in phase (a) when
  // that is lower (a saturated machine would measure queueing, not the pipeline).
  const hIngestRps = mean(ingest.filter((x) => x.who === "H").map((x) => x.rps));
  const rate = Math.max(5, Math.min(plan.e2eRate, Math.round(hIngestRps / 2)));
  const n = rate * plan.e2eSeconds;
  const gap = 1000 / rate;
  /** @type {Map<string, number>} */
  const acceptedAt = new Map();
  /** @type {number[]} */
  const ingestMs = [];
  let failed = 0;
  /** @type {string[]} */
  const failSamples = [];
  if (b.opsAvailable) await b.client.resetOps();
  const cpu0 = hook.cpuMs();
  const q0 = queueStatsOf(hook, DELIVERY_QUEUES);
  progress(phase, `${n} messages at ${rate}/s for ${plan.e2eSeconds} s...`);
  const p0 = performance.now();
  /** @type {Promise<void>[]} */
  const inFlight = [];
  for (let i = 0; i < n; i++) {
    const due = p0 + i * gap;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sentAt = performance.now();
    inFlight.push(
      post(app.messagesUrl, b.client.auth, b.eventJson).then((res) => {
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
    receiver,
    phase,
    "/h/e2e",
    before + acceptedAt.size,
    plan.caps.e2eDrainS * 1000,
  );
  await sleep(1000);
  const ops = b.opsAvailable ? await b.client.readOps() : null;
  const cpuMs = hook.cpuMs() - cpu0;
  const q1 = queueStatsOf(hook, DELIVERY_QUEUES);
  const bucket = receiver.bucket("/h/e2e");
  /** @type {number[]} */
  const lat = [];
  let arrivedCount = 0;
  for (const [id, at] of acceptedAt) {
    const arrived = bucket.byId.get(id);
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
  b.afterPhase(phase);
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
}
