// @ts-check
/**
 * What the phases share: the plan's shape, the bench context each phase is handed, progress
 * lines and the drain wait. Phases read `b.hook` and `b.floor` when they need them, because
 * run.mjs may replace either between phases.
 */
import { performance } from "node:perf_hooks";
import { sleep } from "./stats.mjs";

/** When the run started (the module is loaded first thing). */
export const startedAt = performance.now();

/**
 * @typedef {object} Plan what a run does; quick and full differ in sizes and caps only
 * @property {"quick" | "full"} mode
 * @property {number | null} endpointMaxConcurrency
 * @property {number} rounds
 * @property {number} connections
 * @property {number} ingestSeconds
 * @property {number} backlog
 * @property {number} enqueueConcurrency
 * @property {number} e2eRate
 * @property {number} e2eSeconds
 * @property {number} fanout
 * @property {{ endpoints: number, run: boolean }} fanout10k one message to an app of that many
 *   endpoints (full mode, or quick with --fanout10k)
 * @property {{ shards: number, deliveryQueues: number }} shape the Hooklanes' D1 shards and
 *   delivery queues (`scripts/dev.mjs --shards N --delivery-queues M`)
 * @property {number} prime
 * @property {number} createConcurrency
 * @property {{ endpoints: number, messages: number }} fanout10
 * @property {{ messages: number, failEvery: number, schedule: string }} retry
 * @property {{ run: boolean, messages: number, answerMs: number }} fifo
 * @property {{ ingestDrainS: number, deliveryDrainS: number, e2eDrainS: number, fanoutS: number,
 *   fanout10kS: number, fanout10DrainS: number, retryS: number, fifoS: number }} caps
 */

/**
 * @typedef {import("./proc.mjs").Service} Service
 * @typedef {Awaited<ReturnType<typeof import("./proc.mjs").startHooklane>>} HookService
 * @typedef {Awaited<ReturnType<typeof import("./receiver.mjs").startReceiver>>} Receiver
 * @typedef {ReturnType<typeof import("./api.mjs").hooklaneClient>} HooklaneClient
 * @typedef {{ appId: string, messagesUrl: string }} App
 * @typedef {import("./proc.mjs").QueueStats} QueueStats
 */

/**
 * @typedef {object} Bench what every phase is handed
 * @property {Plan} plan
 * @property {Receiver} receiver
 * @property {HookService} hook the main Hooklane as it is now
 * @property {Service} floor the floor worker as it is now (replaced when its sockets linger)
 * @property {HooklaneClient} client management calls and ops counters of the main Hooklane
 * @property {boolean} opsAvailable whether GET /__ops answered 200 at the start
 * @property {string} eventJson the one event body every ingest sends
 * @property {number} payloadBytes length of that event's `payload` as JSON
 * @property {(phase: string) => Promise<void>} beforePhase waits for leftover sockets to close
 * @property {(phase: string) => void} afterPhase records the phase's peak of open sockets
 * @property {import("./batches.mjs").BatchLog} batches the main Hooklane's `delivery batch` log
 *   lines, with when they came
 */

/** One progress line. @param {string} phase @param {string} msg */
export function progress(phase, msg) {
  const s = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
  console.log(`[bench ${s}s] ${phase.padEnd(14)} ${msg}`);
}

/** Hooklane's delivery queues: `hooklane-deliveries` and, with --delivery-queues M, `-1`... */
export const DELIVERY_QUEUES = /^hooklane-deliveries(-\d+)?$/;

/**
 * A service's queue counters for one queue (a name) or several (a pattern, e.g.
 * DELIVERY_QUEUES), zero before the first batch. `samples` keep the order the batches ended in
 * across the queues, so a later reading extends an earlier one.
 * @param {Service} svc
 * @param {string | RegExp} queue
 * @returns {QueueStats}
 */
export function queueStatsOf(svc, queue) {
  /** @type {QueueStats} */
  const s = { batches: 0, messages: 0, acked: 0, ms: 0, samples: [] };
  for (const q of svc.queueBatches()) {
    if (typeof queue === "string" ? q.queue !== queue : !queue.test(q.queue)) continue;
    s.batches++;
    s.messages += q.messages;
    s.acked += q.acked;
    s.ms += q.ms;
    s.samples.push(q.ms);
  }
  return s;
}

/**
 * Waits until `bucket` has `n` unique arrivals, then until it stays quiet, so the next phase
 * starts with empty queues.
 * @param {Receiver} receiver
 * @param {string} phase
 * @param {string} bucket
 * @param {number} n
 * @param {number} timeoutMs
 */
export async function drain(receiver, phase, bucket, n, timeoutMs) {
  const d0 = performance.now();
  const done = await receiver.waitFor(bucket, n, timeoutMs, (seen) =>
    progress(phase, `  ...draining ${seen}/${n}`),
  );
  // Then until the bucket stays quiet for 0.6 s (late requests autocannon did not wait for).
  let last = receiver.count(bucket);
  for (let i = 0; i < 10; i++) {
    await sleep(300);
    const now = receiver.count(bucket);
    if (now === last && i >= 1) break;
    last = now;
  }
  return { done, seconds: (performance.now() - d0) / 1000, seen: receiver.count(bucket) };
}
