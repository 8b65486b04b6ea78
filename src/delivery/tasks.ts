/**
 * A delivery batch's messages sorted into what they ask for (first tries, wakes, deferred
 * outcomes, wide messages' ranges) and split by the shard of their apps; ranges expanded into
 * first tries; messages handed back to their queues after an outage.
 */

import { readMessages } from "../db/delivery-context";
import { endpointsOf } from "../db/messages";
import { deliveryId } from "../lib/ids";
import { log } from "../lib/log";
import { deliveryQueues, placementsOf, queueIndexOf } from "../lib/topology";
import { type FanoutTask, QueueTask, type RecordTask } from "../schemas/queue";
import { enqueueTasks, firstTries } from "./enqueue";
import type { Item } from "./results";

/** A batch handed back because D1 (or the gate) was unreachable waits this long. */
export const OUTAGE_RETRY_S = 30;

/** A woken endpoint: its app, and the wake messages that asked (one send answers them all). */
export interface Wake {
  appId: string;
  messages: Message<unknown>[];
}

/** The messages of a batch, sorted by what they ask for. */
export interface Tasks {
  firstTries: Map<string, Item>;
  wakes: Map<string, Wake>;
  records: { message: Message<unknown>; task: RecordTask }[];
  fanouts: { message: Message<unknown>; task: FanoutTask }[];
}

/** Sorts a batch's messages into first tries, wakes and deferred outcomes; acks poison. */
export function sortTasks(batch: readonly Message<unknown>[]): Tasks {
  const tasks: Tasks = { firstTries: new Map(), wakes: new Map(), records: [], fanouts: [] };
  for (const message of batch) {
    const parsed = QueueTask.safeParse(message.body);
    if (!parsed.success) {
      log("poison queue message acked", { messageId: message.id, reason: "malformed body" });
      message.ack();
      continue;
    }
    const task = parsed.data;
    if (task.kind === "record") {
      tasks.records.push({ message, task });
      continue;
    }
    if (task.kind === "fanout") {
      tasks.fanouts.push({ message, task });
      continue;
    }
    if (task.kind === "wake") {
      const wake = tasks.wakes.get(task.endpointId);
      if (wake) wake.messages.push(message);
      else tasks.wakes.set(task.endpointId, { appId: task.appId, messages: [message] });
      continue;
    }
    const id = deliveryId(task.messageId, task.endpointId);
    if (tasks.firstTries.has(id)) {
      message.ack(); // the same delivery twice in one batch: one send is enough
      continue;
    }
    tasks.firstTries.set(id, {
      appId: task.appId,
      messageId: task.messageId,
      endpointId: task.endpointId,
      eventType: task.eventType,
      createdAt: task.createdAt,
      payload: task.payload ?? null,
      open: null,
      message,
    });
  }
  return tasks;
}

/** Each shard's part of a batch; the messages of apps being moved, held back. */
export async function splitByShard(
  env: Env,
  tasks: Tasks,
): Promise<{ shards: Map<number, Tasks>; held: Message<unknown>[] }> {
  const placed = await placementsOf(env, [
    ...[...tasks.firstTries.values()].map((i) => i.appId),
    ...[...tasks.wakes.values()].map((w) => w.appId),
    ...tasks.fanouts.map((f) => f.task.appId),
  ]);
  const shards = new Map<number, Tasks>();
  const held: Message<unknown>[] = [];
  const part = (shard: number): Tasks => {
    let t = shards.get(shard);
    if (!t) {
      t = { firstTries: new Map(), wakes: new Map(), records: [], fanouts: [] };
      shards.set(shard, t);
    }
    return t;
  };
  for (const [id, item] of tasks.firstTries) {
    const p = placed.get(item.appId);
    if (p?.moving) {
      if (item.message) held.push(item.message);
    } else part(p?.shard ?? 0).firstTries.set(id, item);
  }
  for (const [endpointId, wake] of tasks.wakes) {
    const p = placed.get(wake.appId);
    if (p?.moving) held.push(...wake.messages);
    else part(p?.shard ?? 0).wakes.set(endpointId, wake);
  }
  for (const r of tasks.records) part(r.task.shard).records.push(r);
  for (const f of tasks.fanouts) {
    const p = placed.get(f.task.appId);
    if (p?.moving) held.push(f.message);
    else part(p?.shard ?? 0).fanouts.push(f);
  }
  return { shards, held };
}

/**
 * Turns range tasks of wide messages into first tries: the message's fan-out list, read once,
 * sliced, one task per delivery to its endpoint's queue. A range whose sends failed in part is
 * retried whole; what already went out is skipped by the consumer that receives it again.
 */
export async function expandFanouts(
  env: Env,
  db: D1Database,
  fanouts: { message: Message<unknown>; task: FanoutTask }[],
): Promise<void> {
  if (fanouts.length === 0) return;
  const rows = await readMessages(
    db,
    fanouts.map(({ task }) => ({ appId: task.appId, messageId: task.messageId })),
  );
  await Promise.all(
    fanouts.map(async ({ message, task }) => {
      const msg = rows.get(task.messageId);
      // Purged (retention, a deleted app) before its range came up: nothing left to send.
      if (!msg) return message.ack();
      // FIFO endpoints got their wakes at ingest; their tasks here are skipped as handled.
      const endpoints = endpointsOf(msg)
        .slice(task.from, task.to)
        .map((id) => ({ id, fifo: false }));
      const failed = await enqueueTasks(env, firstTries(msg, endpoints));
      if (failed > 0) message.retry({ delaySeconds: OUTAGE_RETRY_S });
      else message.ack();
    }),
  );
}

/** Queue messages handed back after an outage, each to its endpoint's queue, delayed. */
export async function sendBack(env: Env, messages: Message<unknown>[]): Promise<void> {
  const queues = deliveryQueues(env);
  const byQueue = new Map<number, MessageSendRequest[]>();
  for (const m of messages) {
    const body = m.body as { endpointId?: unknown } | null;
    const endpointId = typeof body?.endpointId === "string" ? body.endpointId : "";
    const index = queueIndexOf(endpointId, queues.length);
    const list = byQueue.get(index) ?? [];
    list.push({ body: m.body, contentType: "json", delaySeconds: OUTAGE_RETRY_S });
    byQueue.set(index, list);
  }
  await Promise.all(
    [...byQueue].map(([index, list]) => (queues[index] ?? env.DELIVERIES).sendBatch(list)),
  );
}

/** How many wake messages asked. */
export function wakeMessages(wakes: Map<string, Wake>): number {
  let n = 0;
  for (const w of wakes.values()) n += w.messages.length;
  return n;
}
