// @ts-check
/**
 * FIFO backlog: an endpoint created with `"ordering": "fifo"` whose receiver answers each
 * request after `plan.fifo.answerMs`; N messages enqueued one after the other, then awaited.
 * Reports queue messages consumed per delivery (the `/__ops` `queueReceived` delta over the
 * deliveries: a delivery that waits its turn is handed to the consumer again) and whether the
 * deliveries arrived in message order. Slow by design (N x answerMs), so it runs in full mode
 * or with `--fifo`.
 */
import { performance } from "node:perf_hooks";
import { post } from "../lib/api.mjs";
import { DELIVERY_QUEUES, progress, queueStatsOf } from "../lib/context.mjs";
import { sleep } from "../lib/stats.mjs";

/**
 * Where the arrivals break message order: the first arrival of each id, in arrival order,
 * against the order the messages were accepted in.
 * @param {string[]} ids accepted message ids, in order
 * @param {{ id: string }[]} arrivals every request the receiver saw, in arrival order
 */
export function arrivalOrder(ids, arrivals) {
  const index = new Map(ids.map((id, i) => [id, i]));
  const seen = new Set();
  let highest = -1;
  let outOfOrder = 0;
  for (const { id } of arrivals) {
    const i = index.get(id);
    if (i === undefined || seen.has(id)) continue;
    seen.add(id);
    if (i < highest) outOfOrder++;
    else highest = i;
  }
  return { inOrder: outOfOrder === 0 && seen.size === ids.length, outOfOrder, arrived: seen.size };
}

/** @param {import("../lib/context.mjs").Bench} b */
export async function fifoRun(b) {
  const { receiver, plan, hook } = b;
  const { messages, answerMs } = plan.fifo;
  const phase = "fifo H";
  const path = "/h/fifo";
  await b.beforePhase(phase);
  const app = await b.client.makeApp("bench-fifo", [path], { ordering: "fifo" });
  receiver.respond(path, () => ({ delayMs: answerMs }));
  // Warm-up (not measured): one delivery, then its answer, writes and ack.
  await post(app.messagesUrl, b.client.auth, b.eventJson);
  if (!(await receiver.waitFor(path, 1, 30_000)))
    progress(phase, "WARNING: the warm-up delivery did not arrive within 30 s");
  await sleep(answerMs + 1000);
  const before = receiver.count(path);
  const arrivalsBefore = receiver.bucket(path).arrivals.length;

  if (b.opsAvailable) await b.client.resetOps();
  const cpu0 = hook.cpuMs();
  const q0 = queueStatsOf(hook, DELIVERY_QUEUES);
  progress(phase, `${messages} messages, one at a time, each answered after ${answerMs} ms...`);
  const f0 = performance.now();
  /** @type {string[]} */
  const ids = [];
  let failed = 0;
  // One after the other: the order they were accepted in is the order they must arrive in.
  for (let i = 0; i < messages; i++) {
    const res = await post(app.messagesUrl, b.client.auth, b.eventJson);
    if (res.status === 202) ids.push(JSON.parse(res.text).id);
    else if (++failed > 20)
      throw new Error(`Hooklane refused ${failed} FIFO messages (last: ${res.status} ${res.text})`);
  }
  const enqueueSeconds = (performance.now() - f0) / 1000;
  const completed = await receiver.waitFor(
    path,
    before + ids.length,
    plan.caps.fifoS * 1000,
    (seen) => progress(phase, `  ...${seen - before}/${ids.length} arrived`),
  );
  const bucket = receiver.bucket(path);
  const seconds = (bucket.lastAt - f0) / 1000;
  // The last answer, then that batch's writes and ack, before reading the counters.
  await sleep(answerMs + 1000);
  const cpuMs = hook.cpuMs() - cpu0;
  const q1 = queueStatsOf(hook, DELIVERY_QUEUES);
  const ops = b.opsAvailable ? await b.client.readOps() : null;
  const order = arrivalOrder(ids, bucket.arrivals.slice(arrivalsBefore));
  const queueReceivedPerDelivery =
    ops && order.arrived > 0 ? (ops.queueReceived ?? 0) / order.arrived : null;
  progress(
    phase,
    `${order.arrived}/${ids.length} arrived in ${seconds.toFixed(1)} s (enqueued in ${enqueueSeconds.toFixed(1)} s), ${order.inOrder ? "in message order" : `${order.outOfOrder} out of order`}; ${queueReceivedPerDelivery === null ? "n/a" : queueReceivedPerDelivery.toFixed(2)} queue messages consumed per delivery${completed ? "" : ` (STOPPED WAITING after ${plan.caps.fifoS} s)`}`,
  );
  b.afterPhase(phase);
  return {
    messages,
    accepted: ids.length,
    failed,
    answerMs,
    arrived: order.arrived,
    inOrder: order.inOrder,
    outOfOrder: order.outOfOrder,
    duplicates: bucket.duplicates,
    enqueueSeconds,
    seconds,
    queueReceivedPerDelivery,
    cpuMs,
    ops,
    consumerBatches: q1.batches - q0.batches,
    queueMessagesHandled: q1.messages - q0.messages,
    completed,
  };
}
