/**
 * The archive's queries (docs/ARCHITECTURE.md, "Archive"): which messages of an app may leave
 * D1, what happened to them, and the statements that remove them once R2 holds them.
 */

import { bucketAfter, bucketOf } from "../lib/ids";
import { entriesForMessagesStatement, type LoggedEntry, loggedEntries } from "./attempt-log";
import type { DeadLetterRow } from "./dead-letters";
import { fromStored, type MessageRow, type StoredMessage } from "./messages";

/** An app of this shard with messages to archive: its oldest one and the sweeper's mark. */
export interface ArchiveCandidate {
  app_id: string;
  first_id: string;
  swept_to: string;
}

/**
 * Apps with messages older than `before` (an id floor) that the sweeper has already checked for
 * lost first tries (up to `apps.swept_to`), oldest first; apps in `skip` (being moved to
 * another shard) are left alone. One index seek per app.
 */
export async function archiveCandidates(
  db: D1Database,
  before: string,
  skip: readonly string[],
): Promise<ArchiveCandidate[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM (
         SELECT a.id AS app_id, a.swept_to,
           (SELECT m.id FROM messages m WHERE m.app_id = a.id AND m.id < ?1 AND m.id <= a.swept_to
            ORDER BY m.id LIMIT 1) AS first_id
         FROM apps a WHERE a.deleted_at IS NULL AND a.id NOT IN (SELECT value FROM json_each(?2)))
       WHERE first_id IS NOT NULL ORDER BY first_id`,
    )
    .bind(before, JSON.stringify(skip))
    .all<ArchiveCandidate>();
  return results;
}

/** How much one pass may take: whichever bound is reached first (at least one message). */
export interface PassLimits {
  messages: number;
  payloadBytes: number;
  deliveries: number;
}

/** A message read for archiving: `blocked` when one of its deliveries is still open. */
export interface PassMessage extends MessageRow {
  blocked: boolean;
}

/**
 * An app's messages from `from` (inclusive) to `before` (exclusive) and up to its mark, in id
 * order, as many as the limits allow, each flagged when a delivery of it is still open. The
 * running sums are computed in D1, so payloads past the limits are never sent back.
 */
export async function passMessages(
  db: D1Database,
  appId: string,
  from: string,
  before: string,
  sweptTo: string,
  limits: PassLimits,
): Promise<PassMessage[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM (
         SELECT x.*,
           sum(length(CAST(x.payload AS BLOB))) OVER w AS bytes_to,
           sum(json_array_length(x.endpoints)) OVER w AS deliveries_to
         FROM (
           SELECT m.*, EXISTS (SELECT 1 FROM json_each(m.endpoints) e JOIN open_deliveries o
               ON o.endpoint_id = 'ep_' || e.value AND o.message_id = m.id) AS blocked
           FROM messages m WHERE m.app_id = ?1 AND m.id >= ?2 AND m.id < ?3 AND m.id <= ?4
           ORDER BY m.id LIMIT ?5) x
         WINDOW w AS (ORDER BY x.id ROWS UNBOUNDED PRECEDING))
       WHERE bytes_to - length(CAST(payload AS BLOB)) < ?6
         AND deliveries_to - json_array_length(endpoints) < ?7
       ORDER BY id`,
    )
    .bind(appId, from, before, sweptTo, limits.messages, limits.payloadBytes, limits.deliveries)
    .all<StoredMessage & { blocked: number; bytes_to: number; deliveries_to: number }>();
  return results.map(({ blocked, bytes_to: _b, deliveries_to: _d, ...row }) => ({
    ...fromStored(row),
    blocked: blocked === 1,
  }));
}

/** The app's next message after `after` and before `before` that the sweeper has checked, or null. */
export async function nextArchivable(
  db: D1Database,
  appId: string,
  after: string,
  before: string,
  sweptTo: string,
): Promise<string | null> {
  const row = await db
    .prepare(
      `SELECT id FROM messages WHERE app_id = ?1 AND id > ?2 AND id < ?3 AND id <= ?4
       ORDER BY id LIMIT 1`,
    )
    .bind(appId, after, before, sweptTo)
    .first<{ id: string }>();
  return row?.id ?? null;
}

/** What the deliveries of these messages of one app did: log entries, dead letters, live endpoints. */
export async function passHistory(
  db: D1Database,
  appId: string,
  messageIds: string[],
  endpointIds: string[],
): Promise<{ logged: LoggedEntry[]; letters: DeadLetterRow[]; live: Set<string> }> {
  const [log, letters, live] = await db.batch([
    entriesForMessagesStatement(db, appId, messageIds),
    db
      .prepare(
        `SELECT * FROM dead_letters WHERE app_id = ?1
           AND message_id IN (SELECT value FROM json_each(?2)) ORDER BY message_id, endpoint_id`,
      )
      .bind(appId, JSON.stringify(messageIds)),
    db
      .prepare("SELECT id FROM endpoints WHERE id IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(endpointIds)),
  ]);
  return {
    logged: loggedEntries(log),
    letters: (letters?.results ?? []) as DeadLetterRow[],
    live: new Set(((live?.results ?? []) as { id: string }[]).map((r) => r.id)),
  };
}

/** What removing an archived pass took out of D1. */
export interface RemovedCounts {
  messages: number;
  idempotencyKeys: number;
  deadLetters: number;
  logRows: number;
}

/**
 * Removes archived messages from D1 in one transaction, with their idempotency keys and dead
 * letters, then the attempt-log rows of their seconds that no longer name any message still in
 * D1 (a row also holds the next second's messages: it stays until they are gone too). A message
 * whose delivery was reopened meanwhile (a replay) stays, and so does what belongs to it.
 */
export async function removeArchived(
  db: D1Database,
  appId: string,
  messages: Pick<MessageRow, "id" | "idempotency_key">[],
): Promise<RemovedCounts> {
  const ids = JSON.stringify(messages.map((m) => m.id));
  const keys = JSON.stringify(
    messages.flatMap((m) => (m.idempotency_key === null ? [] : [m.idempotency_key])),
  );
  const first = messages[0]?.id ?? "";
  const last = messages[messages.length - 1]?.id ?? "";
  const gone = (alias: string) =>
    `NOT EXISTS (SELECT 1 FROM messages m WHERE m.app_id = ?1 AND m.id = ${alias})`;
  const [removed, removedKeys, letters, log] = await db.batch([
    db
      .prepare(
        `DELETE FROM messages WHERE app_id = ?1 AND id IN (SELECT value FROM json_each(?2))
           AND NOT EXISTS (SELECT 1 FROM json_each(messages.endpoints) e JOIN open_deliveries o
             ON o.endpoint_id = 'ep_' || e.value AND o.message_id = messages.id)`,
      )
      .bind(appId, ids),
    db
      .prepare(
        `DELETE FROM idempotency_keys WHERE app_id = ?1 AND key IN (SELECT value FROM json_each(?2))
           AND message_id IN (SELECT value FROM json_each(?3)) AND ${gone("idempotency_keys.message_id")}`,
      )
      .bind(appId, keys, ids),
    db
      .prepare(
        `DELETE FROM dead_letters WHERE app_id = ?1 AND message_id IN (SELECT value FROM json_each(?2))
           AND ${gone("dead_letters.message_id")}`,
      )
      .bind(appId, ids),
    db
      .prepare(
        `DELETE FROM attempt_log WHERE app_id = ?1 AND bucket >= ?2 AND bucket <= ?3
           AND NOT EXISTS (SELECT 1 FROM json_each(attempt_log.entries) j, messages m
             WHERE m.app_id = ?1 AND m.id = 'msg_' || (j.value ->> 0))`,
      )
      // A row of the second before the first message's may hold its entries too.
      .bind(appId, bucketAfter(bucketOf(first), -1), bucketOf(last)),
  ]);
  return {
    messages: removed?.meta.changes ?? 0,
    idempotencyKeys: removedKeys?.meta.changes ?? 0,
    deadLetters: letters?.meta.changes ?? 0,
    logRows: log?.meta.changes ?? 0,
  };
}
