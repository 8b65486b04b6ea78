/**
 * The consumer's side of each endpoint's gate: ask once per batch for slots (`admit`), send
 * what was granted in lanes (`runPlan`, `runFifoPlan` for ordered endpoints), and report the
 * outcomes once (`report`). What the gate does not let through waits without using an attempt.
 */

import { fifoHeads, nextFifoDelivery } from "../db/deliveries";
import { countsAsFailure, parseCounted4xx } from "../gate/classify";
import type { AdmitResult, GateOutcome } from "../gate/types";
import { log } from "../lib/log";
import { crashed, type Ready, type Result, send, waitFor } from "./results";
import { parseRetryAfter } from "./retry";

/** How often a FIFO delivery waiting behind its head checks again. */
const FIFO_WAIT_S = 1;

/** When the gate cannot be reached, wait this long rather than send unguarded. */
const GATE_DOWN_S = 5;

/** In-flight requests per endpoint when the endpoint sets no `maxConcurrency`. */
const DEFAULT_MAX_CONCURRENCY = 10;

/** What every plan of a batch runs with. */
export interface RunOptions {
  timeoutMs: number;
  schedule: number[];
  counted4xx: ReadonlySet<number>;
  /** No lane starts a further request after this time, so none outlives its lease (consumer.ts). */
  startBy: number;
  now: number;
}

/** What a plan sent, what it left, and how long what it left should wait. */
interface PlanRun {
  done: Result[];
  leftover: Ready[];
  waitS: number;
}

/** What one endpoint may send in this invocation: its granted slots and the deliveries for them. */
interface Plan {
  /** One per granted slot: its lease, and with a rate limit the time it may send. */
  lanes: { leaseId: string; notBefore?: number }[];
  /** In message order; with `reusable`, each lane works through it until it is empty. */
  queue: Ready[];
  reusable: boolean;
  failureBudget: number;
  /** FIFO: one lane walks the queue in message order while each delivery succeeds. */
  fifo: boolean;
}

/**
 * Asks each endpoint's gate once for as many slots as this batch has deliveries for it. FIFO
 * endpoints only ever send their oldest unfinished delivery. What cannot be sent waits (no
 * attempt used), staggered so it comes back at the pace the gate allows, or expires when its
 * retry window has closed.
 */
export async function admit(
  env: Env,
  ready: Ready[],
  now: number,
  windowMs: number,
): Promise<{ plans: Plan[]; waiting: Result[] }> {
  const byEndpoint = new Map<string, Ready[]>();
  for (const r of ready) {
    const list = byEndpoint.get(r.endpoint.id) ?? [];
    list.push(r);
    byEndpoint.set(r.endpoint.id, list);
  }
  const fifo = [...byEndpoint.values()]
    .filter((l) => l[0]?.endpoint.ordering === "fifo")
    .map((l) => l[0]?.endpoint.id ?? "");
  const heads = await fifoHeads(env.DB, fifo);

  const plans: Plan[] = [];
  const waiting: Result[] = [];
  await Promise.all(
    [...byEndpoint.entries()].map(async ([endpointId, list]) => {
      list.sort((a, b) => (a.delivery.message_id < b.delivery.message_id ? -1 : 1));
      const endpoint = list[0]?.endpoint;
      if (!endpoint) return;
      let eligible = list;
      if (endpoint.ordering === "fifo") {
        // Only from the head on: everything in this batch waits if its head is elsewhere, until
        // the head's retry is due when it failed, or briefly when it is queued or in flight.
        const head = heads.get(endpointId);
        const headAt = list.findIndex((r) => r.delivery.id === head?.id);
        eligible = headAt < 0 ? [] : list.slice(headAt);
        const waitS =
          head?.status === "failed"
            ? Math.max(FIFO_WAIT_S, Math.ceil((head.dueAt - now) / 1000))
            : FIFO_WAIT_S;
        for (const r of headAt < 0 ? list : list.slice(0, headAt)) {
          waiting.push(waitFor(r, waitS, now, windowMs));
        }
      }
      if (eligible.length === 0) return;
      let grant: AdmitResult;
      try {
        const stub = env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(endpointId));
        grant = await stub.admit(eligible.length, {
          rateLimit: endpoint.rate_limit,
          maxConcurrency: endpoint.max_concurrency ?? DEFAULT_MAX_CONCURRENCY,
          fifo: endpoint.ordering === "fifo",
        });
      } catch (err) {
        log("gate unreachable; deferring", { endpointId, error: String(err) });
        grant = {
          leases: [],
          retryAfterMs: GATE_DOWN_S * 1000,
          breaker: "closed",
          reusable: false,
          failureBudget: 0,
        };
      }
      const fifoPlan = endpoint.ordering === "fifo";
      // Without a slot nothing goes; with one, a FIFO lane (like a reusable one) may walk on.
      const sendable =
        grant.leases.length === 0
          ? 0
          : grant.reusable || fifoPlan
            ? eligible.length
            : grant.leases.length;
      if (sendable > 0) {
        plans.push({
          lanes: grant.leases.map((leaseId, i) => ({ leaseId, notBefore: grant.notBefore?.[i] })),
          queue: eligible.slice(0, sendable),
          reusable: grant.reusable,
          failureBudget: grant.failureBudget,
          fifo: fifoPlan,
        });
      }
      // Spread the rest over the time the gate needs to let them through, so they return in
      // order instead of all at once.
      const spacingMs = endpoint.rate_limit ? 1000 / endpoint.rate_limit : 0;
      eligible.slice(sendable).forEach((r, k) => {
        const seconds = Math.max(1, Math.ceil((grant.retryAfterMs + k * spacingMs) / 1000));
        waiting.push(waitFor(r, seconds, now, windowMs));
      });
    }),
  );
  return { plans, waiting };
}

/**
 * Sends a plan: each granted slot is a lane, sent no earlier than its `notBefore` when the gate
 * paces the endpoint. Without `reusable`, a lane carries one request;
 * with it, lanes keep taking the next delivery until none is left, so in-flight never exceeds
 * the grant. Lanes stop early once `failureBudget` failures in a row have been seen (the gate
 * would open the breaker); what is left over waits.
 */
export async function runPlan(plan: Plan, run: RunOptions): Promise<PlanRun> {
  const { timeoutMs, schedule, counted4xx, startBy, now } = run;
  const done: Result[] = [];
  let next = 0;
  let failuresInRow = 0;
  await Promise.all(
    plan.lanes.map(async ({ leaseId, notBefore }) => {
      let sentHere = 0;
      while (next < plan.queue.length && failuresInRow < plan.failureBudget) {
        // A lane's first request is what the gate granted; later ones must fit in the lease.
        if (sentHere++ > 0 && Date.now() > startBy) return;
        const r = plan.queue[next++];
        if (!r) return;
        // The gate paces rate-limited endpoints by send time: wait for this slot's turn.
        const wait = notBefore === undefined ? 0 : notBefore - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const result = await send(r, leaseId, timeoutMs, schedule).catch((err: unknown) => {
          log("delivery processing threw; handing it back to the queue", {
            deliveryId: r.delivery.id,
            error: String(err),
          });
          return crashed(r.delivery, r.task, now);
        });
        done.push(result);
        if (!plan.reusable) return;
        if (result.update.status === "succeeded") failuresInRow = 0;
        else if (result.gate && countsAsFailure(result.gate.outcome, counted4xx)) failuresInRow++;
      }
    }),
  );
  return { done, leftover: plan.queue.slice(next), waitS: 1 };
}

/**
 * Sends a FIFO plan under its single slot, in message order: after each success, the next
 * delivery goes only if it is the endpoint's next unfinished one (nothing older waits elsewhere).
 * A failure stops the walk: the head blocks what is behind it until it succeeds or dies.
 */
export async function runFifoPlan(db: D1Database, plan: Plan, run: RunOptions): Promise<PlanRun> {
  const { timeoutMs, schedule, startBy, now } = run;
  const lane = plan.lanes[0];
  const done: Result[] = [];
  if (!lane) return { done, leftover: plan.queue, waitS: FIFO_WAIT_S };
  let i = 0;
  for (; i < plan.queue.length; i++) {
    const r = plan.queue[i];
    const previous = plan.queue[i - 1];
    if (!r) break;
    if (previous) {
      if (Date.now() > startBy) break;
      const next = await nextFifoDelivery(db, r.endpoint.id, previous.delivery.message_id);
      if (next !== r.delivery.id) break;
    }
    const result = await send(r, lane.leaseId, timeoutMs, schedule).catch((err: unknown) => {
      log("delivery processing threw; handing it back to the queue", {
        deliveryId: r.delivery.id,
        error: String(err),
      });
      return crashed(r.delivery, r.task, now);
    });
    done.push(result);
    if (result.update.status !== "succeeded") {
      // What is behind a failed head waits for the head's retry, not in a tight loop.
      return { done, leftover: plan.queue.slice(i + 1), waitS: result.retryIn ?? FIFO_WAIT_S };
    }
  }
  return { done, leftover: plan.queue.slice(i), waitS: FIFO_WAIT_S };
}

/** Reports outcomes to each endpoint's gate in one call; returns endpoints the gate wants disabled. */
export async function report(env: Env, sent: Result[]): Promise<Map<string, string>> {
  const counted4xx = parseCounted4xx(env.BREAKER_COUNT_4XX);
  const byEndpoint = new Map<string, GateOutcome[]>();
  for (const r of sent) {
    if (!r.gate) continue;
    const { outcome, leaseId } = r.gate;
    const asked =
      outcome.statusCode === 429 || outcome.statusCode === 503
        ? parseRetryAfter(outcome.retryAfter, Date.now())
        : null;
    // The endpoint pauses as the receiver asked, but never past this delivery's own (clamped)
    // retry: a receiver cannot park the endpoint longer than the schedule lets it park one.
    const pauseS = asked === null ? 0 : Math.min(asked, r.retryIn ?? asked);
    const list = byEndpoint.get(r.delivery.endpoint_id) ?? [];
    list.push({
      leaseId,
      ok: r.update.status === "succeeded",
      countsAsFailure: r.update.status !== "succeeded" && countsAsFailure(outcome, counted4xx),
      latencyMs: outcome.durationMs,
      ...(pauseS > 0 ? { retryAfterMs: pauseS * 1000 } : {}),
    });
    byEndpoint.set(r.delivery.endpoint_id, list);
  }
  const disabled = new Map<string, string>();
  await Promise.all(
    [...byEndpoint.entries()].map(async ([endpointId, outcomes]) => {
      try {
        const stub = env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(endpointId));
        const res = await stub.report(outcomes);
        if (res.disable) disabled.set(endpointId, res.disable);
      } catch (err) {
        // The leases expire by themselves; only the breaker misses these outcomes.
        log("gate report failed", { endpointId, error: String(err) });
      }
    }),
  );
  return disabled;
}
