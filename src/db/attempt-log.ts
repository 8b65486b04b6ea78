import { bucketAfter, bucketOf, deliveryId, idFloor, timeOfId } from "../lib/ids";
import { iso } from "./page";

/** The state a delivery was left in by one log entry. */
export type LoggedStatus = "succeeded" | "failed" | "pending" | "dead" | "cancelled";

/**
 * One entry of the attempt log: an HTTP attempt (`attempt` >= 1) or a settlement without one
 * (`attempt` 0: cancelled, dead before sending, expired). A tuple, not an object: entries are
 * most of what D1 keeps per delivery, and keys would double them.
 */
export type LogEntry = [
  messageId: string,
  attempt: number,
  status: LoggedStatus,
  at: number,
  durationMs: number,
  statusCode: number | null,
  error: string | null,
  responseExcerpt: string | null,
];

const STATUS_CODES: Record<LoggedStatus, string> = {
  succeeded: "s",
  failed: "f",
  pending: "p",
  dead: "d",
  cancelled: "c",
};
const STATUS_NAMES: Record<string, LoggedStatus> = Object.fromEntries(
  Object.entries(STATUS_CODES).map(([name, code]) => [code, name as LoggedStatus]),
);
const MESSAGE_PREFIX = "msg_";

/** A message id as log entries store it: without the `msg_` prefix every one of them shares. */
export function storedMessageId(messageId: string): string {
  return messageId.slice(MESSAGE_PREFIX.length);
}

/**
 * An entry as stored: the message id without its prefix, the status as one letter, the time as
 * milliseconds after the message's creation (which its id carries), trailing empty fields left
 * off. A first-try success is under 50 bytes instead of 85: entries are most of what the log
 * keeps per delivery.
 */
export function packEntry(e: LogEntry): unknown[] {
  const [messageId, attempt, status, at, durationMs, code, error, excerpt] = e;
  const packed: unknown[] = [
    storedMessageId(messageId),
    attempt,
    STATUS_CODES[status],
    at - timeOfId(messageId),
    durationMs,
    code,
    error,
    excerpt,
  ];
  while (packed.length > 5 && packed[packed.length - 1] === null) packed.pop();
  return packed;
}

/** The entry a stored tuple holds (also reads full status names and absolute times). */
export function unpackEntry(raw: unknown[]): LogEntry {
  const [stored, attempt, status, at, durationMs, code, error, excerpt] = raw as [
    string,
    number,
    string,
    number,
    number,
    number | null | undefined,
    string | null | undefined,
    string | null | undefined,
  ];
  const messageId = `${MESSAGE_PREFIX}${stored}`;
  return [
    messageId,
    attempt,
    STATUS_NAMES[status] ?? (status as LoggedStatus),
    at > 1e12 ? at : timeOfId(messageId) + at,
    durationMs,
    code ?? null,
    error ?? null,
    excerpt ?? null,
  ];
}

/** What one consumer batch logs for one endpoint of one app. */
export interface LogGroup {
  appId: string;
  endpointId: string;
  entries: LogEntry[];
}

/** An entry as read back, with where it sits (its public id is derived from that). */
export interface LoggedEntry {
  rowId: string;
  index: number;
  endpointId: string;
  entry: LogEntry;
}

const BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** An attempt's public id: its log row's id and its index there (two base32 characters). */
export function attemptId(rowId: string, index: number): string {
  return `${rowId}${BASE32.charAt(Math.floor(index / 32) % 32)}${BASE32.charAt(index % 32)}`;
}

/** The log row and index an attempt id points at, or null when it is not one. */
export function parseAttemptId(id: string): { rowId: string; index: number } | null {
  if (!/^att_[0-9A-HJKMNP-TV-Z]{28}$/.test(id)) return null;
  const hi = BASE32.indexOf(id.charAt(30));
  const lo = BASE32.indexOf(id.charAt(31));
  return { rowId: id.slice(0, 30), index: hi * 32 + lo };
}

/**
 * The buckets of the log rows that may hold a message's entries: a row's bucket is the second of
 * the earliest message it names, and the row also takes the messages of the next second (see
 * `rowBuckets`), so a message's entries are in rows of its own second or of the one before.
 */
export function logBucketsOf(messageId: string): string[] {
  const bucket = bucketOf(messageId);
  return [bucketAfter(bucket, -1), bucket];
}

/**
 * The row each entry of a group goes to, by its message's second: a row starts at the earliest
 * second not yet placed and takes the next second too. A batch drained from a backlog holds
 * messages of one or two neighbouring seconds, so it writes one row instead of often two. That
 * matters for bytes more than for rows: a row of more than ~1,000 bytes (about 20 entries) keeps
 * its rest in an overflow page of its own, so each row of a full batch costs ~4.5 KB whatever it
 * holds, and fuller rows cost fewer bytes per delivery.
 */
function rowBuckets(entries: LogEntry[]): Map<string, LogEntry[]> {
  const seconds = [...new Set(entries.map((e) => bucketOf(e[0])))].sort();
  const rowOf = new Map<string, string>();
  let start: string | undefined;
  for (const second of seconds) {
    if (start === undefined || second !== bucketAfter(start, 1)) start = second;
    rowOf.set(second, start);
  }
  const rows = new Map<string, LogEntry[]>();
  for (const e of entries) {
    const bucket = rowOf.get(bucketOf(e[0])) ?? bucketOf(e[0]);
    const list = rows.get(bucket) ?? [];
    list.push(e);
    rows.set(bucket, list);
  }
  return rows;
}

/**
 * Writes a batch's log groups as rows, one per group and pair of message seconds (its bucket,
 * see `rowBuckets`), in one statement whatever their number (the rows travel as one JSON
 * parameter). `newRowId` mints time-sortable `att_` ids.
 */
export function insertLogStatement(
  db: D1Database,
  groups: LogGroup[],
  newRowId: () => string,
): D1PreparedStatement | null {
  const rows: [string, string, string, string, string][] = [];
  for (const g of groups) {
    for (const [bucket, entries] of rowBuckets(g.entries)) {
      for (let i = 0; i < entries.length; i += MAX_ENTRIES_PER_ROW) {
        const slice = entries.slice(i, i + MAX_ENTRIES_PER_ROW);
        rows.push([
          g.appId,
          bucket,
          newRowId(),
          g.endpointId,
          JSON.stringify(slice.map(packEntry)),
        ]);
      }
    }
  }
  if (rows.length === 0) return null;
  return db
    .prepare(
      `INSERT INTO attempt_log (app_id, bucket, id, endpoint_id, entries)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?)`,
    )
    .bind(JSON.stringify(rows));
}

/** Entries past this index could not be named by a two-character attempt id suffix. */
const MAX_ENTRIES_PER_ROW = 1024;

interface EntryRow {
  row_id: string;
  endpoint_id: string;
  idx: number;
  entry: string;
}

function toLogged(r: EntryRow): LoggedEntry {
  return {
    rowId: r.row_id,
    index: r.idx,
    endpointId: r.endpoint_id,
    entry: unpackEntry(JSON.parse(r.entry) as unknown[]),
  };
}

/**
 * Every entry about these messages of one app, oldest first: two key ranges per message second
 * (its own and the one before, see `logBucketsOf`). Returned as a statement so callers can put
 * it in their own D1 batch.
 */
export function entriesForMessagesStatement(db: D1Database, appId: string, messageIds: string[]) {
  const buckets = [...new Set(messageIds.flatMap(logBucketsOf))];
  return db
    .prepare(
      `SELECT l.id AS row_id, l.endpoint_id, j.key AS idx, j.value AS entry
       FROM attempt_log l, json_each(l.entries) j
       WHERE l.app_id = ?1 AND l.bucket IN (SELECT value FROM json_each(?2))
         AND j.value ->> 0 IN (SELECT value FROM json_each(?3))
       ORDER BY l.id, j.key`,
    )
    .bind(appId, JSON.stringify(buckets), JSON.stringify(messageIds.map(storedMessageId)));
}

/**
 * How far before a message's creation a log row about it may be stamped (row ids carry the
 * writer's clock, which may lag the one that stamped the message).
 */
const LOG_CLOCK_SLACK_MS = 5 * 60_000;

/**
 * Every entry about these messages, across apps (a consumer batch may hold several). Read by
 * the messages' seconds, or, when the refs name more endpoints than messages (a wide fan-out's
 * batch: one message to many endpoints), by those endpoints' rows since the oldest message was
 * made: a wide message's seconds fill with every other endpoint's rows, its endpoints' index
 * holds only theirs.
 */
export function entriesForRefsStatement(
  db: D1Database,
  refs: { appId: string; messageId: string; endpointId?: string }[],
) {
  const messages = [...new Set(refs.map((r) => storedMessageId(r.messageId)))];
  const endpoints = [...new Set(refs.map((r) => r.endpointId))];
  if (!endpoints.includes(undefined) && endpoints.length > messages.length) {
    const oldest = Math.min(...refs.map((r) => timeOfId(r.messageId)));
    return db
      .prepare(
        `SELECT l.id AS row_id, l.endpoint_id, j.key AS idx, j.value AS entry
         FROM attempt_log l, json_each(l.entries) j
         WHERE l.endpoint_id IN (SELECT value FROM json_each(?1)) AND l.id >= ?3
           AND j.value ->> 0 IN (SELECT value FROM json_each(?2))
         ORDER BY l.id, j.key`,
      )
      .bind(
        JSON.stringify(endpoints),
        JSON.stringify(messages),
        idFloor("att", oldest - LOG_CLOCK_SLACK_MS),
      );
  }
  const keys = [
    ...new Set(refs.flatMap((r) => logBucketsOf(r.messageId).map((b) => `${r.appId}\u0000${b}`))),
  ].map((k) => k.split("\u0000"));
  return db
    .prepare(
      `SELECT l.id AS row_id, l.endpoint_id, j.key AS idx, j.value AS entry
       FROM attempt_log l, json_each(l.entries) j
       WHERE (l.app_id, l.bucket) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?1))
         AND j.value ->> 0 IN (SELECT value FROM json_each(?2))
       ORDER BY l.id, j.key`,
    )
    .bind(JSON.stringify(keys), JSON.stringify(messages));
}

/** Reads the result of `entriesForMessagesStatement` or `entriesForRefsStatement`. */
export function loggedEntries(result: D1Result | undefined): LoggedEntry[] {
  return ((result?.results ?? []) as EntryRow[]).map(toLogged);
}

/**
 * Keeps the first record of each attempt. Without a claim, a delivery handed to two consumers
 * at once can be sent by both and logged twice under the same attempt number; the earlier
 * record is the outcome, the later one is only a duplicate send.
 */
export function firstOfEachAttempt(entries: LoggedEntry[]): LoggedEntry[] {
  const seen = new Set<string>();
  return entries.filter((l) => {
    if (l.entry[1] === 0) return true;
    const key = `${l.entry[0]}\u0000${l.endpointId}\u0000${l.entry[1]}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Log entry to the API's attempt shape. */
export function toAttempt(l: LoggedEntry) {
  const [messageId, attempt, , at, durationMs, statusCode, error, excerpt] = l.entry;
  return {
    id: attemptId(l.rowId, l.index),
    deliveryId: deliveryId(messageId, l.endpointId),
    messageId,
    endpointId: l.endpointId,
    attempt,
    startedAt: iso(at),
    durationMs,
    ...(statusCode !== null ? { statusCode } : {}),
    ...(error ? { error } : {}),
    ...(excerpt ? { responseExcerpt: excerpt } : {}),
  };
}

/** A message's attempts (not its settlements), newest first, from before a cursor attempt id. */
export async function listMessageAttempts(
  db: D1Database,
  appId: string,
  messageId: string,
  limit: number,
  before: string | null,
): Promise<LoggedEntry[]> {
  const result = await entriesForMessagesStatement(db, appId, [messageId]).all();
  return pageMessageAttempts(loggedEntries(result), limit, before);
}

/**
 * A page of one message's attempts from its log entries (oldest first, as read): newest first,
 * from before a cursor attempt id, `limit` plus one more when there are more.
 */
export function pageMessageAttempts(
  entries: LoggedEntry[],
  limit: number,
  before: string | null,
): LoggedEntry[] {
  const attempts = firstOfEachAttempt(entries).filter((l) => l.entry[1] > 0);
  const newestFirst = attempts.reverse();
  const from =
    before === null ? 0 : newestFirst.findIndex((l) => attemptId(l.rowId, l.index) < before);
  return from < 0 ? [] : newestFirst.slice(from, from + limit + 1);
}

/** An endpoint's attempts, newest first, from before a cursor attempt id. */
export async function listEndpointAttempts(
  db: D1Database,
  appId: string,
  endpointId: string,
  limit: number,
  before: string | null,
): Promise<LoggedEntry[]> {
  const cursor = before === null ? null : parseAttemptId(before);
  // '~' sorts after every id: the first page seeks on attempt_log_endpoint like the others.
  const { results } = await db
    .prepare(
      `SELECT l.id AS row_id, l.endpoint_id, j.key AS idx, j.value AS entry
       FROM attempt_log l, json_each(l.entries) j
       WHERE l.endpoint_id = ?1 AND l.app_id = ?2 AND l.id <= coalesce(?3, '~')
         AND (l.id < coalesce(?3, '~') OR j.key < ?4) AND j.value ->> 1 > 0
       ORDER BY l.id DESC, j.key DESC LIMIT ?5`,
    )
    .bind(endpointId, appId, cursor?.rowId ?? null, cursor?.index ?? 0, limit + 1)
    .all<EntryRow>();
  return results.map(toLogged);
}
