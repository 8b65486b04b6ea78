import { settings } from "../config";
import { type AttemptRow, insertAttemptsStatement } from "../db/attempts";
import { upsertDeadLetterStatement } from "../db/dead-letters";
import {
  type DeliveryRow,
  type DeliveryUpdate,
  fifoHeads,
  nextFifoDelivery,
  updateDeliveriesStatement,
} from "../db/deliveries";
import { claimWithContext, releaseClaims, type SecretForEndpoint } from "../db/delivery-context";
import { disableEndpointStatement, type EndpointRow } from "../db/endpoints";
import type { MessageRow } from "../db/messages";
import { operatorEventStatement } from "../db/operator-events";
import { countsAsFailure, parseCounted4xx } from "../gate/classify";
import type { AdmitResult, GateOutcome } from "../gate/types";
import { acceptMessage } from "../ingest/accept";
import { newId } from "../lib/ids";
import { countOp } from "../lib/ops";
import { TtlCache } from "../lib/ttl-cache";
import { DeliveryTask } from "../schemas/queue";
import { checkResolvedHostCached } from "../security/dns-guard";
import { open } from "../security/secret-box";
import { checkTargetUrl } from "../security/url-guard";
import { type AttemptOutcome, postWebhook } from "./http";
import { decide, describeFailure } from "./outcome";
import { type ProfileKeys, webhookBody, webhookHeaders } from "./request";
import { parseRetryAfter, retryWindowMs } from "./retry";

/** Extra lease time beyond the request deadline before another consumer may take a delivery. */
const LEASE_MARGIN_MS = 30_000;
/** Delay before a delivery whose processing threw (not the receiver's fault) is tried again. */
const CRASH_RETRY_S = 10;
/** How often a FIFO delivery waiting behind its head checks again. */
const FIFO_WAIT_S = 1;
/** When the gate cannot be reached, wait this long rather than send unguarded. */
const GATE_DOWN_S = 5;
/** In-flight requests per endpoint when the endpoint sets no `maxConcurrency`. */
const DEFAULT_MAX_CONCURRENCY = 10;
/** A connection reset this soon after sending is retried once at once (see `send`). */
const STALE_RESET_MS = 1000;
/** A lane starts no request that could still be running this close to its claim's expiry. */
const LANE_SLACK_MS = 5_000;
/** Attempts at writing a batch's outcomes before handing the batch back to the queue. */
const WRITE_TRIES = 3;

/** Decrypted secrets by secret row id; rotation creates new ids, so entries never go stale. */
const secretCache = new TtlCache<Promise<string>>(5 * 60_000, 5000);

type Entry = { message: Message<unknown>; task: DeliveryTask };

/** A claimed delivery ready to send, once its endpoint's gate grants a slot. */
interface Ready {
  delivery: DeliveryRow;
  task: DeliveryTask;
  endpoint: EndpointRow;
  msg: MessageRow;
  body: string;
  keys: ProfileKeys;
}

/** What one claimed delivery turned into, ready to be written and acted on. */
interface Result {
  delivery: DeliveryRow;
  task: DeliveryTask;
  update: DeliveryUpdate;
  attempt?: AttemptRow;
  dead?: string;
  /** Disable the endpoint with this reason (410 Gone, auto-disable). */
  disableEndpoint?: string;
  /** Re-enqueue after this many seconds (a retry or a gate deferral). */
  retryIn?: number;
  /** Processing threw: hand the message back to the queue (counts toward max_retries). */
  crashed?: boolean;
  /** For the gate report. */
  gate?: { leaseId: string; outcome: AttemptOutcome };
}

/**
 * The `DELIVERIES` consumer. Per queue batch: claim the deliveries, load what they need in one
 * D1 round trip, ask each endpoint's gate once for slots, sign and POST what was granted, report
 * the outcomes to each gate once, write every attempt and status in one D1 batch, and only then
 * re-enqueue retries and deferrals, report dead letters and ack. Each queue message is acked or
 * retried on its own.
 */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const claims: Claims = { ids: [], leaseUntil: 0 };
  try {
    await deliverBatch(batch, env, claims);
  } catch (err) {
    // Something outside the per-delivery handling threw. The queue retries every message not
    // yet acked; release this run's claims first, so that retry can take them at once and the
    // queue's max_retries (then the dead-letter queue, as `consumer_crash`) sees every crash.
    // Otherwise each retry would meet a live lease, ack, and leave the delivery to the sweeper.
    log("delivery batch threw; releasing its claims for the queue's retry", {
      deliveries: claims.ids.length,
      error: String(err),
    });
    if (claims.ids.length > 0) {
      await releaseClaims(env.DB, claims.ids, claims.leaseUntil).catch((e: unknown) =>
        log("releasing claims failed; their leases run out instead", { error: String(e) }),
      );
    }
    throw err;
  }
}

/** The deliveries one run claimed, and the lease it claimed them until. */
interface Claims {
  ids: string[];
  leaseUntil: number;
}

async function deliverBatch(batch: MessageBatch<unknown>, env: Env, claims: Claims): Promise<void> {
  const cfg = settings(env);
  const now = Date.now();
  const leaseMs = cfg.requestTimeoutMs + LEASE_MARGIN_MS;

  const byDelivery = new Map<string, Entry>();
  for (const message of batch.messages) {
    const parsed = DeliveryTask.safeParse(message.body);
    if (!parsed.success) {
      log("poison queue message acked", { messageId: message.id, reason: "malformed body" });
      message.ack();
    } else if (byDelivery.has(parsed.data.deliveryId)) {
      message.ack(); // the same delivery twice in one batch: one send is enough
    } else {
      byDelivery.set(parsed.data.deliveryId, { message, task: parsed.data });
    }
  }
  if (byDelivery.size === 0) return;

  const context = await claimWithContext(env.DB, [...byDelivery.keys()], now, leaseMs);
  const { claimed, states } = context;
  claims.ids = claimed.map((d) => d.id);
  claims.leaseUntil = now + leaseMs;
  const claimedIds = new Set(claimed.map((d) => d.id));
  for (const [id, { message }] of byDelivery) {
    if (claimedIds.has(id)) continue;
    // Unknown ids are poison; the rest are finished, not yet due (an early duplicate: the
    // scheduled copy or the sweeper runs it) or held by a live lease elsewhere.
    if (!states.has(id))
      log("poison queue message acked", { deliveryId: id, reason: "unknown delivery" });
    message.ack();
  }
  if (claimed.length === 0) return;
  const claimedAt = Date.now();

  const results: Result[] = [];
  const ready: Ready[] = [];
  const bodies = new Map<string, string>();
  await Promise.all(
    claimed.map(async (delivery) => {
      const task = byDelivery.get(delivery.id)?.task ?? {
        deliveryId: delivery.id,
        endpointId: delivery.endpoint_id,
        messageId: delivery.message_id,
      };
      try {
        const endpoint = context.endpoints.get(delivery.endpoint_id);
        const msg = context.messages.get(delivery.message_id);
        if (!endpoint)
          return results.push(settle(delivery, task, "cancelled", "endpoint deleted", now));
        if (!msg) return results.push(settle(delivery, task, "cancelled", "message purged", now));
        if (endpoint.disabled)
          return results.push(settle(delivery, task, "dead", "endpoint_disabled", now));
        const target = checkTargetUrl(endpoint.url, { allowInsecure: cfg.allowInsecureTargets });
        if (!target.ok)
          return results.push(
            settle(delivery, task, "dead", `target_refused: ${target.reason}`, now),
          );
        if (cfg.dnsCheck) {
          const dns = await checkResolvedHostCached(target.url.hostname);
          if (dns.ok === false)
            return results.push(
              settle(delivery, task, "dead", `target_refused: ${dns.reason}`, now),
            );
        }
        const secretRows = context.secrets.get(endpoint.id) ?? [];
        const type = secretRows[0]?.type;
        if (!type) return results.push(settle(delivery, task, "dead", "no_signing_secret", now));
        const keys: ProfileKeys = { type, secrets: await openSecrets(env, secretRows) };
        let body = bodies.get(msg.id);
        if (body === undefined) {
          body = webhookBody(msg);
          bodies.set(msg.id, body);
        }
        ready.push({ delivery, task, endpoint, msg, body, keys });
      } catch (err) {
        log("delivery processing threw; handing it back to the queue", {
          deliveryId: delivery.id,
          error: String(err),
        });
        results.push(crashed(delivery, task, now));
      }
    }),
  );

  const preparedAt = Date.now();
  const windowMs = retryWindowMs(cfg.retrySchedule, cfg.requestTimeoutMs);
  const { plans, waiting } = await admit(env, ready, now, windowMs);
  const admittedAt = Date.now();
  results.push(...waiting);
  // Both the claims and the gate's slots are leased for one request's deadline plus a margin.
  // A lane that works through several deliveries starts none that could outlive its lease, or
  // another consumer could take the same delivery (or the slot) while it is still in flight.
  const run: RunOptions = {
    timeoutMs: cfg.requestTimeoutMs,
    schedule: cfg.retrySchedule,
    counted4xx: parseCounted4xx(env.BREAKER_COUNT_4XX),
    startBy: now + leaseMs - cfg.requestTimeoutMs - LANE_SLACK_MS,
    now,
  };
  const sent: Result[] = [];
  await Promise.all(
    plans.map(async (plan) => {
      const { done, leftover, waitS } = plan.fifo
        ? await runFifoPlan(env.DB, plan, run)
        : await runPlan(plan, run);
      sent.push(...done);
      for (const r of leftover) results.push(waitFor(r, waitS, now, windowMs));
    }),
  );
  results.push(...sent);
  const sentAt = Date.now();

  // The gate report and the D1 write are independent: run them side by side. An endpoint the
  // gate wants disabled (rare) is written right after, in its own small batch.
  const reported = report(env, sent);
  const writeNow = Date.now();
  // Two statements for the whole batch (attempts, statuses), plus any dead letters.
  const attempts = results.flatMap((r) => (r.attempt ? [r.attempt] : []));
  const statements: D1PreparedStatement[] = [
    ...(attempts.length > 0 ? [insertAttemptsStatement(env.DB, attempts)] : []),
    updateDeliveriesStatement(
      env.DB,
      results.map((r) => r.update),
      writeNow,
    ),
  ];
  const gone = new Map<string, string>();
  for (const r of results) {
    if (r.dead) {
      statements.push(
        upsertDeadLetterStatement(env.DB, {
          delivery_id: r.delivery.id,
          app_id: r.delivery.app_id,
          message_id: r.delivery.message_id,
          endpoint_id: r.delivery.endpoint_id,
          reason: r.dead,
          attempts: r.delivery.attempts + (r.update.attempted ? 1 : 0),
          dead_at: writeNow,
        }),
      );
    }
    if (r.disableEndpoint) gone.set(r.delivery.endpoint_id, r.disableEndpoint);
  }
  statements.push(...disableStatements(env.DB, gone, context.endpoints, writeNow));
  try {
    await writeWithRetry(env.DB, statements);
  } catch (err) {
    // Sent but not recorded. Hand every message back once the lease has run out, so the claim
    // can be retaken and the outcome written: the receiver may see a duplicate, nothing is lost.
    log("recording attempts failed; retrying the batch after the lease", { error: String(err) });
    for (const r of results)
      byDelivery.get(r.delivery.id)?.message.retry({ delaySeconds: Math.ceil(leaseMs / 1000) });
    await reported;
    return;
  }
  const disabled = new Map(gone);
  const autoDisabled = new Map([...(await reported)].filter(([id]) => !gone.has(id)));
  if (autoDisabled.size > 0) {
    try {
      await writeWithRetry(
        env.DB,
        disableStatements(env.DB, autoDisabled, context.endpoints, writeNow),
      );
      for (const [id, reason] of autoDisabled) disabled.set(id, reason);
    } catch (err) {
      log("auto-disable could not be recorded", {
        endpoints: [...autoDisabled.keys()],
        error: String(err),
      });
    }
  }
  if (disabled.size > 0) {
    log("endpoints disabled", { endpoints: [...disabled.keys()] });
    await notifyOperator(env, disabled, context.endpoints, writeNow);
  }
  const recordedAt = Date.now();

  await followUp(env, results, byDelivery);
  log("delivery batch", {
    messages: batch.messages.length,
    claimed: claimed.length,
    sent: sent.length,
    succeeded: results.filter((r) => r.update.status === "succeeded").length,
    retrying: results.filter((r) => r.retryIn !== undefined).length,
    dead: results.filter((r) => r.dead).length,
    ms: {
      claim: claimedAt - now,
      prepare: preparedAt - claimedAt,
      gate: admittedAt - preparedAt,
      send: sentAt - admittedAt,
      record: recordedAt - sentAt,
      followUp: Date.now() - recordedAt,
    },
  });
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

/** What every plan of a batch runs with. */
interface RunOptions {
  timeoutMs: number;
  schedule: number[];
  counted4xx: ReadonlySet<number>;
  /** No lane starts a further request after this time (see `LANE_SLACK_MS`). */
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
async function admit(
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
async function runPlan(plan: Plan, run: RunOptions): Promise<PlanRun> {
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
async function runFifoPlan(db: D1Database, plan: Plan, run: RunOptions): Promise<PlanRun> {
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
async function report(env: Env, sent: Result[]): Promise<Map<string, string>> {
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

/**
 * With `OPERATOR_APP_ID` set, each disabled endpoint also becomes an `endpoint.disabled` message
 * in that app, delivered by Hooklane itself to whatever endpoints the operator registered there.
 */
async function notifyOperator(
  env: Env,
  disabled: Map<string, string>,
  endpoints: Map<string, EndpointRow>,
  at: number,
): Promise<void> {
  const operatorApp = env.OPERATOR_APP_ID;
  if (!operatorApp) return;
  await Promise.all(
    [...disabled].map(async ([endpointId, reason]) => {
      const endpoint = endpoints.get(endpointId);
      try {
        await acceptMessage(env, {
          appId: operatorApp,
          eventType: "endpoint.disabled",
          payload: {
            appId: endpoint?.app_id,
            endpointId,
            url: endpoint?.url,
            reason,
            disabledAt: new Date(at).toISOString(),
          },
          idempotencyKey: `endpoint.disabled:${endpointId}:${at}`,
        });
      } catch (err) {
        // The operator event is already recorded in D1; the webhook is a courtesy copy.
        log("operator notification failed", { endpointId, error: String(err) });
      }
    }),
  );
}

/** After D1 committed: re-enqueue retries and deferrals, notify the dead-letter queue, then ack or retry each message. */
async function followUp(
  env: Env,
  results: Result[],
  byDelivery: Map<string, Entry>,
): Promise<void> {
  const again = results.filter((r) => r.retryIn !== undefined);
  let resent = true;
  if (again.length > 0) {
    try {
      for (let i = 0; i < again.length; i += 100) {
        await env.DELIVERIES.sendBatch(
          again
            .slice(i, i + 100)
            .map((r) => ({ body: r.task, contentType: "json" as const, delaySeconds: r.retryIn })),
        );
      }
    } catch (err) {
      resent = false;
      log("re-enqueue failed; retrying the originals instead", {
        deliveries: again.length,
        error: String(err),
      });
    }
  }
  const dead = results.filter((r) => r.dead);
  if (dead.length > 0) {
    try {
      await env.DEAD_LETTERS.sendBatch(
        dead.map((r) => ({
          body: { kind: "dead", deliveryId: r.delivery.id, reason: r.dead },
          contentType: "json" as const,
        })),
      );
    } catch (err) {
      // The dead letter is already recorded in D1; the queue only mirrors it.
      log("dead-letter notification failed", { deliveries: dead.length, error: String(err) });
    }
  }
  for (const r of results) {
    const message = byDelivery.get(r.delivery.id)?.message;
    if (!message) continue;
    if (r.crashed) message.retry({ delaySeconds: CRASH_RETRY_S });
    else if (r.retryIn !== undefined && !resent) message.retry({ delaySeconds: r.retryIn });
    else message.ack();
  }
}

/** One HTTP attempt and its verdict. */
async function send(
  r: Ready,
  leaseId: string,
  timeoutMs: number,
  schedule: number[],
): Promise<Result> {
  const { delivery, task, endpoint, msg, body, keys } = r;
  const startedAt = Date.now();
  const headers = await webhookHeaders(msg.id, body, endpoint, keys, Math.floor(startedAt / 1000));
  countOp("subrequests");
  const request = { url: endpoint.url, headers, body, timeoutMs };
  let outcome = await postWebhook(request);
  if (outcome.error === "reset" && outcome.durationMs < STALE_RESET_MS) {
    // Reset before any answer, at once: most often a pooled keep-alive connection the receiver
    // had just closed. One fresh try within the same attempt keeps that race from counting
    // as an endpoint failure (and from feeding its breaker). The receiver may see it twice;
    // webhook-id lets it deduplicate, as with any at-least-once delivery.
    countOp("subrequests");
    outcome = await postWebhook({
      ...request,
      timeoutMs: Math.max(1, timeoutMs - outcome.durationMs),
    });
  }
  const verdict = decide(
    outcome,
    endpoint.success_rule,
    delivery.attempts + 1,
    schedule,
    Date.now(),
  );
  const attempt: AttemptRow = {
    id: newId("att", startedAt),
    delivery_id: delivery.id,
    message_id: delivery.message_id,
    endpoint_id: delivery.endpoint_id,
    app_id: delivery.app_id,
    attempt: delivery.total_attempts + 1,
    started_at: startedAt,
    duration_ms: outcome.durationMs,
    status_code: outcome.statusCode ?? null,
    error: outcome.error ?? null,
    response_excerpt: outcome.excerpt ?? null,
  };
  const now = Date.now();
  const base = {
    id: delivery.id,
    attempted: true,
    startedAt,
    statusCode: outcome.statusCode ?? null,
    error: verdict.kind === "succeeded" ? null : describeFailure(outcome),
  };
  const common = { delivery, task, attempt, gate: { leaseId, outcome } };
  if (verdict.kind === "succeeded")
    return { ...common, update: { ...base, status: "succeeded", nextAttemptAt: null } };
  if (verdict.kind === "retry") {
    return {
      ...common,
      retryIn: verdict.delaySeconds,
      update: { ...base, status: "failed", nextAttemptAt: now + verdict.delaySeconds * 1000 },
    };
  }
  return {
    ...common,
    dead: verdict.reason,
    disableEndpoint: verdict.disableEndpoint,
    update: { ...base, status: "dead", nextAttemptAt: null },
  };
}

/** A delivery settled without an HTTP attempt (cancelled, or dead before sending). */
function settle(
  delivery: DeliveryRow,
  task: DeliveryTask,
  status: "cancelled" | "dead",
  reason: string,
  now: number,
): Result {
  return {
    delivery,
    task,
    ...(status === "dead" ? { dead: reason } : {}),
    update: {
      id: delivery.id,
      status,
      attempted: false,
      nextAttemptAt: null,
      startedAt: now,
      statusCode: null,
      error: reason,
    },
  };
}

/**
 * A delivery that may not go yet waits without using an attempt, unless its retry window
 * (`retryWindowMs`, counted from its first attempt) closes first: then it expires.
 */
function waitFor(r: Ready, seconds: number, now: number, windowMs: number): Result {
  const first = r.delivery.first_attempt_at;
  if (first !== null && now + seconds * 1000 > first + windowMs) {
    return settle(r.delivery, r.task, "dead", "expired", now);
  }
  return deferred(r.delivery, r.task, seconds, now);
}

/** A delivery the gate did not let through yet: it waits without using an attempt. */
function deferred(delivery: DeliveryRow, task: DeliveryTask, seconds: number, now: number): Result {
  return {
    delivery,
    task,
    retryIn: seconds,
    update: {
      id: delivery.id,
      status: delivery.attempts > 0 ? "failed" : "pending",
      attempted: false,
      nextAttemptAt: now + seconds * 1000,
      startedAt: now,
      statusCode: null,
      error: delivery.last_error,
    },
  };
}

/** A delivery whose processing threw: released for a later try, not counted as an attempt. */
function crashed(delivery: DeliveryRow, task: DeliveryTask, now: number): Result {
  return {
    delivery,
    task,
    crashed: true,
    update: {
      id: delivery.id,
      status: "pending",
      attempted: false,
      nextAttemptAt: now + CRASH_RETRY_S * 1000,
      startedAt: now,
      statusCode: null,
      error: "consumer error",
    },
  };
}

/** Writes a batch's outcomes, trying again on a transient D1 error: the requests already went out. */
async function writeWithRetry(db: D1Database, statements: D1PreparedStatement[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.batch(statements);
      return;
    } catch (err) {
      if (attempt >= WRITE_TRIES) throw err;
      log("recording attempts failed; trying again", { attempt, error: String(err) });
      await new Promise((r) => setTimeout(r, 100 * 3 ** attempt));
    }
  }
}

/**
 * The secrets to sign with, current first. The current one must open (else the delivery is
 * handed back); a rotated-out one that cannot (its encryption key was retired from
 * ENCRYPTION_KEYS_OLD too early) is skipped with a log line rather than blocking the profile.
 */
async function openSecrets(env: Env, rows: SecretForEndpoint[]): Promise<string[]> {
  const opened = await Promise.allSettled(rows.map((row) => decrypt(env, row)));
  const secrets: string[] = [];
  opened.forEach((o, i) => {
    if (o.status === "fulfilled") secrets.push(o.value);
    else if (i === 0) throw o.reason;
    else
      log("old signing secret cannot be decrypted; skipped", {
        secretId: rows[i]?.id,
        error: String(o.reason),
      });
  });
  return secrets;
}

function decrypt(env: Env, row: { id: string; secret_enc: string }): Promise<string> {
  let hit = secretCache.get(row.id);
  if (!hit) {
    hit = open(env, row.secret_enc);
    hit.catch(() => secretCache.delete(row.id));
    secretCache.set(row.id, hit);
  }
  return hit;
}

function log(msg: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ msg, ...fields }));
}
