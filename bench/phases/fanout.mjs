// @ts-check
/**
 * Phases (d) fan-out 1,000 and (h) fan-out 10,000: one event to an app with that many endpoints
 * (created during the warm-up, one receiver path and one signing secret each), timed from the
 * POST to the last arrival. Ingest hands a match of more than 100 endpoints to the queue as
 * range tasks, which consumers expand into first tries; every arrival's signature is checked by
 * the receiver. Also kept: the `delivery batch` lines Hooklane logged meanwhile (medians of
 * their steps: where a fan-out batch's time goes).
 */
import { performance } from "node:perf_hooks";
import { post } from "../lib/api.mjs";
import { DELIVERY_QUEUES, progress, queueStatsOf } from "../lib/context.mjs";
import { sleep } from "../lib/stats.mjs";

/**
 * @param {import("../lib/context.mjs").Bench} b
 * @param {Promise<{ app: import("../lib/context.mjs").App, seconds: number }>} fanoutApp
 * @param {{ phase: string, bucket: string, endpoints: number, capS: number, warm?: boolean }} o
 *   `bucket`: the receiver bucket of the app's endpoints (`/h/fan` for `/h/fan/<i>`); `warm`:
 *   once the first event has arrived everywhere, time a second one too (the endpoints' gates
 *   then exist: the steady state of an app whose endpoints have had traffic before)
 */
export async function fanoutRun(b, fanoutApp, o) {
  const { receiver, hook } = b;
  const { phase, bucket, endpoints, capS } = o;
  await b.beforePhase(phase);
  const { app, seconds: createSeconds } = await fanoutApp;
  progress(
    phase,
    `${endpoints} endpoints (created during the warm-up in ${createSeconds.toFixed(1)} s); sending one event...`,
  );
  if (b.opsAvailable) await b.client.resetOps();
  const cpu0 = hook.cpuMs();
  const q0 = queueStatsOf(hook, DELIVERY_QUEUES);
  const before = receiver.count(bucket);
  const bucket0 = receiver.bucket(bucket);
  const sig0 = {
    verified: bucket0.verified,
    invalid: bucket0.invalid,
    duplicates: bucket0.duplicates,
  };
  const f0 = performance.now();
  const res = await post(app.messagesUrl, b.client.auth, b.eventJson);
  if (res.status !== 202)
    throw new Error(`fan-out ingest answered ${res.status}: ${res.text.slice(0, 500)}`);
  const ingestMs = res.at - f0;
  const done = await receiver.waitFor(bucket, before + endpoints, capS * 1000, (seen) =>
    progress(phase, `  ...${seen - before}/${endpoints} arrived`),
  );
  const bucketNow = receiver.bucket(bucket);
  const arrived = bucketNow.unique.size - before;
  const seconds = (bucketNow.lastAt - f0) / 1000;
  // When the bench stopped waiting: a straight-line estimate, reported as such, never as a result.
  const estimatedSeconds = done
    ? seconds
    : ((performance.now() - f0) / 1000) * (endpoints / Math.max(1, arrived));
  await sleep(1000);
  const ops = b.opsAvailable ? await b.client.readOps() : null;
  const cpuMs = hook.cpuMs() - cpu0;
  const q1 = queueStatsOf(hook, DELIVERY_QUEUES);
  const steps = b.batches.between(f0, performance.now());
  // Consumer batches' time (Miniflare's own figure) over the wall time: above 1 when batches ran
  // side by side (several delivery queues, or a local queue that started a batch while one that
  // left on its timeout was still running).
  const batchMsTotal = q1.ms - q0.ms;
  const batchesInFlight = done && seconds > 0 ? batchMsTotal / 1000 / seconds : null;
  const signatures = {
    verified: bucketNow.verified - sig0.verified,
    invalid: bucketNow.invalid - sig0.invalid,
    duplicates: bucketNow.duplicates - sig0.duplicates,
  };
  progress(
    phase,
    done
      ? `${endpoints} arrived in ${seconds.toFixed(2)} s (ingest answered in ${ingestMs.toFixed(0)} ms)`
      : `only ${arrived}/${endpoints} arrived within ${capS} s (stopped waiting; at that pace all would take ~${estimatedSeconds.toFixed(0)} s; ingest answered in ${ingestMs.toFixed(0)} ms)`,
  );
  const ms = (/** @type {number | null} */ x) => (x === null ? "n/a" : `${x} ms`);
  progress(
    phase,
    `${steps.batches} delivery batches (median ${steps.firstTriesP50 ?? "n/a"} first tries, ${ms(steps.msP50)}); step medians: ${Object.entries(
      steps.steps,
    )
      .map(([k, v]) => `${k} ${ms(v)}`)
      .join(
        ", ",
      )}; ${q1.batches - q0.batches} consumer batches handled ${q1.messages - q0.messages} queue messages, ${batchesInFlight === null ? "n/a" : batchesInFlight.toFixed(2)} batches in flight on average; signatures ${signatures.verified} verified, ${signatures.invalid} invalid`,
  );
  /** @type {number | null} */
  let warmSeconds = null;
  if (o.warm && done) {
    const before2 = receiver.bucket(bucket).unique.size;
    const w0 = performance.now();
    const again = await post(app.messagesUrl, b.client.auth, b.eventJson);
    if (again.status !== 202)
      throw new Error(`fan-out ingest answered ${again.status}: ${again.text.slice(0, 500)}`);
    const warmDone = await receiver.waitFor(bucket, before2 + endpoints, capS * 1000);
    warmSeconds = warmDone ? (receiver.bucket(bucket).lastAt - w0) / 1000 : null;
    progress(
      phase,
      warmSeconds === null
        ? `the second event did not arrive everywhere within ${capS} s`
        : `a second event (the gates now exist) arrived everywhere in ${warmSeconds.toFixed(2)} s`,
    );
  }
  b.afterPhase(phase);
  return {
    endpoints,
    arrived,
    seconds: done ? seconds : null,
    /** The second event's time, with every endpoint's gate already made (null: not run). */
    warmSeconds,
    estimatedSeconds,
    createSeconds,
    ingestMs,
    ops,
    cpuMs,
    consumerBatches: q1.batches - q0.batches,
    queueMessagesHandled: q1.messages - q0.messages,
    /** Sum of the consumer batches' durations (ms), all delivery queues. */
    consumerBatchMsTotal: batchMsTotal,
    /** That sum over the fan-out's wall time (null when it did not finish). */
    batchesInFlight,
    /** The `delivery batch` lines logged from the POST until 1 s after the last arrival. */
    steps,
    signatures,
  };
}
