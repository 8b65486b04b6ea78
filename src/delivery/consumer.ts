import { settings } from "../config";
import { type AttemptRow, insertAttemptStatement } from "../db/attempts";
import { upsertDeadLetterStatement } from "../db/dead-letters";
import {
  claimDeliveries,
  type DeliveryRow,
  type DeliveryUpdate,
  updateDeliveryStatement,
} from "../db/deliveries";
import { loadDeliveryContext } from "../db/delivery-context";
import { disableEndpointStatement, type EndpointRow } from "../db/endpoints";
import type { MessageRow } from "../db/messages";
import { newId } from "../lib/ids";
import { TtlCache } from "../lib/ttl-cache";
import { DeliveryTask } from "../schemas/queue";
import { open } from "../security/secret-box";
import { checkTargetUrl } from "../security/url-guard";
import { type AttemptOutcome, postWebhook } from "./http";
import { decide, describeFailure } from "./outcome";
import { type ProfileKeys, webhookBody, webhookHeaders } from "./request";

/** Extra lease time beyond the request deadline before another consumer may take a delivery. */
const LEASE_MARGIN_MS = 30_000;
/** Delay before a delivery whose processing threw (not the receiver's fault) is tried again. */
const CRASH_RETRY_S = 10;

/** Decrypted secrets by secret row id; rotation creates new ids, so entries never go stale. */
const secretCache = new TtlCache<Promise<string>>(5 * 60_000, 5000);

/** What one claimed delivery turned into, ready to be written and acted on. */
interface Result {
  delivery: DeliveryRow;
  task: DeliveryTask;
  update: DeliveryUpdate;
  attempt?: AttemptRow;
  dead?: string;
  disableEndpoint?: string;
  /** Re-enqueue after this many seconds. */
  retryIn?: number;
  /** Processing threw: hand the message back to the queue (counts toward max_retries). */
  crashed?: boolean;
}

/**
 * The `DELIVERIES` consumer: claim, load (one D1 round trip), sign, POST, then write every
 * attempt and status in one D1 batch, and only then re-enqueue retries, report dead letters and
 * ack. Each queue message is acked or retried on its own.
 */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const cfg = settings(env);
  const now = Date.now();
  const leaseMs = cfg.requestTimeoutMs + LEASE_MARGIN_MS;

  const byDelivery = new Map<string, { message: Message<unknown>; task: DeliveryTask }>();
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

  const { claimed, states } = await claimDeliveries(env.DB, [...byDelivery.keys()], now, leaseMs);
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

  const context = await loadDeliveryContext(
    env.DB,
    [...new Set(claimed.map((d) => d.endpoint_id))],
    [...new Set(claimed.map((d) => d.message_id))],
    now,
  );
  const bodies = new Map<string, string>();
  const results = await Promise.all(
    claimed.map(async (delivery): Promise<Result> => {
      const task = byDelivery.get(delivery.id)?.task ?? {
        deliveryId: delivery.id,
        endpointId: delivery.endpoint_id,
        messageId: delivery.message_id,
      };
      try {
        const endpoint = context.endpoints.get(delivery.endpoint_id);
        const msg = context.messages.get(delivery.message_id);
        if (!endpoint) return settle(delivery, task, "cancelled", "endpoint deleted", now);
        if (!msg) return settle(delivery, task, "cancelled", "message purged", now);
        if (endpoint.disabled) return settle(delivery, task, "dead", "endpoint_disabled", now);
        const target = checkTargetUrl(endpoint.url, { allowInsecure: cfg.allowInsecureTargets });
        if (!target.ok)
          return settle(delivery, task, "dead", `target_refused: ${target.reason}`, now);
        const secretRows = context.secrets.get(endpoint.id) ?? [];
        const type = secretRows[0]?.type;
        if (!type) return settle(delivery, task, "dead", "no_signing_secret", now);
        const keys: ProfileKeys = {
          type,
          secrets: await Promise.all(secretRows.map((s) => decrypt(env, s))),
        };
        let body = bodies.get(msg.id);
        if (body === undefined) {
          body = webhookBody(msg);
          bodies.set(msg.id, body);
        }
        return await attempt(
          delivery,
          task,
          endpoint,
          msg,
          body,
          keys,
          cfg.requestTimeoutMs,
          cfg.retrySchedule,
        );
      } catch (err) {
        log("delivery processing threw; handing it back to the queue", {
          deliveryId: delivery.id,
          error: String(err),
        });
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
    }),
  );

  const writeNow = Date.now();
  const statements: D1PreparedStatement[] = [];
  for (const r of results) {
    if (r.attempt) statements.push(insertAttemptStatement(env.DB, r.attempt));
    statements.push(updateDeliveryStatement(env.DB, r.update, writeNow));
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
    if (r.disableEndpoint)
      statements.push(
        disableEndpointStatement(env.DB, r.delivery.endpoint_id, r.disableEndpoint, writeNow),
      );
  }
  try {
    await env.DB.batch(statements);
  } catch (err) {
    // Sent but not recorded. Hand every message back once the lease has run out, so the claim
    // can be retaken and the outcome written: the receiver may see a duplicate, nothing is lost.
    log("recording attempts failed; retrying the batch after the lease", { error: String(err) });
    for (const r of results)
      byDelivery.get(r.delivery.id)?.message.retry({ delaySeconds: Math.ceil(leaseMs / 1000) });
    return;
  }

  await followUp(env, results, byDelivery);
}

/** After D1 committed: re-enqueue retries, notify the dead-letter queue, then ack or retry each message. */
async function followUp(
  env: Env,
  results: Result[],
  byDelivery: Map<string, { message: Message<unknown>; task: DeliveryTask }>,
): Promise<void> {
  const retries = results.filter((r) => r.retryIn !== undefined);
  let resent = true;
  if (retries.length > 0) {
    try {
      await env.DELIVERIES.sendBatch(
        retries.map((r) => ({
          body: r.task,
          contentType: "json" as const,
          delaySeconds: r.retryIn,
        })),
      );
    } catch (err) {
      resent = false;
      log("re-enqueue failed; retrying the originals instead", {
        deliveries: retries.length,
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
async function attempt(
  delivery: DeliveryRow,
  task: DeliveryTask,
  endpoint: EndpointRow,
  msg: MessageRow,
  body: string,
  keys: ProfileKeys,
  timeoutMs: number,
  schedule: number[],
): Promise<Result> {
  const startedAt = Date.now();
  const headers = await webhookHeaders(msg.id, body, endpoint, keys, Math.floor(startedAt / 1000));
  const outcome: AttemptOutcome = await postWebhook({
    url: endpoint.url,
    headers,
    body,
    timeoutMs,
  });
  const attemptsMade = delivery.attempts + 1;
  const verdict = decide(outcome, endpoint.success_rule, attemptsMade, schedule, Date.now());
  const attemptRow: AttemptRow = {
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
  const base = {
    id: delivery.id,
    attempted: true,
    startedAt,
    statusCode: outcome.statusCode ?? null,
    error: verdict.kind === "succeeded" ? null : describeFailure(outcome),
  };
  const now = Date.now();
  if (verdict.kind === "succeeded") {
    return {
      delivery,
      task,
      attempt: attemptRow,
      update: { ...base, status: "succeeded", nextAttemptAt: now },
    };
  }
  if (verdict.kind === "retry") {
    return {
      delivery,
      task,
      attempt: attemptRow,
      retryIn: verdict.delaySeconds,
      update: { ...base, status: "failed", nextAttemptAt: now + verdict.delaySeconds * 1000 },
    };
  }
  return {
    delivery,
    task,
    attempt: attemptRow,
    dead: verdict.reason,
    disableEndpoint: verdict.disableEndpoint,
    update: { ...base, status: "dead", nextAttemptAt: now },
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
      nextAttemptAt: now,
      startedAt: now,
      statusCode: null,
      error: reason,
    },
  };
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
