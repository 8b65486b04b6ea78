// @ts-check
/**
 * Phase (d), fan-out: one event to an app with `plan.fanout` endpoints (created during the
 * warm-up), timed from the POST to the last arrival.
 */
import { performance } from "node:perf_hooks";
import { post } from "../lib/api.mjs";
import { progress, queueStatsOf } from "../lib/context.mjs";
import { sleep } from "../lib/stats.mjs";

/**
 * @param {import("../lib/context.mjs").Bench} b
 * @param {Promise<{ app: import("../lib/context.mjs").App, seconds: number }>} fanoutApp
 */
export async function fanoutRun(b, fanoutApp) {
  const { receiver, plan, hook } = b;
  const phase = "fan-out H";
  await b.beforePhase(phase);
  const { app, seconds: createSeconds } = await fanoutApp;
  progress(
    phase,
    `${plan.fanout} endpoints (created during the warm-up in ${createSeconds.toFixed(1)} s); sending one event...`,
  );
  if (b.opsAvailable) await b.client.resetOps();
  const cpu0 = hook.cpuMs();
  const q0 = queueStatsOf(hook, "hooklane-deliveries");
  const f0 = performance.now();
  const res = await post(app.messagesUrl, b.client.auth, b.eventJson);
  if (res.status !== 202)
    throw new Error(`fan-out ingest answered ${res.status}: ${res.text.slice(0, 500)}`);
  const ingestMs = res.at - f0;
  const done = await receiver.waitFor("/h/fan", plan.fanout, plan.caps.fanoutS * 1000, (seen) =>
    progress(phase, `  ...${seen}/${plan.fanout} arrived`),
  );
  const bucket = receiver.bucket("/h/fan");
  const seconds = (bucket.lastAt - f0) / 1000;
  // When the bench stopped waiting: a straight-line estimate, reported as such, never as a result.
  const estimatedSeconds = done
    ? seconds
    : ((performance.now() - f0) / 1000) * (plan.fanout / Math.max(1, bucket.unique.size));
  await sleep(1000);
  const ops = b.opsAvailable ? await b.client.readOps() : null;
  const cpuMs = hook.cpuMs() - cpu0;
  const q1 = queueStatsOf(hook, "hooklane-deliveries");
  progress(
    phase,
    done
      ? `${plan.fanout} arrived in ${seconds.toFixed(2)} s (ingest answered in ${ingestMs.toFixed(0)} ms)`
      : `only ${bucket.unique.size}/${plan.fanout} arrived within ${plan.caps.fanoutS} s (stopped waiting; at that pace all would take ~${estimatedSeconds.toFixed(0)} s; ingest answered in ${ingestMs.toFixed(0)} ms)`,
  );
  b.afterPhase(phase);
  return {
    endpoints: plan.fanout,
    arrived: bucket.unique.size,
    seconds: done ? seconds : null,
    estimatedSeconds,
    createSeconds,
    ingestMs,
    ops,
    cpuMs,
    consumerBatches: q1.batches - q0.batches,
    queueMessagesHandled: q1.messages - q0.messages,
  };
}
