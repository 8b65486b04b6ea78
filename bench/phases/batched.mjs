// @ts-check
/**
 * Phase (i), batching: the drain of phase (b) (`backlogRun`: N messages enqueued while the
 * consumer is blocked, then timed from the release) to one endpoint created with
 * `batch: { maxEvents: 50, maxWaitMs: 1000 }`, Hooklane only, through the public API. Its
 * receiver gets one POST per batch, a JSON array of envelopes under a `bat_...` webhook-id;
 * the receiver counts a delivery per envelope (its `id`, the message id) and a request per POST.
 *
 * `batchingSummary` sets the phase's figures next to the unbatched (b) runs of the same run:
 * deliveries and receiver requests per second, requests per delivery, D1 rows per delivery,
 * USD per million deliveries (bench/lib/pricing.mjs) and D1 bytes kept per delivery.
 */
import { post } from "../lib/api.mjs";
import { progress } from "../lib/context.mjs";
import { backlogOps, d1Kept, med, opsKeys } from "../lib/perdelivery.mjs";
import { costPerMillion } from "../lib/pricing.mjs";
import { mean, round, sleep, summary } from "../lib/stats.mjs";
import { backlogRun } from "./delivery.mjs";

/** The endpoint's `batch`: full batches of 50 from a backlog (the queue's own batch size). */
export const BATCH = { maxEvents: 50, maxWaitMs: 1_000 };

/**
 * @param {import("../lib/context.mjs").Bench} b
 * @param {import("../lib/context.mjs").App} prime the app whose batch blocks the consumer
 */
export async function batchedRun(b, prime) {
  const { receiver, plan } = b;
  const phase = "batching H";
  const bucket = "/h/batch";
  await b.beforePhase(phase);
  const app = await b.client.makeApp("bench-batching", [bucket], { batch: BATCH });
  // Warm-up (not measured): the gate leaves slow start at its first success. Five messages make
  // a short batch, which waits maxWaitMs for more before it goes.
  const warm = 5;
  for (let i = 0; i < warm; i++) await post(app.messagesUrl, b.client.auth, b.eventJson);
  if (!(await receiver.waitFor(bucket, warm, 30_000)))
    progress(
      phase,
      `WARNING: ${receiver.count(bucket)}/${warm} warm-up deliveries arrived within 30 s`,
    );
  const warmBatches = receiver.bucket(bucket).arrivals.filter((x) => x.id.startsWith("bat_"));
  if (warmBatches.length === 0)
    progress(phase, "WARNING: the warm-up requests were not batches (no bat_ webhook-id)");
  await sleep(1000);
  progress(
    phase,
    `one endpoint with batch ${JSON.stringify(BATCH)}; ${plan.backlog} messages (warm-up: ${warm} deliveries in ${receiver.bucket(bucket).arrivals.length} requests)`,
  );
  const arrivalsBefore = receiver.bucket(bucket).arrivals.length;
  const run = await backlogRun(b, {
    phase,
    who: "H",
    bucket,
    before: receiver.count(bucket),
    url: app.messagesUrl,
    prime,
    messages: plan.backlog,
    perMessage: 1,
    capS: plan.caps.deliveryDrainS,
  });
  const requests = receiver.bucket(bucket).arrivals.slice(arrivalsBefore);
  const sizes = summary(requests.map((x) => x.deliveries));
  const batchRequests = requests.filter((x) => x.id.startsWith("bat_")).length;
  progress(
    phase,
    `${run.delivered} deliveries in ${requests.length} requests (${batchRequests} batches; envelopes per request median ${sizes.p50}, max ${sizes.max}); ${run.rps.toFixed(1)} requests/s in the drain`,
  );
  b.afterPhase(phase);
  return {
    batch: BATCH,
    messages: plan.backlog,
    batchRequests,
    envelopesPerRequest: {
      ...sizes,
      min: requests.length ? Math.min(...requests.map((x) => x.deliveries)) : null,
    },
    ...run,
  };
}

/**
 * @typedef {Awaited<ReturnType<typeof batchedRun>>} BatchedRun
 * @typedef {Awaited<ReturnType<typeof backlogRun>>} BacklogRun
 */

/**
 * One side's figures: the batched run, or the unbatched (b) runs pooled.
 * @param {BacklogRun[]} runs
 * @param {number} payloadBytes
 */
function side(runs, payloadBytes) {
  const ops = backlogOps(runs);
  const cost = ops ? costPerMillion(ops) : null;
  const requests = runs.reduce((a, x) => a + x.requests, 0);
  const delivered = runs.reduce((a, x) => a + x.delivered, 0);
  return {
    dps: mean(runs.map((x) => x.dps)),
    rps: mean(runs.map((x) => x.rps)),
    requestsPerDelivery: delivered > 0 ? requests / delivered : Number.NaN,
    ops,
    cost,
    d1: d1Kept(runs, payloadBytes),
    batchMsP50: med(runs.map((x) => x.consumerBatchMs.p50)),
    sendMsP50: med(runs.flatMap((x) => (x.steps?.steps.send == null ? [] : [x.steps.steps.send]))),
  };
}

/**
 * The batching phase next to the unbatched (b) runs of the same run: what latest.json and
 * latest.details.json keep, and the table's rows (metric, Hooklane, floor, note).
 * @param {BatchedRun} batched
 * @param {BacklogRun[]} unbatchedRuns Hooklane's (b) runs
 * @param {number} payloadBytes
 */
export function batchingSummary(batched, unbatchedRuns, payloadBytes) {
  const bt = side([batched], payloadBytes);
  const ub = side(unbatchedRuns, payloadBytes);
  /** @param {ReturnType<typeof side>} x */
  const keep = (x) => ({
    dps: round(x.dps, 1),
    requestsPerSecond: round(x.rps, 1),
    requestsPerDelivery: round(x.requestsPerDelivery, 3),
    ops: opsKeys(x.ops),
    costPerMillionUsd: x.cost ? round(x.cost.total, 2) : null,
    d1BytesPerDelivery: round(x.d1?.perDeliveryExclPayload, 0),
  });
  const latest = {
    batch: batched.batch,
    messages: batched.messages,
    batched: keep(bt),
    unbatched: keep(ub),
  };
  const details = {
    ...batched,
    opsPerDelivery: { batched: bt.ops, unbatched: ub.ops },
    costPerMillionUsd: { batched: bt.cost, unbatched: ub.cost },
    d1BytesPerDelivery: { batched: bt.d1, unbatched: ub.d1 },
  };
  const f = (/** @type {number | null | undefined} */ x, d = 1) =>
    x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(d);
  const sizes = batched.envelopesPerRequest;
  const rows = [
    [
      "batching: delivery/s",
      f(bt.dps),
      "-",
      `unbatched (b): ${f(ub.dps)} (${f(bt.dps / ub.dps, 2)}x); ${batched.delivered}/${batched.accepted} delivered, batch ${batched.batch.maxEvents} / ${batched.batch.maxWaitMs} ms`,
    ],
    [
      "batching: receiver req/s, req/dlv",
      `${f(bt.rps)}, ${f(bt.requestsPerDelivery, 3)}`,
      "-",
      `unbatched (b): ${f(ub.rps)}, ${f(ub.requestsPerDelivery, 3)}; ${batched.requests} requests, envelopes each: median ${f(sizes.p50, 0)}, min ${f(sizes.min, 0)}, max ${f(sizes.max, 0)}`,
    ],
    [
      "batching: D1 rows w / r per dlv",
      `${f(bt.ops?.d1RowsWritten, 2)} / ${f(bt.ops?.d1RowsRead, 1)}`,
      "-",
      `unbatched (b): ${f(ub.ops?.d1RowsWritten, 2)} / ${f(ub.ops?.d1RowsRead, 1)}; statements ${f(bt.ops?.d1Queries, 2)} vs ${f(ub.ops?.d1Queries, 2)}`,
    ],
    [
      "batching: USD/million, D1 bytes",
      `${f(bt.cost?.total, 2)}, ${f(bt.d1?.perDeliveryExclPayload, 0)}`,
      "-",
      `unbatched (b): ${f(ub.cost?.total, 2)}, ${f(ub.d1?.perDeliveryExclPayload, 0)} (bytes kept per delivery beyond the payload)`,
    ],
    [
      "batching: consumer batch ms",
      f(bt.batchMsP50, 0),
      "-",
      `unbatched (b): ${f(ub.batchMsP50, 0)}; median send step ${f(bt.sendMsP50, 0)} vs ${f(ub.sendMsP50, 0)} ms`,
    ],
  ];
  return { latest, details, rows };
}
