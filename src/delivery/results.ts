/**
 * What one claimed delivery turns into: an HTTP attempt and its verdict (`send`), or a result
 * without one (settled, waiting on the gate, expired, crashed). The consumer writes these and
 * acts on them; nothing here touches D1 or the queue.
 */

import type { AttemptRow } from "../db/attempts";
import type { DeliveryRow, DeliveryUpdate } from "../db/deliveries";
import type { EndpointRow } from "../db/endpoints";
import type { MessageRow } from "../db/messages";
import { newId } from "../lib/ids";
import { countOp } from "../lib/ops";
import type { DeliveryTask } from "../schemas/queue";
import { type AttemptOutcome, postWebhook } from "./http";
import { decide, describeFailure } from "./outcome";
import { type ProfileKeys, webhookHeaders } from "./request";

/** Delay before a delivery whose processing threw (not the receiver's fault) is tried again. */
export const CRASH_RETRY_S = 10;

/** A connection reset this soon after sending is retried once at once (see `send`). */
const STALE_RESET_MS = 1000;

/** A claimed delivery ready to send, once its endpoint's gate grants a slot. */
export interface Ready {
  delivery: DeliveryRow;
  task: DeliveryTask;
  endpoint: EndpointRow;
  msg: MessageRow;
  body: string;
  keys: ProfileKeys;
}

/** What one claimed delivery turned into, ready to be written and acted on. */
export interface Result {
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

/** One HTTP attempt and its verdict. */
export async function send(
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
export function settle(
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
export function waitFor(r: Ready, seconds: number, now: number, windowMs: number): Result {
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
export function crashed(delivery: DeliveryRow, task: DeliveryTask, now: number): Result {
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
