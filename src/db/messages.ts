import type { DeliveryStatus } from "../schemas/messages";
import { iso } from "./page";

export interface MessageRow {
  id: string;
  app_id: string;
  event_type: string;
  payload: string;
  event_id: string | null;
  created_at: number;
}

export interface DeliverySummaryRow {
  id: string;
  message_id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  attempts: number;
}

/** Row to API shape, with the message's per-endpoint delivery status. */
export function toMessage(row: MessageRow, deliveries: DeliverySummaryRow[], withPayload = true) {
  return {
    id: row.id,
    eventType: row.event_type,
    ...(withPayload ? { payload: JSON.parse(row.payload) as Record<string, unknown> } : {}),
    ...(row.event_id ? { eventId: row.event_id } : {}),
    createdAt: iso(row.created_at),
    deliveries: deliveries.map((d) => ({
      id: d.id,
      endpointId: d.endpoint_id,
      status: d.status,
      attempts: d.attempts,
    })),
  };
}

/**
 * The statements that accept a message, for one D1 batch (one transaction): the idempotency
 * record first, so a duplicate key aborts the whole batch before anything else is written.
 */
export function acceptStatements(
  db: D1Database,
  msg: MessageRow,
  idempotencyKey: string | null,
  deliveries: { id: string; endpointId: string }[],
): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  if (idempotencyKey !== null) {
    out.push(
      db
        .prepare(
          "INSERT INTO idempotency_keys (app_id, key, message_id, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(msg.app_id, idempotencyKey, msg.id, msg.created_at),
    );
  }
  out.push(
    db
      .prepare(
        "INSERT INTO messages (id, app_id, event_type, payload, event_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .bind(msg.id, msg.app_id, msg.event_type, msg.payload, msg.event_id, msg.created_at),
  );
  if (deliveries.length > 0) {
    // One statement for any fan-out: the rows travel as one JSON parameter (D1 caps bound
    // parameters per statement at 100).
    out.push(
      db
        .prepare(
          `INSERT INTO deliveries (id, app_id, message_id, endpoint_id, status, attempts, next_attempt_at, created_at, updated_at)
           SELECT value ->> '$[0]', ?1, ?2, value ->> '$[1]', 'pending', 0, ?3, ?3, ?3 FROM json_each(?4)`,
        )
        .bind(
          msg.app_id,
          msg.id,
          msg.created_at,
          JSON.stringify(deliveries.map((d) => [d.id, d.endpointId])),
        ),
    );
  }
  return out;
}

/** The message an idempotency key already produced in an app. */
export async function messageIdForKey(
  db: D1Database,
  appId: string,
  key: string,
): Promise<string | null> {
  const row = await db
    .prepare("SELECT message_id FROM idempotency_keys WHERE app_id = ? AND key = ?")
    .bind(appId, key)
    .first<{ message_id: string }>();
  return row?.message_id ?? null;
}

/** One message of an app with its deliveries. */
export async function getMessage(db: D1Database, appId: string, id: string) {
  const [msg, dlv] = await db.batch<MessageRow | DeliverySummaryRow>([
    db.prepare("SELECT * FROM messages WHERE id = ? AND app_id = ?").bind(id, appId),
    db
      .prepare(
        "SELECT id, message_id, endpoint_id, status, attempts FROM deliveries WHERE message_id = ? AND app_id = ? ORDER BY endpoint_id",
      )
      .bind(id, appId),
  ]);
  const row = msg?.results[0] as MessageRow | undefined;
  if (!row) return null;
  return { row, deliveries: (dlv?.results ?? []) as DeliverySummaryRow[] };
}

/** Messages of an app, newest first, each with its deliveries. */
export async function listMessages(
  db: D1Database,
  appId: string,
  limit: number,
  before: string | null,
  eventType: string | null,
) {
  // '~' sorts after every id: the first page seeks like the others (see listApps).
  const { results } = await db
    .prepare(
      `SELECT * FROM messages WHERE app_id = ?1 AND id < coalesce(?2, '~') AND (?3 IS NULL OR event_type = ?3)
       ORDER BY id DESC LIMIT ?4`,
    )
    .bind(appId, before, eventType, limit + 1)
    .all<MessageRow>();
  const ids = results.map((r) => r.id);
  const byMessage = new Map<string, DeliverySummaryRow[]>();
  if (ids.length > 0) {
    const { results: dlv } = await db
      .prepare(
        `SELECT id, message_id, endpoint_id, status, attempts FROM deliveries
         WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY endpoint_id`,
      )
      .bind(JSON.stringify(ids))
      .all<DeliverySummaryRow>();
    for (const d of dlv) {
      const list = byMessage.get(d.message_id) ?? [];
      list.push(d);
      byMessage.set(d.message_id, list);
    }
  }
  return results.map((row) => ({ row, deliveries: byMessage.get(row.id) ?? [] }));
}
