import { deliveryId, idFloor, timeOfId } from "../lib/ids";
import type { DeliveryStatus } from "../schemas/messages";
import {
  entriesForMessagesStatement,
  firstOfEachAttempt,
  type LoggedEntry,
  loggedEntries,
} from "./attempt-log";
import type { OpenRow } from "./open-deliveries";
import { iso } from "./page";

/** A message as stored. */
export interface StoredMessage {
  id: string;
  app_id: string;
  event_type: string;
  /** The payload exactly as the sender wrote it. */
  payload: string;
  event_id: string | null;
  idempotency_key: string | null;
  /** The endpoints it fans out to, as stored: see `fanOutColumn`. */
  endpoints: string;
  /**
   * The endpoints whose payload filter refused it, stored like `endpoints`; null (or absent,
   * in rows built elsewhere) when none did.
   */
  filtered?: string | null;
}

/** A message as read: `created_at` is not stored, it is the time its id carries. */
export interface MessageRow extends StoredMessage {
  created_at: number;
}

/** A stored message with its creation time read from its id. */
export function fromStored(row: StoredMessage): MessageRow {
  return { ...row, created_at: timeOfId(row.id) };
}

const ENDPOINT_PREFIX = "ep_";

/**
 * The `endpoints` column: a JSON array of the endpoints' ULIDs without the `ep_` prefix that
 * every one of them shares (3 bytes less per delivery; the sweeper's SQL adds it back).
 */
export function fanOutColumn(endpointIds: string[]): string {
  return JSON.stringify(endpointIds.map((id) => id.slice(ENDPOINT_PREFIX.length)));
}

/** One endpoint's delivery of a message, as the API shows it. */
export interface DeliverySummary {
  id: string;
  endpointId: string;
  status: DeliveryStatus;
  attempts: number;
}

/**
 * Row to API shape, with the message's per-endpoint delivery status. `payload` says how to put
 * the stored payload text in (see api/exact-json.ts); without it the payload is left out.
 */
export function toMessage(
  row: MessageRow,
  deliveries: DeliverySummary[],
  payload?: (raw: string) => Record<string, unknown>,
) {
  return {
    id: row.id,
    eventType: row.event_type,
    ...(payload ? { payload: payload(row.payload) } : {}),
    ...(row.event_id ? { eventId: row.event_id } : {}),
    createdAt: iso(row.created_at),
    deliveries,
    ...(row.filtered ? { filtered: filteredOf(row) } : {}),
  };
}

/** The endpoints whose payload filter refused a message, in id order. */
export function filteredOf(row: Pick<MessageRow, "filtered">): string[] {
  if (!row.filtered) return [];
  return (JSON.parse(row.filtered) as string[]).map((u) => `${ENDPOINT_PREFIX}${u}`).sort();
}

/** The endpoint ids a message fans out to, in id order. */
export function endpointsOf(row: Pick<MessageRow, "endpoints">): string[] {
  return (JSON.parse(row.endpoints) as string[]).map((u) => `${ENDPOINT_PREFIX}${u}`).sort();
}

/**
 * Each delivery's status, from what the log says happened and what is still open: an open row
 * means it waits (`failed` once it has tried); otherwise its last log entry says how it ended;
 * with neither it was just accepted (`pending`). Unfinished deliveries of a deleted endpoint
 * are `cancelled`.
 */
export function deliveryStatuses(
  row: MessageRow,
  logged: LoggedEntry[],
  open: OpenRow[],
  liveEndpoints: ReadonlySet<string>,
): DeliverySummary[] {
  const mine = firstOfEachAttempt(logged.filter((l) => l.entry[0] === row.id));
  return endpointsOf(row).map((endpointId) => {
    const entries = mine.filter((l) => l.endpointId === endpointId);
    const attempts = entries.filter((l) => l.entry[1] > 0).length;
    const openRow = open.find((o) => o.endpoint_id === endpointId && o.message_id === row.id);
    const last = entries[entries.length - 1]?.entry[2];
    let status: DeliveryStatus;
    const live = liveEndpoints.has(endpointId);
    // An open row of a deleted endpoint is only waiting for the background purge.
    if (openRow && live) status = openRow.attempts > 0 ? "failed" : "pending";
    else if (last === "succeeded" || last === "dead" || last === "cancelled") status = last;
    else if (!live) status = "cancelled";
    else status = last ?? "pending";
    return { id: deliveryId(row.id, endpointId), endpointId, status, attempts };
  });
}

/**
 * The statements that accept a message, for one D1 batch (one transaction): the idempotency
 * record first, so a duplicate key aborts the whole batch before anything else is written;
 * then the message, which carries its fan-out; then an open row per FIFO endpoint, which
 * orders them (due at once: `acceptedAt`).
 */
export function acceptStatements(
  db: D1Database,
  msg: StoredMessage,
  fifoEndpoints: string[],
  acceptedAt: number,
): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  if (msg.idempotency_key !== null) {
    out.push(
      db
        .prepare("INSERT INTO idempotency_keys (app_id, key, message_id) VALUES (?, ?, ?)")
        .bind(msg.app_id, msg.idempotency_key, msg.id),
    );
  }
  out.push(
    db
      .prepare(
        `INSERT INTO messages (app_id, id, event_type, payload, event_id, idempotency_key, endpoints, filtered)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(
        msg.app_id,
        msg.id,
        msg.event_type,
        msg.payload,
        msg.event_id,
        msg.idempotency_key,
        msg.endpoints,
        msg.filtered ?? null,
      ),
  );
  if (fifoEndpoints.length > 0) {
    out.push(
      db
        .prepare(
          `INSERT INTO open_deliveries (endpoint_id, message_id, app_id, state, due_at, created_at)
           SELECT value, ?1, ?2, 'waiting', ?3, ?3 FROM json_each(?4)`,
        )
        .bind(msg.id, msg.app_id, acceptedAt, JSON.stringify(fifoEndpoints)),
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

/** Statements reading what the deliveries of these messages did: log, open rows, live endpoints. */
function historyStatements(db: D1Database, appId: string, rows: MessageRow[]) {
  const pairs = rows.flatMap((r) => endpointsOf(r).map((e) => [e, r.id]));
  const endpoints = [...new Set(pairs.map(([e]) => e))];
  return [
    entriesForMessagesStatement(
      db,
      appId,
      rows.map((r) => r.id),
    ),
    db
      .prepare(
        `SELECT * FROM open_deliveries WHERE (endpoint_id, message_id) IN
           (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
      )
      .bind(JSON.stringify(pairs)),
    db
      .prepare("SELECT id FROM endpoints WHERE id IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(endpoints)),
  ];
}

/** Messages with their deliveries' statuses, reading the history of all of them at once. */
async function withStatuses(db: D1Database, appId: string, rows: MessageRow[]) {
  if (rows.length === 0) return [];
  const [log, open, live] = await db.batch(historyStatements(db, appId, rows));
  const logged = loggedEntries(log);
  const openRows = (open?.results ?? []) as OpenRow[];
  const liveIds = new Set(((live?.results ?? []) as { id: string }[]).map((r) => r.id));
  return rows.map((row) => ({
    row,
    deliveries: deliveryStatuses(row, logged, openRows, liveIds),
  }));
}

/** One message of an app with its deliveries. */
export async function getMessage(db: D1Database, appId: string, id: string) {
  const row = await getMessageRow(db, appId, id);
  if (!row) return null;
  const [found] = await withStatuses(db, appId, [row]);
  return found ?? null;
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
    .all<StoredMessage>();
  return withStatuses(db, appId, results.map(fromStored));
}

/** A message row of an app, or null. */
export async function getMessageRow(
  db: D1Database,
  appId: string,
  id: string,
): Promise<MessageRow | null> {
  const row = await db
    .prepare("SELECT * FROM messages WHERE app_id = ? AND id = ?")
    .bind(appId, id)
    .first<StoredMessage>();
  return row ? fromStored(row) : null;
}

/** Rows one filtered page of the message log reads at most (see `searchMessages`). */
export const SEARCH_SCAN_ROWS = 500;

/** Filters of the message log; times are milliseconds (ids carry them). */
export interface MessageSearch {
  eventType?: string;
  endpointId?: string;
  status?: DeliveryStatus;
  /** Created at or after. */
  after?: number;
  /** Created before. */
  before?: number;
}

/** A page of a message search, and how far it read when it stopped before filling the page. */
export interface SearchPage {
  rows: { row: MessageRow; deliveries: DeliverySummary[] }[];
  /** The id to continue below, or null at the end. */
  next: string | null;
  /** Set when the page stopped at the scan bound: rows read, and the oldest id read. */
  scanned: { rows: number; oldest: string } | null;
}

/**
 * Messages of an app, newest first, by time range, event type, endpoint and delivery status.
 * The time range is an id range (ids start with their creation time), so it seeks on the primary
 * key. The other filters have no index (an endpoint's messages are in the JSON of their rows,
 * statuses come from the log), so a page reads at most {@link SEARCH_SCAN_ROWS} rows: when it
 * did not fill, it says how far it read and where to continue, instead of reading the whole log.
 */
export async function searchMessages(
  db: D1Database,
  appId: string,
  limit: number,
  below: string | null,
  f: MessageSearch,
): Promise<SearchPage> {
  let hi = below ?? "~";
  if (f.before !== undefined) {
    const floor = idFloor("msg", f.before);
    if (floor < hi) hi = floor;
  }
  const lo = f.after !== undefined ? idFloor("msg", f.after) : "";
  const scanning =
    f.eventType !== undefined || f.endpointId !== undefined || f.status !== undefined;
  const take = scanning ? SEARCH_SCAN_ROWS : limit + 1;
  const { results } = await db
    .prepare(
      "SELECT * FROM messages WHERE app_id = ?1 AND id < ?2 AND id >= ?3 ORDER BY id DESC LIMIT ?4",
    )
    .bind(appId, hi, lo, take)
    .all<StoredMessage>();
  const read = results.map(fromStored);
  if (!scanning) {
    const rows = await withStatuses(db, appId, read.slice(0, limit));
    const last = rows[rows.length - 1];
    return { rows, next: read.length > limit && last ? last.row.id : null, scanned: null };
  }
  const candidates = read.filter(
    (m) =>
      (f.eventType === undefined || m.event_type === f.eventType) &&
      (f.endpointId === undefined || endpointsOf(m).includes(f.endpointId)),
  );
  // Statuses cost a log read: only for what can still be shown.
  if (f.status === undefined) {
    const withStatus = await withStatuses(db, appId, candidates.slice(0, limit + 1));
    return finish(withStatus, read, limit);
  }
  // By status: read the candidates' histories a chunk at a time, stopping once the page is
  // full or once the deliveries looked at reach a budget (a wide fan-out has many per message).
  const matched: { row: MessageRow; deliveries: DeliverySummary[] }[] = [];
  let deliveries = 0;
  for (let i = 0; i < candidates.length; i += STATUS_CHUNK) {
    const chunk = candidates.slice(i, i + STATUS_CHUNK);
    for (const m of await withStatuses(db, appId, chunk)) {
      deliveries += m.deliveries.length;
      if (
        m.deliveries.some(
          (d) =>
            d.status === f.status && (f.endpointId === undefined || d.endpointId === f.endpointId),
        )
      )
        matched.push(m);
    }
    const last = chunk[chunk.length - 1];
    const more = i + STATUS_CHUNK < candidates.length;
    if (matched.length <= limit && deliveries >= STATUS_DELIVERY_BUDGET && more && last) {
      const rows = read.findIndex((r) => r.id === last.id) + 1;
      return { rows: matched, next: last.id, scanned: { rows, oldest: last.id } };
    }
    if (matched.length > limit) break;
  }
  return finish(matched, read, limit);
}

/** Messages whose delivery statuses one status search reads at a time. */
const STATUS_CHUNK = 50;
/** Deliveries a status search looks at per page before it stops and says where it got to. */
const STATUS_DELIVERY_BUDGET = 5000;

/** A search page from its matches (newest first) and the rows it read. */
function finish(
  withStatus: { row: MessageRow; deliveries: DeliverySummary[] }[],
  read: MessageRow[],
  limit: number,
): SearchPage {
  if (withStatus.length > limit) {
    const rows = withStatus.slice(0, limit);
    return { rows, next: rows[rows.length - 1]?.row.id ?? null, scanned: null };
  }
  const oldest = read[read.length - 1];
  if (read.length === SEARCH_SCAN_ROWS && oldest)
    return {
      rows: withStatus,
      next: oldest.id,
      scanned: { rows: read.length, oldest: oldest.id },
    };
  return { rows: withStatus, next: null, scanned: null };
}
