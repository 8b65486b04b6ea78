/**
 * One batch, endpoint by endpoint: each endpoint's lane holds its first tries, whether it was
 * woken, what its gate granted and what a wake handed out; `admitLanes` asks each gate once,
 * `planLanes` decides what goes now and what waits, `sendPlans` sends. What waits is parked in
 * D1 and the gate is told when it may go (`run.notes`).
 */

import type { Settings } from "../config";
import type { DeliveryEndpoint, SecretForEndpoint } from "../db/delivery-context";
import type { MessageRow } from "../db/messages";
import { fillingGroup, type OpenRow, releaseDue, releaseFifo } from "../db/open-deliveries";
import type { AdmitResult, BacklogNote } from "../gate/types";
import { newId } from "../lib/ids";
import { type Batch, parseBatch } from "../schemas/batch";
import { formBatches, membersOf } from "./batching";
import { parseCounted4xx } from "./classify";
import {
  askGate,
  capacityOf,
  type Plan,
  type PlanRun,
  type RunOptions,
  runFifoPlan,
  runPlan,
} from "./gating";
import { prepare } from "./prepare";
import { type Item, type Ready, type Result, waitFor } from "./results";

/** A lane starts no request that could still be running this close to its lease's expiry. */
const LANE_SLACK_MS = 5_000;
/**
 * Most open deliveries one wake hands out for an endpoint: reusable lanes walk them within the
 * lease (a backlog after an outage drains at the endpoint's own pace, one wake at a time).
 */
const WAKE_BATCH = 500;
/** Most FIFO deliveries one wake hands out (walked in order under the single slot). */
const FIFO_RUN = 50;
/** What a lane left for lack of time waits before the next wake. */
const LEFTOVER_WAIT_MS = 1_000;

/** One endpoint's part of a batch: its first tries, whether it was woken, what the gate said. */
export interface Lane {
  endpoint: DeliveryEndpoint | undefined;
  /** The endpoint's app (known even when the endpoint is gone). */
  appId: string;
  fresh: Ready[];
  woken: boolean;
  grant: AdmitResult | null;
  released: OpenRow[];
  /** Whether this wake asked D1 for due rows (the gate let it send). */
  releasing: boolean;
  /** When the endpoint's next waiting delivery is due after this wake (null: none). */
  nextDue: number | null;
}

/** Everything one batch shares while it runs. */
export interface BatchRun {
  env: Env;
  /** The shard whose deliveries this run handles, and its index. */
  db: D1Database;
  shard: number;
  cfg: Settings;
  /** When the batch started: every time it decides is counted from here. */
  now: number;
  /** How long a handed-out delivery is out before it counts as lost. */
  leaseMs: number;
  windowMs: number;
  /** What each delivery of the batch turned into, so far. */
  results: Result[];
  lanes: Map<string, Lane>;
  /** What each gate is told with its report: what was parked, whether a wake drained. */
  notes: Map<string, BacklogNote>;
  /** Batching endpoints whose first tries were parked to fill a batch, with their maxEvents. */
  filling: Map<string, number>;
}

/** The lane of an endpoint, made on first use. */
export function laneOf(
  run: BatchRun,
  endpoint: DeliveryEndpoint | undefined,
  endpointId: string,
  appId: string,
): Lane {
  let lane = run.lanes.get(endpointId);
  if (!lane) {
    lane = {
      endpoint,
      appId,
      fresh: [],
      woken: false,
      grant: null,
      released: [],
      releasing: false,
      nextDue: null,
    };
    run.lanes.set(endpointId, lane);
  }
  return lane;
}

/**
 * Asks each endpoint's gate once for as many slots as its lane could use; a woken endpoint then
 * hands out as many of its due open deliveries as the grant leaves room for. A gone or disabled
 * endpoint hands out its open deliveries without the gate, to be settled.
 */
export async function admitLanes(run: BatchRun): Promise<void> {
  await Promise.all(
    [...run.lanes.entries()].map(async ([endpointId, lane]) => {
      const endpoint = lane.endpoint;
      const usable = endpoint && !endpoint.disabled;
      if (!usable) {
        // Gone or disabled: what it still has open is settled without the gate.
        if (lane.woken) {
          const out = await releaseDue(
            run.db,
            endpointId,
            run.now,
            WAKE_BATCH,
            run.now + run.leaseMs,
          );
          lane.released = out.rows;
        }
        return;
      }
      const fifo = endpoint.ordering === "fifo";
      const batch = parseBatch(endpoint.batch);
      // A batching FIFO endpoint's head run holds at least one whole batch (a failed one
      // re-forms from the head).
      const fifoRun = batch ? Math.max(FIFO_RUN, batch.maxEvents) : FIFO_RUN;
      const extra = lane.woken ? (fifo ? fifoRun : WAKE_BATCH) : 0;
      if (lane.fresh.length + extra === 0) return;
      // The gate counts requests: a batch is one.
      const wanted = batch
        ? Math.ceil((lane.fresh.length + extra) / batch.maxEvents)
        : lane.fresh.length + extra;
      lane.grant = await askGate(run.env, endpoint, fifo ? 1 : wanted);
      const room = batch
        ? capacityOf(lane.grant, fifo) * batch.maxEvents - lane.fresh.length
        : capacityOf(lane.grant, fifo) - lane.fresh.length;
      if (lane.woken && room > 0) {
        const release = fifo ? releaseFifo : releaseDue;
        const out = await release(
          run.db,
          endpointId,
          run.now,
          Math.min(extra, room),
          run.now + run.leaseMs,
        );
        lane.released = out.rows;
        lane.nextDue = out.nextDue;
        lane.releasing = true;
      }
    }),
  );
}

/**
 * What goes now and what waits, per lane: the deliveries a wake handed out are prepared like
 * first tries, older ones first; what the grant covers becomes a plan, the rest is parked until
 * the gate's time (or, waiting for a slot, until a report frees one).
 */
export async function planLanes(
  run: BatchRun,
  secrets: Map<string, SecretForEndpoint[]>,
  releasedMessages: Map<string, MessageRow>,
): Promise<{ endpointId: string; plan: Plan }[]> {
  const plans: { endpointId: string; plan: Plan }[] = [];
  await Promise.all(
    [...run.lanes.entries()].map(async ([endpointId, lane]) => {
      const note: BacklogNote = {
        endpointId,
        appId: lane.appId,
        ...(lane.woken ? { woke: true } : {}),
      };
      run.notes.set(endpointId, note);
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
            run.env,
            run.cfg,
            item,
            lane.endpoint,
            secrets.get(endpointId) ?? [],
            run.now,
          );
          if ("result" in prepared) run.results.push(prepared.result);
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
        note.parkedUntil = grant.waitFor === "slot" ? run.now : run.now + grant.retryAfterMs;
      }
      if (!grant) return;
      const fifo = lane.endpoint?.ordering === "fifo";
      // Older deliveries first: what a wake handed out, in its order, then this batch's first tries.
      released.sort((a, b) => order(a.item, b.item, fifo));
      let queue = [...released, ...lane.fresh];
      const batch = parseBatch(lane.endpoint?.batch);
      if (batch) {
        // Grouped into batch requests; a short batch of first tries waits to fill, parked
        // until its oldest has waited maxWaitMs (the gate wakes it).
        const formed = formBatches(queue, batch, run.now, fifo);
        queue = formed.units;
        if (formed.waiting) await parkToFill(run, endpointId, batch, formed.waiting);
      }
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
      const rest = queue.slice(sendable).flatMap(membersOf);
      const spacingMs = lane.endpoint?.rate_limit ? 1000 / lane.endpoint.rate_limit : 0;
      rest.forEach((r, k) => {
        const dueAt =
          grant.waitFor === "slot"
            ? run.now
            : run.now + Math.max(LEFTOVER_WAIT_MS, grant.retryAfterMs + k * spacingMs);
        run.results.push(waitFor(r.item, dueAt, run.now, run.windowMs));
      });
      if (rest.length > 0) {
        // Waiting for a slot, it is due now: the gate wakes it when a report frees one.
        const until = grant.waitFor === "slot" ? run.now : run.now + grant.retryAfterMs;
        note.parkedUntil = Math.min(note.parkedUntil ?? until, until);
      }
    }),
  );

  return plans;
}

/**
 * Parks a short batch of first tries in the endpoint's filling group, so several queue
 * batches' worth go out together: it joins the group already filling (due when that group's
 * oldest has waited maxWaitMs), or starts one; members beyond maxEvents start the next group.
 * The endpoint is noted in `run.filling`: the write that parks them makes the group due now
 * once it holds maxEvents (`hurryFullStatement`), and the gate is then told to wake it.
 */
async function parkToFill(
  run: BatchRun,
  endpointId: string,
  batch: Batch,
  waiting: { members: Ready[]; until: number },
): Promise<void> {
  const park = (members: Ready[], batchId: string, dueAt: number) => {
    for (const m of members) {
      // The wait for a batch comes before any try: it lengthens the delivery's window.
      const r = waitFor(m.item, dueAt, run.now, run.windowMs + batch.maxWaitMs);
      if (r.park) r.park.batchId = batchId;
      run.results.push(r);
    }
  };
  run.filling.set(endpointId, batch.maxEvents);
  let members = waiting.members;
  const group = await fillingGroup(run.db, endpointId);
  if (group) {
    const joining = members.slice(0, Math.max(0, batch.maxEvents - group.count));
    members = members.slice(joining.length);
    park(joining, group.batchId, Math.min(group.until, waiting.until));
  }
  if (members.length > 0) {
    const oldest = Math.min(...members.map((m) => m.item.createdAt));
    park(members, newId("bat", run.now), oldest + batch.maxWaitMs);
  }
}

/** Sends every plan; parks what a lane left and tells its gate when that may go. */
export async function sendPlans(
  run: BatchRun,
  plans: { endpointId: string; plan: Plan }[],
): Promise<Result[]> {
  const options: RunOptions = {
    timeoutMs: run.cfg.requestTimeoutMs,
    schedule: run.cfg.retrySchedule,
    counted4xx: parseCounted4xx(run.env.BREAKER_COUNT_4XX),
    startBy: run.now + run.leaseMs - run.cfg.requestTimeoutMs - LANE_SLACK_MS,
    now: run.now,
  };
  const sent: Result[] = [];
  await Promise.all(
    plans.map(async ({ endpointId, plan }) => {
      const ran: PlanRun = plan.fifo
        ? await runFifoPlan(plan, options)
        : await runPlan(plan, options);
      sent.push(...ran.done);
      const note = run.notes.get(endpointId);
      const at = Date.now();
      // A FIFO head that failed holds the rest until its retry; any other leftover goes next.
      const head = plan.fifo ? ran.done[ran.done.length - 1] : undefined;
      const resumeAt =
        ran.stoppedBy === "failures" && head?.park ? head.park.dueAt : at + LEFTOVER_WAIT_MS;
      for (const r of ran.leftover.flatMap(membersOf))
        run.results.push(waitFor(r.item, resumeAt, at, run.windowMs));
      if (!note) return;
      // Slots a lane was too late to use go back to the gate at once.
      if (ran.late) note.unusedLeases = [...(note.unusedLeases ?? []), ...ran.late];
      if (ran.leftover.length > 0 || (plan.fifo && ran.stoppedBy === "failures"))
        note.parkedUntil = Math.min(note.parkedUntil ?? resumeAt, resumeAt);
      // Every failure that will retry is parked too: the gate wakes it when it is due.
      for (const r of ran.done) {
        if (r.park) note.parkedUntil = Math.min(note.parkedUntil ?? r.park.dueAt, r.park.dueAt);
      }
    }),
  );
  run.results.push(...sent);

  return sent;
}

/** Tells each gate the earliest time of everything parked for its endpoint in this batch. */
export function noteParked(run: BatchRun): void {
  for (const r of run.results) {
    if (!r.park) continue;
    const note = run.notes.get(r.item.endpointId) ?? {
      endpointId: r.item.endpointId,
      appId: r.item.appId,
    };
    note.parkedUntil = Math.min(note.parkedUntil ?? r.park.dueAt, r.park.dueAt);
    run.notes.set(r.item.endpointId, note);
  }
}

/** FIFO deliveries go in message order; others oldest due first. */
function order(a: Item, b: Item, fifo: boolean): number {
  if (!fifo && a.open && b.open && a.open.due_at !== b.open.due_at)
    return a.open.due_at - b.open.due_at;
  return a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0;
}
