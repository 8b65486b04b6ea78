import {
  acceptStatements,
  type DeliverySummary,
  fanOutColumn,
  getMessage,
  type MessageRow,
  messageIdForKey,
} from "../db/messages";
import { enqueueTasks, firstTries } from "../delivery/enqueue";
import { ApiError, invalid } from "../lib/errors";
import { deliveryId, newId, timeOfId } from "../lib/ids";
import type { QueueTask } from "../schemas/queue";
import { endpointsForIngest } from "./endpoint-cache";
import { matchesEventType } from "./filters";
import { splitByPayloadFilter } from "./payload-filter";
import { payloadProblems, validatorFor } from "./payload-schema";

export interface Incoming {
  appId: string;
  eventType: string;
  /** The payload parsed, for the event type's schema. */
  payload: Record<string, unknown>;
  /** The payload exactly as the sender wrote it: what is stored and sent. */
  rawPayload: string;
  eventId?: string;
  /** `Idempotency-Key` header, else `eventId`. */
  idempotencyKey?: string;
  /**
   * Deliver to this endpoint alone, whatever its filters (a test event): the message's
   * fan-out list names just it.
   */
  only?: { id: string; fifo: boolean };
}

export interface Accepted {
  row: MessageRow;
  deliveries: DeliverySummary[];
  replayed: boolean;
}

/**
 * Accepts one message: idempotency, endpoint matching, the event type's schema, then the
 * message (which names its endpoints: one delivery each) in one D1 transaction, then the
 * queue. Resolves only after D1 committed. A failed enqueue leaves the deliveries to the
 * sweeper; it is logged, not surfaced, because the message is already durable.
 */
export async function acceptMessage(
  env: Env,
  db: D1Database,
  input: Incoming,
  now = Date.now(),
): Promise<Accepted> {
  const key = input.idempotencyKey ?? null;
  // No look-up of the key first: the ingest transaction writes the key's row before anything
  // else, so a repeated key fails it whole and is answered with the first message below. The
  // common case, a new key, costs no extra round trip.
  const byType = input.only
    ? [input.only]
    : (await endpointsForIngest(db, input.appId)).filter((e) =>
        matchesEventType(e.filters, input.eventType),
      );
  // Payload filters are decided here, so the fan-out list (and a wide fan-out's ranges) holds
  // only the endpoints that take the message.
  const { matched, filtered } = splitByPayloadFilter(byType, input.rawPayload);

  // An event type with a JSON Schema takes only payloads that match it.
  const validator = await validatorFor(db, input.appId, input.eventType);
  const problems = validator ? payloadProblems(validator, input.payload) : [];
  if (problems.length > 0) {
    throw invalid(`The payload does not match the schema of "${input.eventType}".`, problems);
  }

  const id = newId("msg", now);
  const msg: MessageRow = {
    id,
    app_id: input.appId,
    event_type: input.eventType,
    payload: input.rawPayload,
    event_id: input.eventId ?? null,
    idempotency_key: key,
    endpoints: fanOutColumn(matched.map((e) => e.id)),
    filtered: filtered.length > 0 ? fanOutColumn(filtered) : null,
    // Not stored: read back from the id, so it is the id's time here too.
    created_at: timeOfId(id),
  };
  const fifo = matched.filter((e) => e.fifo).map((e) => e.id);
  try {
    await db.batch(acceptStatements(db, msg, fifo, now));
  } catch (err) {
    // A concurrent request with the same key won the race: its transaction committed and ours
    // rolled back whole, so answer with its message.
    if (key !== null && isUniqueViolation(err)) {
      const existing = await replay(db, input.appId, key);
      if (existing) return existing;
    }
    throw err;
  }

  await enqueueTasks(env, tasksFor(msg, matched));
  return {
    row: msg,
    deliveries: matched.map((e) => ({
      id: deliveryId(msg.id, e.id),
      endpointId: e.id,
      status: "pending" as const,
      attempts: 0,
    })),
    replayed: false,
  };
}

/**
 * One task per delivery, carrying what sending it needs; a FIFO endpoint instead gets a wake,
 * which hands out its open deliveries in message order. A wide message (more than
 * `FANOUT_DIRECT` endpoints) gets range tasks instead, which consumers turn into first tries
 * (`firstTries`): ingest answers at once however many endpoints match.
 */
function tasksFor(msg: MessageRow, matched: { id: string; fifo: boolean }[]): QueueTask[] {
  if (matched.length <= FANOUT_DIRECT) return firstTries(msg, matched);
  const wakes: QueueTask[] = matched
    .filter((e) => e.fifo)
    .map((e) => ({ kind: "wake", endpointId: e.id, appId: msg.app_id }));
  const ranges: QueueTask[] = [];
  for (let from = 0; from < matched.length; from += FANOUT_RANGE)
    ranges.push({
      kind: "fanout",
      appId: msg.app_id,
      messageId: msg.id,
      from,
      to: Math.min(matched.length, from + FANOUT_RANGE),
    });
  return [...wakes, ...ranges];
}

/** Most deliveries ingest hands to the queue one task each; wider messages go in ranges. */
export const FANOUT_DIRECT = 100;
/** Deliveries per range task of a wide message. */
export const FANOUT_RANGE = 500;

async function replay(db: D1Database, appId: string, key: string): Promise<Accepted | null> {
  const messageId = await messageIdForKey(db, appId, key);
  if (!messageId) return null;
  const found = await getMessage(db, appId, messageId);
  if (!found)
    throw new ApiError(
      409,
      "Conflict",
      "This idempotency key belongs to a message that was purged.",
    );
  return { ...found, replayed: true };
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Error && /UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(err.message);
}
