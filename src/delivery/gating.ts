/**
 * The consumer's side of each endpoint's gate: ask once per batch for slots (`askGate`), send
 * what was granted in lanes (`runPlan`, `runFifoPlan` for ordered endpoints), and report the
 * outcomes once, with what was left parked (`report`). What the gate does not let through
 * waits in D1 without using an attempt until the gate wakes it.
 */

import type { EndpointRow } from "../db/endpoints";
import type { AdmitResult, BacklogNote, GateOutcome } from "../gate/types";
import { log } from "../lib/log";
import { membersOf, sendBatch } from "./batching";
import { countsAsFailure, parseCounted4xx } from "./classify";
import { crashed, type Ready, type Result, send } from "./results";
import { parseRetryAfter } from "./retry";

/** When the gate cannot be reached, wait this long rather than send unguarded. */
const GATE_DOWN_MS = 5_000;

/** In-flight requests per endpoint when the endpoint sets no `maxConcurrency`. */
export const DEFAULT_MAX_CONCURRENCY = 10;

/** What every plan of a batch runs with. */
export interface RunOptions {
  timeoutMs: number;
  schedule: number[];
  counted4xx: ReadonlySet<number>;
  /** No lane starts a further request after this time, so none outlives its lease (consumer.ts). */
  startBy: number;
  now: number;
}

/** What a plan sent and what it did not get to. */
export interface PlanRun {
  done: Result[];
  leftover: Ready[];
  /** Leases whose send time passed before their lane could use it (handed back unused). */
  late?: string[];
  /** Why the leftover is left: out of time, or the head failed (FIFO) / too many failures. */
  stoppedBy: "time" | "failures" | "none";
}

/** What one endpoint may send in this invocation: its granted slots and the deliveries for them. */
export interface Plan {
  /** One per granted slot: its lease, and with a rate limit the time it may send. */
  lanes: { leaseId: string; notBefore?: number }[];
  /** In send order; with `reusable`, each lane works through it until it is empty. */
  queue: Ready[];
  reusable: boolean;
  failureBudget: number;
  /** FIFO: one lane walks the queue in message order while each delivery succeeds. */
  fifo: boolean;
}

/** Asks an endpoint's gate for up to `n` slots; an unreachable gate grants none for a while. */
export async function askGate(env: Env, endpoint: EndpointRow, n: number): Promise<AdmitResult> {
  try {
    const stub = env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(endpoint.id));
    return await stub.admit(n, {
      rateLimit: endpoint.rate_limit,
      maxConcurrency: endpoint.max_concurrency ?? DEFAULT_MAX_CONCURRENCY,
      fifo: endpoint.ordering === "fifo",
    });
  } catch (err) {
    log("gate unreachable; deferring", { endpointId: endpoint.id, error: String(err) });
    return {
      leases: [],
      retryAfterMs: GATE_DOWN_MS,
      breaker: "closed",
      reusable: false,
      failureBudget: 0,
      waitFor: "time",
    };
  }
}

/** How many deliveries a grant lets this invocation send. */
export function capacityOf(grant: AdmitResult, fifo: boolean): number {
  if (grant.leases.length === 0) return 0;
  return grant.reusable || fifo ? Number.POSITIVE_INFINITY : grant.leases.length;
}

/**
 * How late a paced lane may start: send times are spaced so that `rate` of them span a second
 * plus 20 ms of arrival slack (gate/pacer.ts); starting within half of it keeps any one second
 * at `rate`.
 */
const LATE_SEND_MS = 10;

/**
 * Sends a plan: each granted slot is a lane, sent no earlier than its `notBefore` when the gate
 * paces the endpoint. Without `reusable`, a lane carries one request; with it, lanes keep
 * taking the next delivery until none is left, so in-flight never exceeds the grant. Lanes stop
 * early once `failureBudget` failures in a row have been seen (the gate would open the
 * breaker); what is left over waits.
 */
export async function runPlan(plan: Plan, run: RunOptions): Promise<PlanRun> {
  const { timeoutMs, schedule, counted4xx, startBy, now } = run;
  const done: Result[] = [];
  let next = 0;
  let failuresInRow = 0;
  let outOfTime = false;
  const late: string[] = [];
  await Promise.all(
    plan.lanes.map(async ({ leaseId, notBefore }) => {
      let sentHere = 0;
      while (next < plan.queue.length && failuresInRow < plan.failureBudget) {
        // A lane's first request is what the gate granted; later ones must fit in the lease.
        if (sentHere++ > 0 && Date.now() > startBy) {
          outOfTime = true;
          return;
        }
        if (notBefore !== undefined && sentHere === 1) {
          // The gate paces rate-limited endpoints by send time: wait for this slot's turn. A
          // lane woken too late (the isolate was busy) lets its turn go rather than send on
          // top of the next ones: the rate is a promise about any one second.
          const wait = notBefore - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          if (Date.now() > notBefore + LATE_SEND_MS) {
            late.push(leaseId);
            return;
          }
        }
        const r = plan.queue[next++];
        if (!r) return;
        const results = await sendOrCrash(r, leaseId, timeoutMs, schedule, now);
        done.push(...results);
        // A batch's members share one verdict: its first speaks for the request.
        const result = results[0];
        if (!plan.reusable || !result) return;
        if (result.ended && !result.dead) failuresInRow = 0;
        else if (result.gate && countsAsFailure(result.gate.outcome, counted4xx)) failuresInRow++;
      }
    }),
  );
  const leftover = plan.queue.slice(next);
  const stoppedBy =
    leftover.length === 0 ? "none" : failuresInRow >= plan.failureBudget ? "failures" : "time";
  return {
    done,
    leftover,
    stoppedBy: outOfTime && stoppedBy === "failures" ? "time" : stoppedBy,
    ...(late.length > 0 ? { late } : {}),
  };
}

/**
 * Sends a FIFO plan under its single slot, in message order (the queue is the endpoint's open
 * deliveries from its head, handed out together). A failure stops the walk: the head blocks
 * what is behind it until it succeeds or dies. Nothing here reads D1: a fault mid-walk cannot
 * make the batch resend what already went.
 */
export async function runFifoPlan(plan: Plan, run: RunOptions): Promise<PlanRun> {
  const { timeoutMs, schedule, startBy, now } = run;
  const lane = plan.lanes[0];
  const done: Result[] = [];
  if (!lane) return { done, leftover: plan.queue, stoppedBy: "time" };
  for (let i = 0; i < plan.queue.length; i++) {
    const r = plan.queue[i];
    if (!r) break;
    if (i > 0 && Date.now() > startBy)
      return { done, leftover: plan.queue.slice(i), stoppedBy: "time" };
    const results = await sendOrCrash(r, lane.leaseId, timeoutMs, schedule, now);
    done.push(...results);
    // A dead head no longer blocks: the next one goes. A batch's members share one verdict.
    if (!results[0]?.ended)
      return { done, leftover: plan.queue.slice(i + 1), stoppedBy: "failures" };
  }
  return { done, leftover: [], stoppedBy: "none" };
}

/** Sends one request (a delivery, or a batch of them): its results, first member first. */
function sendOrCrash(
  r: Ready,
  leaseId: string,
  timeoutMs: number,
  schedule: number[],
  now: number,
): Promise<Result[]> {
  const sending = r.batch
    ? sendBatch(r, leaseId, timeoutMs, schedule, now)
    : send(r, leaseId, timeoutMs, schedule).then((one) => [one]);
  return sending.catch((err: unknown) => {
    log("delivery processing threw; handing it back", {
      messageId: r.item.messageId,
      endpointId: r.item.endpointId,
      error: String(err),
    });
    return membersOf(r).map((m) => crashed(m.item, now));
  });
}

/**
 * Reports outcomes and parked backlogs to each endpoint's gate in one call per endpoint;
 * returns the endpoints the gate wants disabled.
 */
export async function report(
  env: Env,
  sent: Result[],
  notes: Map<string, BacklogNote>,
): Promise<Map<string, string>> {
  const counted4xx = parseCounted4xx(env.BREAKER_COUNT_4XX);
  const byEndpoint = new Map<string, GateOutcome[]>();
  const appOf = new Map<string, string>();
  for (const [id, note] of notes) {
    byEndpoint.set(id, []);
    appOf.set(id, note.appId);
  }
  for (const r of sent) {
    if (!r.gate) continue;
    const { outcome, leaseId } = r.gate;
    const asked =
      outcome.statusCode === 429 || outcome.statusCode === 503
        ? parseRetryAfter(outcome.retryAfter, Date.now())
        : null;
    // The endpoint pauses as the receiver asked, but never past this delivery's own (clamped)
    // retry: a receiver cannot park the endpoint longer than the schedule lets it park one.
    const retryIn = r.park ? Math.max(0, Math.ceil((r.park.dueAt - Date.now()) / 1000)) : asked;
    const pauseS = asked === null ? 0 : Math.min(asked, retryIn ?? asked);
    const ok = r.entry?.[2] === "succeeded";
    const list = byEndpoint.get(r.item.endpointId) ?? [];
    list.push({
      leaseId,
      ok,
      countsAsFailure: !ok && countsAsFailure(outcome, counted4xx),
      latencyMs: outcome.durationMs,
      ...(pauseS > 0 ? { retryAfterMs: pauseS * 1000 } : {}),
    });
    byEndpoint.set(r.item.endpointId, list);
    appOf.set(r.item.endpointId, r.item.appId);
  }
  const disabled = new Map<string, string>();
  await Promise.all(
    [...byEndpoint.entries()].map(async ([endpointId, outcomes]) => {
      try {
        const stub = env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(endpointId));
        const res = await stub.report(
          outcomes,
          Date.now(),
          notes.get(endpointId) ?? { endpointId, appId: appOf.get(endpointId) ?? "" },
        );
        if (res.disable) disabled.set(endpointId, res.disable);
      } catch (err) {
        // The leases expire by themselves; the breaker misses these outcomes, and parked
        // deliveries wait for the sweeper's wake instead of the gate's.
        log("gate report failed", { endpointId, error: String(err) });
      }
    }),
  );
  return disabled;
}
