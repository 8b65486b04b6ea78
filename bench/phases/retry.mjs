// @ts-check
/**
 * 10% retry shape: one endpoint whose receiver answers 500 to the first request of one message
 * in ten and 200 to everything else, retries included; N messages; `/__ops` per successful
 * delivery. Runs against a Hooklane of its own started with RETRY_SCHEDULE=1,1,1 (run.mjs), so
 * retries come after about a second and no other phase sees that setting.
 */
import { performance } from "node:perf_hooks";
import { pool, post } from "../lib/api.mjs";
import { DELIVERY_QUEUES, progress, queueStatsOf } from "../lib/context.mjs";
import { sleep } from "../lib/stats.mjs";

/**
 * @param {import("../lib/context.mjs").Bench} b
 * @param {{
 *   hook: import("../lib/context.mjs").HookService,
 *   client: import("../lib/context.mjs").HooklaneClient,
 *   opsAvailable: boolean,
 * }} target the Hooklane this phase runs against
 */
export async function retryRun(b, target) {
  const { receiver, plan } = b;
  const { messages, failEvery } = plan.retry;
  const phase = "retry 10% H";
  const path = "/h/retry";
  await b.beforePhase(phase);
  const app = await target.client.makeApp("bench-retry", [path]);

  /** Requests seen per webhook-id. @type {Map<string, number>} */
  const requests = new Map();
  /** When each webhook-id first got a 2xx. @type {Map<string, number>} */
  const okAt = new Map();
  /** @type {Set<string>} */
  const failedFirst = new Set();
  let armed = false;
  let newIds = 0;
  // Every `failEvery`-th new webhook-id to arrive fails its first request: exactly one message
  // in ten each run, and never two failures in a row, so the breaker (5 consecutive failures)
  // stays closed and the figure is about retries, not about breaker waits.
  receiver.respond(path, (id) => {
    const n = (requests.get(id) ?? 0) + 1;
    requests.set(id, n);
    if (armed && n === 1 && ++newIds % failEvery === 0) {
      failedFirst.add(id);
      return { status: 500 };
    }
    if (!okAt.has(id)) okAt.set(id, performance.now());
    return {};
  });
  /**
   * Waits until `n` webhook-ids got a 2xx; false on timeout.
   * @param {number} n
   * @param {number} timeoutMs
   * @param {(seen: number) => void} [onTick] called about every 5 s while waiting
   */
  const waitOk = async (n, timeoutMs, onTick) => {
    const deadline = performance.now() + timeoutMs;
    let nextTick = performance.now() + 5_000;
    while (okAt.size < n) {
      if (performance.now() > deadline) return false;
      if (performance.now() > nextTick) {
        onTick?.(okAt.size);
        nextTick += 5_000;
      }
      await sleep(20);
    }
    return true;
  };

  // Warm-up (not measured, every request answered 200): compile, gate out of slow start.
  const warm = 4;
  for (let i = 0; i < warm; i++) await post(app.messagesUrl, target.client.auth, b.eventJson);
  if (!(await waitOk(warm, 30_000)))
    progress(phase, `WARNING: ${okAt.size}/${warm} warm-up deliveries arrived within 30 s`);
  await sleep(1000);
  const warmOk = okAt.size;

  if (target.opsAvailable) await target.client.resetOps();
  const cpu0 = target.hook.cpuMs();
  const q0 = queueStatsOf(target.hook, DELIVERY_QUEUES);
  armed = true;
  progress(
    phase,
    `${messages} messages; the first request of one in ${failEvery} answered 500 (retry schedule ${plan.retry.schedule} s)...`,
  );
  const e0 = performance.now();
  /** @type {string[]} */
  const ids = [];
  let failed = 0;
  /** @type {string | undefined} */
  let lastError;
  await pool(messages, plan.enqueueConcurrency, async () => {
    const res = await post(app.messagesUrl, target.client.auth, b.eventJson);
    if (res.status === 202) ids.push(JSON.parse(res.text).id);
    else {
      failed++;
      lastError = `${res.status} ${res.text.slice(0, 200)}`;
    }
    if (failed > Math.max(20, messages * 0.02) || !target.hook.alive())
      throw new Error(
        `Hooklane (retry) refused ${failed} of ${ids.length + failed} messages (last: ${lastError}); its output ends with:\n${target.hook.logs().slice(-1500)}`,
      );
  });
  const enqueueSeconds = (performance.now() - e0) / 1000;
  const completed = await waitOk(warmOk + ids.length, plan.caps.retryS * 1000, (seen) =>
    progress(phase, `  ...${seen - warmOk}/${ids.length} delivered`),
  );
  let succeeded = 0;
  let lastOk = e0;
  let extraRequests = 0;
  let failedFirstAccepted = 0;
  for (const id of ids) {
    const at = okAt.get(id);
    if (at !== undefined) {
      succeeded++;
      lastOk = Math.max(lastOk, at);
    }
    extraRequests += Math.max(0, (requests.get(id) ?? 0) - 1);
    if (failedFirst.has(id)) failedFirstAccepted++;
  }
  // Let the last batch finish its D1 writes and acks before reading the counters.
  await sleep(1000);
  const cpuMs = target.hook.cpuMs() - cpu0;
  const q1 = queueStatsOf(target.hook, DELIVERY_QUEUES);
  const ops = target.opsAvailable ? await target.client.readOps() : null;
  const seconds = (lastOk - e0) / 1000;
  progress(
    phase,
    `${succeeded}/${ids.length} delivered in ${seconds.toFixed(1)} s (enqueued in ${enqueueSeconds.toFixed(1)} s, ${failed} refused); ${failedFirstAccepted} failed first, ${extraRequests} extra requests; ${q1.batches - q0.batches} consumer batches handled ${q1.messages - q0.messages} queue messages${completed ? "" : ` (STOPPED WAITING after ${plan.caps.retryS} s)`}`,
  );
  b.afterPhase(phase);
  return {
    messages,
    accepted: ids.length,
    failed,
    succeeded,
    /** Accepted messages whose first request was answered 500. */
    failedFirst: failedFirstAccepted,
    /** Requests beyond the first per message (the retries, plus any duplicates). */
    extraRequests,
    enqueueSeconds,
    seconds,
    cpuMs,
    ops,
    consumerBatches: q1.batches - q0.batches,
    queueMessagesHandled: q1.messages - q0.messages,
    completed,
  };
}
