import { settings } from "../config";
import { insertAttemptsStatement } from "../db/attempts";
import { upsertDeadLetterStatement } from "../db/dead-letters";
import { updateDeliveriesStatement } from "../db/deliveries";
import { claimWithContext, releaseClaims, type SecretForEndpoint } from "../db/delivery-context";
import { disableEndpointStatement, type EndpointRow } from "../db/endpoints";
import { operatorEventStatement } from "../db/operator-events";
import { parseCounted4xx } from "../gate/classify";
import { acceptMessage } from "../ingest/accept";
import { log } from "../lib/log";
import { TtlCache } from "../lib/ttl-cache";
import { DeliveryTask } from "../schemas/queue";
import { checkResolvedHostCached } from "../security/dns-guard";
import { open } from "../security/secret-box";
import { checkTargetUrl } from "../security/url-guard";
import { admit, type RunOptions, report, runFifoPlan, runPlan } from "./gating";
import { type ProfileKeys, webhookBody } from "./request";
import { CRASH_RETRY_S, crashed, type Ready, type Result, settle, waitFor } from "./results";
import { retryWindowMs } from "./retry";

/** Extra lease time beyond the request deadline before another consumer may take a delivery. */
const LEASE_MARGIN_MS = 30_000;
/** A lane starts no request that could still be running this close to its claim's expiry. */
const LANE_SLACK_MS = 5_000;
/** Attempts at writing a batch's outcomes before handing the batch back to the queue. */
const WRITE_TRIES = 3;

/** Decrypted secrets by secret row id; rotation creates new ids, so entries never go stale. */
const secretCache = new TtlCache<Promise<string>>(5 * 60_000, 5000);

type Entry = { message: Message<unknown>; task: DeliveryTask };

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
