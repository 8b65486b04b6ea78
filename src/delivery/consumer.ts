import { settings } from "../config";
import { loadContext, readMessages } from "../db/delivery-context";
import { disableEndpointStatement, type EndpointRow } from "../db/endpoints";
import { type OpenRow, releaseDue, releaseFifo } from "../db/open-deliveries";
import { operatorEventStatement } from "../db/operator-events";
import type { AdmitResult, BacklogNote } from "../gate/types";
import { deliveryId } from "../lib/ids";
import { log } from "../lib/log";
import { QueueTask, type RecordTask } from "../schemas/queue";
import { parseCounted4xx } from "./classify";
import {
  askGate,
  capacityOf,
  type Plan,
  type PlanRun,
  type RunOptions,
  report,
  runFifoPlan,
  runPlan,
} from "./gating";
import { prepare } from "./prepare";
import { type Recordable, recordStatements, recordTasks, writeWithRetry } from "./record";
import { CRASH_RETRY_S, type Item, type Ready, type Result, waitFor } from "./results";
import { retryWindowMs } from "./retry";

/** Extra lease time beyond the request deadline before a handed-out delivery counts as lost. */
const LEASE_MARGIN_MS = 30_000;
/** A lane starts no request that could still be running this close to its lease's expiry. */
const LANE_SLACK_MS = 5_000;
/** Most open deliveries one wake hands out for an endpoint. */
const WAKE_BATCH = 100;
/** Most FIFO deliveries one wake hands out (walked in order under the single slot). */
const FIFO_RUN = 50;
/** What a lane left for lack of time waits before the next wake. */
const LEFTOVER_WAIT_MS = 1_000;

/** One endpoint's part of a batch: its first tries, whether it was woken, what the gate said. */
interface Lane {
  endpoint: EndpointRow | undefined;
  fresh: Ready[];
  woken: boolean;
  grant: AdmitResult | null;
  released: OpenRow[];
  /** Whether this wake asked D1 for due rows (the gate let it send). */
  releasing: boolean;
  /** When the endpoint's next waiting delivery is due after this wake (null: none). */
  nextDue: number | null;
}

/** A batch handed back because D1 (or the gate) was unreachable waits this long. */
const OUTAGE_RETRY_S = 30;

/**
 * The `DELIVERIES` consumer. Per queue batch: read what it needs from D1 in one round trip
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
      await env.DELIVERIES.sendBatch(
        open.map((m) => ({
          body: m.body,
          contentType: "json" as const,
          delaySeconds: OUTAGE_RETRY_S,
        })),
      );
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

async function deliverBatch(batch: readonly Message<unknown>[], env: Env): Promise<void> {
  const cfg = settings(env);
  const now = Date.now();
  const leaseMs = cfg.requestTimeoutMs + LEASE_MARGIN_MS;
  const windowMs = retryWindowMs(cfg.retrySchedule, cfg.requestTimeoutMs);

  const firstTries = new Map<string, Item>();
  const wakes = new Map<string, Message<unknown>[]>();
  const records: { message: Message<unknown>; task: RecordTask }[] = [];
  for (const message of batch) {
    const parsed = QueueTask.safeParse(message.body);
    if (!parsed.success) {
      log("poison queue message acked", { messageId: message.id, reason: "malformed body" });
      message.ack();
      continue;
    }
    const task = parsed.data;
    if (task.kind === "record") {
      records.push({ message, task });
      continue;
    }
    if (task.kind === "wake") {
      wakes.set(task.endpointId, [...(wakes.get(task.endpointId) ?? []), message]);
      continue;
    }
    const id = deliveryId(task.messageId, task.endpointId);
    if (firstTries.has(id)) {
      message.ack(); // the same delivery twice in one batch: one send is enough
      continue;
    }
    firstTries.set(id, {
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
  await writeRecords(env, records);
  if (firstTries.size === 0 && wakes.size === 0) return;

  const items = [...firstTries.values()];
  const ctx = await loadContext(
    env.DB,
    [...items.map((i) => i.endpointId), ...wakes.keys()],
    items,
    items.filter((i) => i.payload === null),
    now,
  );

  // A first try that already has an outcome or an open row went out before (the queue handed
  // it out twice, or the sweeper took over a lost send): it is not sent again.
  const handled = new Set(ctx.logged.map((l) => deliveryId(l.entry[0], l.endpointId)));
  for (const o of ctx.open) handled.add(deliveryId(o.message_id, o.endpoint_id));
  const results: Result[] = [];
  const lanes = new Map<string, Lane>();
  const laneOf = (endpointId: string): Lane => {
    let lane = lanes.get(endpointId);
    if (!lane) {
      lane = {
        endpoint: ctx.endpoints.get(endpointId),
        fresh: [],
        woken: false,
        grant: null,
        released: [],
        releasing: false,
        nextDue: null,
      };
      lanes.set(endpointId, lane);
    }
    return lane;
  };
  for (const endpointId of wakes.keys()) laneOf(endpointId).woken = true;
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
        results.push(waitFor(item, now, now, windowMs));
        laneOf(item.endpointId);
        return;
      }
      const prepared = await prepare(
        env,
        cfg,
        item,
        endpoint,
        ctx.secrets.get(item.endpointId) ?? [],
        now,
      );
      if ("result" in prepared) results.push(prepared.result);
      else laneOf(item.endpointId).fresh.push(prepared.ready);
    }),
  );

  // Ask each gate once; woken endpoints then hand out as many open deliveries as they may send.
  await Promise.all(
    [...lanes.entries()].map(async ([endpointId, lane]) => {
      const endpoint = lane.endpoint;
      const usable = endpoint && !endpoint.disabled;
      if (!usable) {
        // Gone or disabled: what it still has open is settled without the gate.
        if (lane.woken) {
          const out = await releaseDue(env.DB, endpointId, now, WAKE_BATCH, now + leaseMs);
          lane.released = out.rows;
        }
        return;
      }
      const fifo = endpoint.ordering === "fifo";
      const extra = lane.woken ? (fifo ? FIFO_RUN : WAKE_BATCH) : 0;
      if (lane.fresh.length + extra === 0) return;
      lane.grant = await askGate(env, endpoint, fifo ? 1 : lane.fresh.length + extra);
      const room = capacityOf(lane.grant, fifo) - lane.fresh.length;
      if (lane.woken && room > 0) {
        const release = fifo ? releaseFifo : releaseDue;
        const out = await release(env.DB, endpointId, now, Math.min(extra, room), now + leaseMs);
        lane.released = out.rows;
        lane.nextDue = out.nextDue;
        lane.releasing = true;
      }
    }),
  );
  const releasedRows = [...lanes.values()].flatMap((l) => l.released);
  const releasedMessages = await readMessages(
    env.DB,
    releasedRows.map((r) => ({ appId: r.app_id, messageId: r.message_id })),
  );

  const plans: { endpointId: string; plan: Plan }[] = [];
  const notes = new Map<string, BacklogNote>();
  await Promise.all(
    [...lanes.entries()].map(async ([endpointId, lane]) => {
      const note: BacklogNote = { endpointId, ...(lane.woken ? { woke: true } : {}) };
      notes.set(endpointId, note);
      const released: Ready[] = [];
      await Promise.all(
        lane.released.map(async (row) => {
          const msg = releasedMessages.get(row.message_id);
          const item: Item = {
            appId: row.app_id,
            messageId: row.message_id,
            endpointId,
            eventType: msg?.event_type ?? "",
            createdAt: msg?.created_at ?? row.created_at,
            payload: msg?.payload ?? null,
            open: row,
            message: null,
          };
          const prepared = await prepare(
            env,
            cfg,
            item,
            lane.endpoint,
            ctx.secrets.get(endpointId) ?? [],
            now,
          );
          if ("result" in prepared) results.push(prepared.result);
          else released.push(prepared.ready);
        }),
      );
      const grant = lane.grant;
      // A wake says when the endpoint's next waiting delivery is due, or that nothing waits;
      // one the gate refused says when the gate will let it try again.
      if (lane.releasing) {
        if (lane.nextDue !== null) note.parkedUntil = lane.nextDue;
        else if (grant?.parkSeq !== undefined) note.drained = grant.parkSeq;
      } else if (lane.woken && grant && grant.leases.length === 0) {
        note.parkedUntil = grant.waitFor === "slot" ? now : now + grant.retryAfterMs;
      }
      if (!grant) return;
      const fifo = lane.endpoint?.ordering === "fifo";
      // Older deliveries first: what a wake handed out, in its order, then this batch's first tries.
      released.sort((a, b) => order(a.item, b.item, fifo));
      const queue = [...released, ...lane.fresh];
      const sendable = Math.min(capacityOf(grant, fifo), queue.length);
      const leases = grant.leases.slice(0, Math.max(0, Math.min(grant.leases.length, sendable)));
      if (grant.leases.length > leases.length)
        note.unusedLeases = grant.leases.slice(leases.length);
      if (sendable > 0) {
        plans.push({
          endpointId,
          plan: {
            lanes: leases.map((leaseId, i) => ({ leaseId, notBefore: grant.notBefore?.[i] })),
            queue: queue.slice(0, sendable),
            reusable: grant.reusable,
            failureBudget: grant.failureBudget,
            fifo,
          },
        });
      }
      // The rest waits: for a slot (a report wakes it), or for the time the gate gave, spread
      // at the endpoint's rate so it returns in order rather than all at once.
      const rest = queue.slice(sendable);
      const spacingMs = lane.endpoint?.rate_limit ? 1000 / lane.endpoint.rate_limit : 0;
      rest.forEach((r, k) => {
        const dueAt =
          grant.waitFor === "slot"
            ? now
            : now + Math.max(LEFTOVER_WAIT_MS, grant.retryAfterMs + k * spacingMs);
        results.push(waitFor(r.item, dueAt, now, windowMs));
      });
      if (rest.length > 0) {
        // Waiting for a slot, it is due now: the gate wakes it when a report frees one.
        const until = grant.waitFor === "slot" ? now : now + grant.retryAfterMs;
        note.parkedUntil = Math.min(note.parkedUntil ?? until, until);
      }
    }),
  );

  const run: RunOptions = {
    timeoutMs: cfg.requestTimeoutMs,
    schedule: cfg.retrySchedule,
    counted4xx: parseCounted4xx(env.BREAKER_COUNT_4XX),
    startBy: now + leaseMs - cfg.requestTimeoutMs - LANE_SLACK_MS,
    now,
  };
  const sent: Result[] = [];
  await Promise.all(
    plans.map(async ({ endpointId, plan }) => {
      const ran: PlanRun = plan.fifo ? await runFifoPlan(plan, run) : await runPlan(plan, run);
      sent.push(...ran.done);
      const note = notes.get(endpointId);
      const at = Date.now();
      // A FIFO head that failed holds the rest until its retry; any other leftover goes next.
      const head = plan.fifo ? ran.done[ran.done.length - 1] : undefined;
      const resumeAt =
        ran.stoppedBy === "failures" && head?.park ? head.park.dueAt : at + LEFTOVER_WAIT_MS;
      for (const r of ran.leftover) results.push(waitFor(r.item, resumeAt, at, windowMs));
      if (!note) return;
      if (ran.leftover.length > 0 || (plan.fifo && ran.stoppedBy === "failures"))
        note.parkedUntil = Math.min(note.parkedUntil ?? resumeAt, resumeAt);
      // Every failure that will retry is parked too: the gate wakes it when it is due.
      for (const r of ran.done) {
        if (r.park) note.parkedUntil = Math.min(note.parkedUntil ?? r.park.dueAt, r.park.dueAt);
      }
    }),
  );
  results.push(...sent);
  // Deliveries parked without a plan (refused first tries, retries after a refused DNS check).
  for (const r of results) {
    if (!r.park) continue;
    const note = notes.get(r.item.endpointId) ?? { endpointId: r.item.endpointId };
    note.parkedUntil = Math.min(note.parkedUntil ?? r.park.dueAt, r.park.dueAt);
    notes.set(r.item.endpointId, note);
  }

  const writeNow = Date.now();
  const gone = new Map<string, string>();
  for (const r of results) if (r.disableEndpoint) gone.set(r.item.endpointId, r.disableEndpoint);
  const statements = [
    ...recordStatements(env.DB, results, writeNow),
    ...disableStatements(env.DB, gone, ctx.endpoints, writeNow),
  ];
  try {
    await writeWithRetry(env.DB, statements);
  } catch (err) {
    // Sent but not recorded: the outcomes go through the queue to be written later, so nothing
    // is sent again. Only if the queue refuses them too do the first tries go back to the queue
    // after the lease (the receiver may see a duplicate; nothing is lost); handed-out open rows
    // are then found by the sweeper.
    log("recording outcomes failed; sending them to be recorded later", {
      kind: "d1_unavailable",
      error: String(err),
    });
    try {
      await env.DELIVERIES.sendBatch(
        recordTasks(results, writeNow).map((body) => ({ body, contentType: "json" as const })),
      );
      for (const item of firstTries.values()) item.message?.ack();
    } catch (sendErr) {
      log("queue unavailable; first tries handed back after the lease", {
        kind: "queue_unavailable",
        error: String(sendErr),
      });
      for (const item of firstTries.values())
        item.message?.retry({ delaySeconds: Math.ceil(leaseMs / 1000) });
    }
    for (const list of wakes.values()) for (const m of list) m.ack();
    await report(env, sent, notes).catch(() => undefined);
    return;
  }
  const reported = await report(env, sent, notes);
  const autoDisabled = new Map([...reported].filter(([id]) => !gone.has(id)));
  if (autoDisabled.size > 0) {
    try {
      await writeWithRetry(
        env.DB,
        disableStatements(env.DB, autoDisabled, ctx.endpoints, writeNow),
      );
      for (const [id, reason] of autoDisabled) gone.set(id, reason);
    } catch (err) {
      log("auto-disable could not be recorded", {
        endpoints: [...autoDisabled.keys()],
        error: String(err),
      });
    }
  }
  // Each is an operator event in D1 now; the sweeper sends those on to OPERATOR_APP_ID.
  if (gone.size > 0) log("endpoints disabled", { endpoints: [...gone.keys()] });

  await followUp(env, results, wakes);
  log("delivery batch", {
    messages: batch.length,
    firstTries: firstTries.size,
    woken: wakes.size,
    released: releasedRows.length,
    sent: sent.length,
    succeeded: results.filter((r) => r.entry?.[2] === "succeeded").length,
    parked: results.filter((r) => r.park).length,
    dead: results.filter((r) => r.dead).length,
    ms: Date.now() - now,
  });
}

/**
 * Writes outcomes a consumer could not record when it sent them (their `record` tasks); each
 * task is acked once written, or retried later.
 */
async function writeRecords(
  env: Env,
  records: { message: Message<unknown>; task: RecordTask }[],
): Promise<void> {
  await Promise.all(
    records.map(async ({ message, task }) => {
      try {
        await writeWithRetry(
          env.DB,
          recordStatements(env.DB, task.results as unknown as Recordable[], task.at),
        );
        message.ack();
      } catch (err) {
        log("recording deferred outcomes failed; trying again later", { error: String(err) });
        message.retry({ delaySeconds: OUTAGE_RETRY_S });
      }
    }),
  );
}

/** FIFO deliveries go in message order; others oldest due first. */
function order(a: Item, b: Item, fifo: boolean): number {
  if (!fifo && a.open && b.open && a.open.due_at !== b.open.due_at)
    return a.open.due_at - b.open.due_at;
  return a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0;
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
async function followUp(
  env: Env,
  results: Result[],
  wakes: Map<string, Message<unknown>[]>,
): Promise<void> {
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
  for (const list of wakes.values()) for (const m of list) m.ack();
}
