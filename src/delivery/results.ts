/**
 * What one delivery in a consumer batch turns into: an HTTP attempt and its verdict (`send`),
 * or a result without one (settled, waiting on the gate, expired, crashed). The consumer writes
 * these and acts on them; nothing here touches D1 or the queue.
 */

import type { LogEntry } from "../db/attempt-log";
import type { EndpointRow } from "../db/endpoints";
import type { OpenRow, OpenUpdate } from "../db/open-deliveries";
import { countOp } from "../lib/ops";
import { type AttemptOutcome, postWebhook } from "./http";
import { decide, describeFailure, type Verdict } from "./outcome";
import { type ProfileKeys, webhookHeaders } from "./request";

/** Delay before a delivery whose processing threw (not the receiver's fault) is tried again. */
export const CRASH_RETRY_S = 10;

/** A connection reset this soon after sending is retried once at once (see `send`). */
const STALE_RESET_MS = 1000;

/** One delivery a batch holds: a first try from ingest, or an open row a wake handed out. */
export interface Item {
  appId: string;
  messageId: string;
  endpointId: string;
  eventType: string;
  createdAt: number;
  /** The payload as sent, once known (carried by the task or read from D1). */
  payload: string | null;
  /** Its open row when it is off the first-try path (retrying, parked, FIFO). */
  open: OpenRow | null;
  /** The queue message that carried it (first tries only). */
  message: Message<unknown> | null;
}

/** An item ready to send, once its endpoint's gate grants a slot. */
export interface Ready {
  item: Item;
  endpoint: EndpointRow;
  /** The exact bytes to send and sign, shaped by the endpoint's format. */
  body: string;
  /** The format's own headers (`content-type`, `ce-*`); see buildRequest. */
  headers: Record<string, string>;
  keys: ProfileKeys;
  /** Where to send when a transform appended a path; the endpoint's URL otherwise. */
  url?: string;
  /**
   * A batch request (batching.ts): its own id (the webhook-id) and its members, whose
   * envelopes make `body`; `item` is the first member's. Absent: one delivery.
   */
  batch?: { id: string; members: Ready[] };
}

/** What one item turned into, ready to be written and acted on. */
export interface Result {
  item: Item;
  /** What to add to the attempt log. */
  entry?: LogEntry;
  /** Still open: it waits in `open_deliveries` until then. */
  park?: OpenUpdate;
  /** Finished: its open row, if any, goes. */
  ended?: boolean;
  dead?: string;
  /** Disable the endpoint with this reason (410 Gone, auto-disable). */
  disableEndpoint?: string;
  /** Processing threw: hand it back (a first try to the queue, an open row to its row). */
  crashed?: boolean;
  /** For the gate report. */
  gate?: { leaseId: string; outcome: AttemptOutcome };
}

/** The item's series so far: tries in this series, tries ever, when the series began. */
function series(item: Item) {
  return {
    attempts: item.open?.attempts ?? 0,
    total: item.open?.total_attempts ?? 0,
    firstAttemptAt: item.open?.first_attempt_at ?? null,
  };
}

function parked(item: Item, dueAt: number, lastError: string | null, tried = 0, at = 0) {
  const s = series(item);
  return {
    endpointId: item.endpointId,
    messageId: item.messageId,
    appId: item.appId,
    attempts: s.attempts + tried,
    totalAttempts: s.total + tried,
    firstAttemptAt: s.firstAttemptAt ?? (tried > 0 ? at : null),
    dueAt,
    lastError,
    createdAt: item.open?.created_at ?? item.createdAt,
    // A batch member waiting again stays in its batch (batching.ts re-forms it).
    ...(item.open?.batch_id ? { batchId: item.open.batch_id } : {}),
  };
}

/** One HTTP attempt and its verdict. */
export async function send(
  r: Ready,
  leaseId: string,
  timeoutMs: number,
  schedule: number[],
): Promise<Result> {
  const { item, endpoint, body, keys } = r;
  const startedAt = Date.now();
  const headers = await webhookHeaders(
    item.messageId,
    body,
    endpoint,
    keys,
    Math.floor(startedAt / 1000),
    r.headers,
  );
  const outcome = await post({ url: r.url ?? endpoint.url, headers, body, timeoutMs });
  return judged(item, endpoint, outcome, startedAt, schedule, { leaseId, outcome });
}

/** Posts one request, once more at once after a reset with no answer (see below). */
export async function post(request: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}): Promise<AttemptOutcome> {
  const { timeoutMs } = request;
  countOp("subrequests");
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
  return outcome;
}

/**
 * A refusal at send time that may pass later (a target name resolving to a private address):
 * a failed attempt without a request, retried on the schedule like any other.
 */
export function refusedAttempt(
  item: Item,
  endpoint: EndpointRow,
  reason: string,
  now: number,
  schedule: number[],
): Result {
  const result = judged(item, endpoint, { durationMs: 0, retryAfter: null }, now, schedule);
  if (result.entry) result.entry[6] = reason;
  if (result.park) result.park.lastError = reason;
  return result;
}

/** A verdict decided once for a whole batch, with the one time its retry is due. */
export interface SharedVerdict {
  verdict: Verdict;
  dueAt: number;
}

/** The verdict of an attempt for a delivery with this series, decided once (see `judged`). */
export function shareVerdict(
  item: Item,
  endpoint: Pick<EndpointRow, "success_rule">,
  outcome: AttemptOutcome,
  schedule: number[],
): SharedVerdict {
  const verdict = decide(
    outcome,
    endpoint.success_rule,
    series(item).attempts + 1,
    schedule,
    Date.now(),
  );
  return {
    verdict,
    dueAt: Date.now() + (verdict.kind === "retry" ? verdict.delaySeconds * 1000 : 0),
  };
}

/**
 * What one attempt made of one delivery. `shared`: a batch's verdict, so every member
 * succeeds, retries at the same time, or dies together.
 */
export function judged(
  item: Item,
  endpoint: Pick<EndpointRow, "success_rule">,
  outcome: AttemptOutcome,
  startedAt: number,
  schedule: number[],
  gate?: Result["gate"],
  shared?: SharedVerdict,
): Result {
  const s = series(item);
  const { verdict, dueAt } = shared ?? shareVerdict(item, endpoint, outcome, schedule);
  const error = verdict.kind === "succeeded" ? null : describeFailure(outcome);
  // The attempt records its status code, or the transport error when there was no answer; the
  // open row keeps a one-line reason either way.
  const entry = (status: LogEntry[2]): LogEntry => [
    item.messageId,
    s.total + 1,
    status,
    startedAt,
    outcome.durationMs,
    outcome.statusCode ?? null,
    outcome.error ?? null,
    outcome.excerpt ?? null,
  ];
  const common = { item, ...(gate ? { gate } : {}) };
  if (verdict.kind === "succeeded") return { ...common, entry: entry("succeeded"), ended: true };
  if (verdict.kind === "retry") {
    return { ...common, entry: entry("failed"), park: parked(item, dueAt, error, 1, startedAt) };
  }
  return {
    ...common,
    entry: entry("dead"),
    ended: true,
    dead: verdict.reason,
    disableEndpoint: verdict.disableEndpoint,
  };
}

/**
 * An attempt that failed before its request went out, for a reason a retry cannot change (the
 * endpoint's transform failed on this payload): logged as an attempt with its error and
 * dead-lettered at once with that reason. The gate hears nothing: the receiver did no wrong.
 */
export function deadAttempt(item: Item, reason: string, now: number): Result {
  const entry: LogEntry = [
    item.messageId,
    series(item).total + 1,
    "dead",
    now,
    0,
    null,
    reason,
    null,
  ];
  return { item, entry, ended: true, dead: reason };
}

/** An item settled without an HTTP attempt (cancelled, or dead before sending). */
export function settle(
  item: Item,
  status: "cancelled" | "dead",
  reason: string,
  now: number,
): Result {
  const entry: LogEntry = [item.messageId, 0, status, now, 0, null, reason, null];
  return { item, entry, ended: true, ...(status === "dead" ? { dead: reason } : {}) };
}

/**
 * An item that may not go yet waits without using an attempt, unless its retry window (counted
 * from its first attempt, or from its acceptance when it never went out) closes first: then it
 * expires.
 */
export function waitFor(item: Item, dueAt: number, now: number, windowMs: number): Result {
  const start = item.open?.first_attempt_at ?? item.createdAt;
  if (dueAt > start + windowMs) return settle(item, "dead", "expired", now);
  return { item, park: parked(item, dueAt, item.open?.last_error ?? null) };
}

/** An item whose processing threw: handed back for a later try, not counted as an attempt. */
export function crashed(item: Item, now: number): Result {
  if (!item.open) return { item, crashed: true };
  return { item, crashed: true, park: parked(item, now + CRASH_RETRY_S * 1000, "consumer error") };
}
