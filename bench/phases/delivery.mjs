// @ts-check
/**
 * Phase (b), delivery throughput: the drain of an N-message backlog, Hooklane (H) and the floor
 * (F) alike. `backlogRun` is also the method of the fan-out-10 shape (phases/fanout10.mjs).
 */
import { performance } from "node:perf_hooks";
import { JSON_HEADERS, pool, post } from "../lib/api.mjs";
import { DELIVERY_QUEUES, drain, progress, queueStatsOf } from "../lib/context.mjs";
import { keptPerDelivery, settledD1Size } from "../lib/d1size.mjs";
import { sleep, summary } from "../lib/stats.mjs";

/**
 * @typedef {import("../lib/context.mjs").Bench} Bench
 * @typedef {import("../lib/context.mjs").App} App
 * @typedef {import("../lib/d1size.mjs").D1Size} D1Size
 * @typedef {object} D1Growth what the D1 databases kept over a Hooklane backlog run
 * @property {D1Size} before
 * @property {D1Size} after
 * @property {number} growth bytes in use (pages)
 * @property {number} fileGrowth bytes of the files (main + WAL)
 * @property {number} messages
 * @property {number} deliveries
 * @property {number | null} perDeliveryExclPayload from `growth`
 * @property {number | null} filesPerDeliveryExclPayload from `fileGrowth`
 */

/**
 * One delivery run of phase (b): one endpoint, `plan.backlog` messages.
 * @param {Bench} b
 * @param {{ delivery: App[], prime: App }} apps
 * @param {Record<string, number>} baseCount arrivals per Hooklane bucket after the warm-up
 * @param {"H" | "F"} who
 * @param {number} r round
 */
export async function deliveryRun(b, apps, baseCount, who, r) {
  const phase = `delivery ${who} r${r}`;
  await b.beforePhase(phase);
  const bucket = who === "H" ? `/h/dlv${r}` : `/f/dlv${r}`;
  const run = await backlogRun(b, {
    phase,
    who,
    bucket,
    before: who === "H" ? (baseCount[bucket] ?? 0) : b.receiver.count(bucket),
    url:
      who === "H" ? (apps.delivery[r - 1]?.messagesUrl ?? "") : `${b.floor.baseUrl}/ingest/dlv${r}`,
    prime: apps.prime,
    messages: b.plan.backlog,
    perMessage: 1,
    capS: b.plan.caps.deliveryDrainS,
  });
  b.afterPhase(phase);
  return { who, round: r, ...run };
}

/**
 * Drain of a backlog: the consumer is kept busy with one parked batch while the messages are
 * enqueued, then the batch is released and the drain is timed:
 * dps = arrivals after release / (last arrival - release).
 *
 * The local queue hands a consumer one batch at a time, and starts another only when a batch
 * that left on its timeout (not full) is still running. So:
 *  - floor: the receiver parks the answers to its first batch(es) of the N messages;
 *  - Hooklane: one message to an app with 50 endpoints (`/h/prime/*`) makes a full batch of 50
 *    deliveries whose answers are parked. Parking Hooklane's own endpoint instead would leave
 *    its gate's concurrency slots taken, and every other batch would be deferred over and over
 *    while the backlog builds (deferral churn, not delivery).
 *
 * For Hooklane the `/__ops` counters are reset before and read 1 s after the last arrival, and
 * the D1 files are measured before and after (see lib/d1size.mjs).
 * @param {Bench} b
 * @param {{
 *   phase: string, who: "H" | "F", bucket: string, before: number, url: string, prime: App,
 *   messages: number, perMessage: number, capS: number,
 * }} o `before`: the bucket's arrivals so far; `perMessage`: deliveries each message makes
 */
export async function backlogRun(b, o) {
  const { receiver, plan } = b;
  const { phase, who, bucket, before, url } = o;
  const svc = who === "H" ? b.hook : b.floor;
  const queueName = who === "H" ? DELIVERY_QUEUES : "bench-floor-work";
  const headers = who === "H" ? b.client.auth : JSON_HEADERS;
  const d1Before = who === "H" ? await settledD1Size(b.hook.persistDir) : null;
  if (who === "H" && b.opsAvailable) await b.client.resetOps();
  const cpu0 = svc.cpuMs();
  const q0 = queueStatsOf(svc, queueName);
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
    const res = await post(o.prime.messagesUrl, headers, b.eventJson);
    if (res.status !== 202) throw new Error(`prime message answered ${res.status}`);
    await receiver.waitFor("/h/prime", primeBefore + plan.prime, 20_000);
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
  await pool(o.messages, plan.enqueueConcurrency, async () => {
    const res = await post(url, headers, b.eventJson);
    if (res.status === 202) accepted++;
    else {
      failed++;
      lastError = `${res.status} ${res.text.slice(0, 200)}`;
    }
    // A service that stops answering would otherwise keep the run busy for minutes.
    if (failed > Math.max(20, o.messages * 0.02) || !svc.alive()) {
      clearTimeout(safety);
      doRelease();
      throw new Error(
        `${who === "H" ? "Hooklane" : "floor"} refused ${failed} of ${accepted + failed} messages (last: ${lastError}); its output ends with:\n${svc.logs().slice(-1500)}`,
      );
    }
  });
  clearTimeout(safety);
  const e1 = performance.now();
  const qHold = queueStatsOf(svc, queueName);
  // Hooklane's consumer is blocked on the parked prime batch: the counters so far are the
  // ingest of N messages (plus the prime message and its batch's reads).
  const opsAtEnqueueEnd = who === "H" && b.opsAvailable ? await b.client.readOps() : null;
  const arrivedWhileParked = receiver.count(bucket) - before;
  const rel = doRelease();
  const batchesDuringHold = qHold.batches - q0.batches;
  const expected = accepted * o.perMessage;
  progress(
    phase,
    `enqueued ${accepted} (${failed} failed) in ${((e1 - e0) / 1000).toFixed(1)} s (${(accepted / ((e1 - e0) / 1000)).toFixed(0)}/s), ${rel.parked} answers parked${who === "H" ? ` (${primed}/${plan.prime} prime deliveries)` : ""}, ${batchesDuringHold} batches finished meanwhile; draining...`,
  );
  const dr = await drain(receiver, phase, bucket, before + expected, o.capS * 1000);
  let after = 0;
  let last = rel.at;
  let first = Number.POSITIVE_INFINITY;
  // First arrival of each delivery (endpoint path + webhook-id).
  for (const at of receiver.bucket(bucket).byKey.values()) {
    if (at < e0) continue; // warm-up arrivals
    first = Math.min(first, at);
    if (at > rel.at) {
      after++;
      last = Math.max(last, at);
    }
  }
  const dps = after / ((last - rel.at) / 1000);
  // Requests, which a batching endpoint's receiver gets fewer of than deliveries.
  let requests = 0;
  let requestsAfter = 0;
  for (const x of receiver.bucket(bucket).arrivals) {
    if (x.at < e0) continue;
    requests++;
    if (x.at > rel.at && x.at <= last) requestsAfter++;
  }
  // Let the last batch finish its D1 writes and acks before reading the counters.
  await sleep(1000);
  const cpuMs = svc.cpuMs() - cpu0;
  const q1 = queueStatsOf(svc, queueName);
  const ops = who === "H" && b.opsAvailable ? await b.client.readOps() : null;
  // Where the drain's consumer batches spent their time (Hooklane's `delivery batch` lines).
  const steps = who === "H" ? b.batches.between(rel.at, performance.now()) : null;
  const delivered = dr.seen - before;
  const primeDelivered = who === "H" ? receiver.count("/h/prime") - primeBefore : 0;
  // Batches that ran after the release (the first one to finish is the parked one).
  const batchMs = summary(q1.samples.slice(qHold.samples.length).filter((_, i) => i > 0));
  progress(
    phase,
    `${dps.toFixed(1)} deliveries/s (${after} arrived ${((last - rel.at) / 1000).toFixed(1)} s after release); ${delivered}/${expected} delivered; ${q1.batches - q0.batches} consumer batches (median ${batchMs.p50} ms) handled ${q1.messages - q0.messages} queue messages${dr.done ? "" : ` (STOPPED WAITING after ${o.capS} s)`}`,
  );
  /** @type {null | D1Growth} */
  let d1 = null;
  if (d1Before) {
    const d1After = await settledD1Size(b.hook.persistDir);
    const growth = d1After.pages - d1Before.pages;
    const fileGrowth = d1After.files - d1Before.files;
    // The prime message and its deliveries were written in the same window.
    const messages = accepted + 1;
    const deliveries = delivered + primeDelivered;
    const { payloadBytes } = b;
    const kept = keptPerDelivery({ growth, messages, deliveries, payloadBytes });
    const byFiles = keptPerDelivery({ growth: fileGrowth, messages, deliveries, payloadBytes });
    d1 = {
      before: d1Before,
      after: d1After,
      growth,
      fileGrowth,
      messages,
      deliveries,
      perDeliveryExclPayload: kept?.perDeliveryExclPayload ?? null,
      filesPerDeliveryExclPayload: byFiles?.perDeliveryExclPayload ?? null,
    };
    const n = (/** @type {number | null} */ x) => (x === null ? "n/a" : x.toFixed(0));
    progress(
      phase,
      `D1 in use grew ${growth} bytes (files ${fileGrowth}: main ${d1After.sqlite - d1Before.sqlite}, WAL ${d1After.wal - d1Before.wal}): ${n(d1.perDeliveryExclPayload)} bytes kept per delivery beyond the ${payloadBytes}-byte payload (by file sizes ${n(d1.filesPerDeliveryExclPayload)})`,
    );
  }
  return {
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
    /** Requests the receiver got in the phase, and in the timed drain (by `last`). */
    requests,
    requestsAfterRelease: requestsAfter,
    rps: requestsAfter / ((last - rel.at) / 1000),
    firstToLastDps: delivered / ((last - first) / 1000),
    consumerBatches: q1.batches - q0.batches,
    queueMessagesHandled: q1.messages - q0.messages,
    consumerBatchMsTotal: q1.ms - q0.ms,
    consumerBatchMs: batchMs,
    steps,
    cpuMs,
    ops,
    opsAtEnqueueEnd,
    completed: dr.done,
    d1,
  };
}
