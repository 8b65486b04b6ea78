import { leaseMs, settings } from "../config";
import { type BatchContext, loadContext, readMessages } from "../db/delivery-context";
import { disableEndpointStatement, type EndpointRow } from "../db/endpoints";
import { hurryFullStatement } from "../db/open-deliveries";
import { operatorEventStatement } from "../db/operator-events";
import { deliveryId } from "../lib/ids";
import { log } from "../lib/log";
import { shardDb } from "../lib/topology";
import type { RecordTask } from "../schemas/queue";
import { report } from "./gating";
import { admitLanes, type BatchRun, laneOf, noteParked, planLanes, sendPlans } from "./lanes";
import { prepare } from "./prepare";
import { type Recordable, recordStatements, recordTasks, writeWithRetry } from "./record";
import { CRASH_RETRY_S, type Item, type Result, waitFor } from "./results";
import { retryWindowMs } from "./retry";
import {
  expandFanouts,
  OUTAGE_RETRY_S,
  sendBack,
  sortTasks,
  splitByShard,
  type Tasks,
  type Wake,
  wakeMessages,
} from "./tasks";

/**
 * The delivery queues' consumer (`DELIVERIES` and its numbered siblings). Per queue batch: read what it needs from D1 in one round trip
 * (no claim is written), skip deliveries that already have an outcome, ask each endpoint's gate
 * once for slots, hand out the open deliveries of woken endpoints, sign and POST what was
 * granted, write every outcome in one D1 batch, report outcomes and parked backlogs to each
 * gate, and only then ack. Each queue message is acked or retried on its own.
 *
 * An outage of D1 before anything was sent is not the deliveries' fault: their messages go
 * back to the queue as new messages (so the queue's max_retries, whose end is the dead-letter
 * queue's `consumer_crash`, never counts an outage) and the outage is logged as what it was.
 * Anything else that throws is handed to the queue's retry.
 */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const settled = new Set<string>();
  const messages = batch.messages.map((m) => track(m, settled));
  try {
    await deliverBatch(messages, env);
  } catch (err) {
    const open = messages.filter((m) => !settled.has(m.id));
    if (!isOutage(err) || open.length === 0) throw err;
    log("D1 unavailable; batch handed back to the queue", {
      kind: "d1_unavailable",
      messages: open.length,
      error: String(err),
    });
    try {
      await sendBack(env, open);
      for (const m of open) m.ack();
    } catch (sendErr) {
      // The queue is down too: the queue's own retry is all that is left.
      log("queue unavailable; batch retried by the queue", {
        kind: "queue_unavailable",
        error: String(sendErr),
      });
      for (const m of open) m.retry({ delaySeconds: OUTAGE_RETRY_S });
    }
  }
}

/** A queue message whose ack or retry is remembered. */
function track(m: Message<unknown>, settled: Set<string>): Message<unknown> {
  return {
    id: m.id,
    timestamp: m.timestamp,
    body: m.body,
    attempts: m.attempts,
    ack: () => {
      settled.add(m.id);
      m.ack();
    },
    retry: (options?: QueueRetryOptions) => {
      settled.add(m.id);
      m.retry(options);
    },
  };
}

/** D1 or the network failing, as opposed to a bug in a statement or in this code. */
function isOutage(err: unknown): boolean {
  const text = String(err);
  if (/no such (table|column)|syntax error|constraint|datatype mismatch/i.test(text)) return false;
  return /D1_|database|Network connection lost|internal error|overloaded|timed out|reset/i.test(
    text,
  );
}

/**
 * One batch: its tasks sorted, split by the shard of their apps, and each shard's part
 * delivered side by side. Work of an app being moved to another shard is handed back for later.
 */
async function deliverBatch(batch: readonly Message<unknown>[], env: Env): Promise<void> {
  const tasks = sortTasks(batch);
  const { shards, held } = await splitByShard(env, tasks);
  if (held.length > 0) {
    try {
      await sendBack(env, held);
      for (const m of held) m.ack();
    } catch (err) {
      log("queue unavailable; deliveries of a moving app retried by the queue", {
        error: String(err),
      });
      for (const m of held) m.retry({ delaySeconds: OUTAGE_RETRY_S });
    }
  }
  await Promise.all([...shards].map(([shard, part]) => deliverShard(env, shard, part)));
}

/**
 * One shard's part of a batch, step by step: write deferred outcomes, read its context,
 * prepare its first tries, admit each endpoint's lane, plan, send, record, report, follow up.
 */
async function deliverShard(env: Env, shard: number, tasks: Tasks): Promise<void> {
  const db = shardDb(env, shard);
  await Promise.all([writeRecords(db, tasks.records), expandFanouts(env, db, tasks.fanouts)]);
  if (tasks.firstTries.size === 0 && tasks.wakes.size === 0) return;
  const cfg = settings(env);
  const run: BatchRun = {
    env,
    db,
    shard,
    cfg,
    now: Date.now(),
    leaseMs: leaseMs(cfg),
    windowMs: retryWindowMs(cfg.retrySchedule, cfg.requestTimeoutMs),
    results: [],
    lanes: new Map(),
    notes: new Map(),
    filling: new Map(),
  };

  const steps: Record<string, number> = {};
  let mark = run.now;
  const lap = (step: string) => {
    const t = Date.now();
    steps[step] = t - mark;
    mark = t;
  };
  const items = [...tasks.firstTries.values()];
  const ctx = await loadContext(
    db,
    [...items.map((i) => i.endpointId), ...tasks.wakes.keys()],
    items,
    items.filter((i) => i.payload === null),
    run.now,
  );
  lap("load");
  await prepareFirstTries(run, ctx, items, tasks.wakes);
  lap("prepare");
  await admitLanes(run);
  lap("admit");
  const releasedRows = [...run.lanes.values()].flatMap((l) => l.released);
  const releasedMessages = await readMessages(
    db,
    releasedRows.map((r) => ({ appId: r.app_id, messageId: r.message_id })),
  );
  const plans = await planLanes(run, ctx.secrets, releasedMessages);
  lap("plan");
  const sent = await sendPlans(run, plans);
  lap("send");
  noteParked(run);

  // The gate hears of outcomes after they are written when something was parked (its wake
  // must find the rows); otherwise both go side by side.
  const parked = [...run.notes.values()].some((n) => n.parkedUntil !== undefined);
  const reported = parked ? null : report(env, sent, run.notes);
  if (!(await recordOutcomes(run, ctx, tasks, sent, reported))) return;
  lap("record");
  await reportAndDisable(run, ctx, sent, reported);
  lap("report");
  await followUp(env, run.results, tasks.wakes);
  log("delivery batch", {
    ...(shard > 0 ? { shard } : {}),
    messages: tasks.firstTries.size + tasks.records.length + wakeMessages(tasks.wakes),
    firstTries: tasks.firstTries.size,
    woken: tasks.wakes.size,
    released: releasedRows.length,
    sent: sent.length,
    succeeded: run.results.filter((r) => r.entry?.[2] === "succeeded").length,
    parked: run.results.filter((r) => r.park).length,
    dead: run.results.filter((r) => r.dead).length,
    ms: Date.now() - run.now,
    steps,
  });
}

/**
 * Skips first tries that already went out (an outcome or an open row: the queue handed one out
 * twice, or the sweeper took over a lost send), prepares the rest and puts each in its
 * endpoint's lane, with the lanes of woken endpoints.
 */
async function prepareFirstTries(
  run: BatchRun,
  ctx: BatchContext,
  items: Item[],
  wakes: Map<string, Wake>,
): Promise<void> {
  const handled = new Set(ctx.logged.map((l) => deliveryId(l.entry[0], l.endpointId)));
  for (const o of ctx.open) handled.add(deliveryId(o.message_id, o.endpoint_id));
  for (const [endpointId, wake] of wakes)
    laneOf(run, ctx.endpoints.get(endpointId), endpointId, wake.appId).woken = true;
  await Promise.all(
    items.map(async (item) => {
      if (handled.has(deliveryId(item.messageId, item.endpointId))) {
        item.message?.ack();
        return;
      }
      item.payload ??= ctx.messages.get(item.messageId)?.payload ?? null;
      const endpoint = ctx.endpoints.get(item.endpointId);
      if (endpoint?.ordering === "fifo" && !endpoint.disabled) {
        // Sent before the endpoint became FIFO: it joins the ordered backlog instead.
        run.results.push(waitFor(item, run.now, run.now, run.windowMs));
        laneOf(run, endpoint, item.endpointId, item.appId);
        return;
      }
      const prepared = await prepare(
        run.env,
        run.cfg,
        item,
        endpoint,
        ctx.secrets.get(item.endpointId) ?? [],
        run.now,
      );
      if ("result" in prepared) run.results.push(prepared.result);
      else laneOf(run, endpoint, item.endpointId, item.appId).fresh.push(prepared.ready);
    }),
  );
}

/**
 * Writes every outcome of the batch in one D1 transaction. When D1 refuses, the outcomes go
 * through the queue to be written later, so nothing is sent again; only if the queue refuses
 * them too do the first tries go back to the queue after the lease (the receiver may see a
 * duplicate; nothing is lost), and handed-out open rows are left to the sweeper. Returns
 * whether they were written now.
 */
async function recordOutcomes(
  run: BatchRun,
  ctx: BatchContext,
  tasks: Tasks,
  sent: Result[],
  reported: Promise<Map<string, string>> | null,
): Promise<boolean> {
  const { env, db, results } = run;
  const writeNow = Date.now();
  const gone = new Map<string, string>();
  for (const r of results) if (r.disableEndpoint) gone.set(r.item.endpointId, r.disableEndpoint);
  const statements = [
    ...recordStatements(db, results, writeNow, run.now - run.cfg.sweepGraceS * 1000),
    ...disableStatements(db, gone, ctx.endpoints, writeNow),
  ];
  // Last, after the parks: a filling batch that now holds maxEvents is made due now.
  const filling = [...run.filling];
  for (const [endpointId, maxEvents] of filling)
    statements.push(hurryFullStatement(db, endpointId, maxEvents, writeNow));
  try {
    const written = await writeWithRetry(db, statements);
    const hurried = written.slice(written.length - filling.length);
    filling.forEach(([endpointId], i) => {
      const note = run.notes.get(endpointId);
      if (note && (hurried[i]?.meta.changes ?? 0) > 0) note.parkedUntil = writeNow;
    });
    if (gone.size > 0) log("endpoints disabled", { endpoints: [...gone.keys()] });
    return true;
  } catch (err) {
    log("recording outcomes failed; sending them to be recorded later", {
      kind: "d1_unavailable",
      error: String(err),
    });
    try {
      await env.DELIVERIES.sendBatch(
        recordTasks(results, writeNow, run.shard).map((body) => ({
          body,
          contentType: "json" as const,
        })),
      );
      for (const item of tasks.firstTries.values()) item.message?.ack();
    } catch (sendErr) {
      log("queue unavailable; first tries handed back after the lease", {
        kind: "queue_unavailable",
        error: String(sendErr),
      });
      for (const item of tasks.firstTries.values())
        item.message?.retry({ delaySeconds: Math.ceil(run.leaseMs / 1000) });
    }
    for (const wake of tasks.wakes.values()) for (const m of wake.messages) m.ack();
    await (reported ?? report(env, sent, run.notes)).catch(() => undefined);
    return false;
  }
}

/**
 * Reports outcomes and parked backlogs to each gate; an endpoint a gate wants disabled (no
 * success for days) is disabled and recorded as an operator event, which the sweeper sends on
 * to OPERATOR_APP_ID.
 */
async function reportAndDisable(
  run: BatchRun,
  ctx: BatchContext,
  sent: Result[],
  early: Promise<Map<string, string>> | null,
): Promise<void> {
  const { env } = run;
  const reported = await (early ?? report(env, sent, run.notes));
  const already = new Set(
    run.results.flatMap((r) => (r.disableEndpoint ? [r.item.endpointId] : [])),
  );
  const autoDisabled = new Map([...reported].filter(([id]) => !already.has(id)));
  if (autoDisabled.size === 0) return;
  try {
    await writeWithRetry(
      run.db,
      disableStatements(run.db, autoDisabled, ctx.endpoints, Date.now()),
    );
    log("endpoints disabled", { endpoints: [...autoDisabled.keys()] });
  } catch (err) {
    log("auto-disable could not be recorded", {
      endpoints: [...autoDisabled.keys()],
      error: String(err),
    });
  }
}

/**
 * Writes outcomes a consumer could not record when it sent them (their `record` tasks); each
 * task is acked once written, or retried later.
 */
async function writeRecords(
  db: D1Database,
  records: { message: Message<unknown>; task: RecordTask }[],
): Promise<void> {
  await Promise.all(
    records.map(async ({ message, task }) => {
      try {
        await writeWithRetry(
          db,
          recordStatements(db, task.results as unknown as Recordable[], task.at),
        );
        message.ack();
      } catch (err) {
        log("recording deferred outcomes failed; trying again later", { error: String(err) });
        message.retry({ delaySeconds: OUTAGE_RETRY_S });
      }
    }),
  );
}

/** Disables endpoints and records each as an operator event. */
function disableStatements(
  db: D1Database,
  disabled: Map<string, string>,
  endpoints: Map<string, EndpointRow>,
  at: number,
): D1PreparedStatement[] {
  return [...disabled].flatMap(([endpointId, reason]) => {
    const endpoint = endpoints.get(endpointId);
    const disable = disableEndpointStatement(db, endpointId, reason, at);
    if (!endpoint) return [disable];
    const event = { appId: endpoint.app_id, type: "endpoint.disabled", endpointId, detail: reason };
    return [disable, operatorEventStatement(db, event, at)];
  });
}

/** After D1 committed: notify the dead-letter queue, then ack or hand back each message. */
async function followUp(env: Env, results: Result[], wakes: Map<string, Wake>): Promise<void> {
  const dead = results.filter((r) => r.dead);
  if (dead.length > 0) {
    try {
      await env.DEAD_LETTERS.sendBatch(
        dead.map((r) => ({
          body: {
            kind: "dead",
            deliveryId: deliveryId(r.item.messageId, r.item.endpointId),
            reason: r.dead,
          },
          contentType: "json" as const,
        })),
      );
    } catch (err) {
      // The dead letter is already recorded in D1; the queue only mirrors it.
      log("dead-letter notification failed", { deliveries: dead.length, error: String(err) });
    }
  }
  for (const r of results) {
    const message = r.item.message;
    if (!message) continue;
    if (r.crashed && !r.park) message.retry({ delaySeconds: CRASH_RETRY_S });
    else message.ack();
  }
  for (const wake of wakes.values()) for (const m of wake.messages) m.ack();
}
