/**
 * The sweeper's archive step (docs/ARCHITECTURE.md, "Archive"): messages past D1_RETENTION_DAYS
 * leave D1 for R2, an app and an hour at a time, written before they are deleted; archived hours
 * past ARCHIVE_RETENTION_DAYS are deleted from R2.
 */

import { settings } from "../config";
import {
  type ArchiveCandidate,
  archiveCandidates,
  nextArchivable,
  type PassLimits,
  passHistory,
  passMessages,
  removeArchived,
} from "../db/archive";
import { deliveryStatuses, endpointsOf } from "../db/messages";
import { idFloor } from "../lib/ids";
import { log } from "../lib/log";
import { hourEnd, hourOf, hourOfMessage, hourStart, toLine } from "./format";
import { expireHours, writePart } from "./store";

const DAY_MS = 86_400_000;

/**
 * What one pass (one object written, one D1 transaction) may take. An hour of an app beyond
 * these is written in parts. Bounded so that a pass holds a few MB in memory, whatever the
 * payloads and fan-outs.
 */
export const PASS_LIMITS: PassLimits = {
  messages: 2000,
  payloadBytes: 2 * 1024 * 1024,
  deliveries: 5000,
};

/** Archived hours (of one app each) deleted from R2 per sweep at most. */
const EXPIRE_HOURS_PER_SWEEP = 200;

/** The sweep report's retention counters this step adds to. */
export interface RetentionCounts {
  messages: number;
  logRows: number;
  deadLetters: number;
  idempotencyKeys: number;
  /** Messages written to the archive. */
  archived: number;
  /** Archived hours deleted from R2 after ARCHIVE_RETENTION_DAYS. */
  archiveHoursExpired: number;
}

/**
 * Moves this shard's messages past D1_RETENTION_DAYS to the archive while `within()` allows,
 * adding what it did to `counts`. Only whole hours that ended before the cutoff are taken (so an
 * hour is one object, not a part per sweep), only messages the sweeper has checked for lost first
 * tries, and, within an hour, messages in id order up to the first one with an open delivery: the
 * rest of that hour waits for it to end. Apps in `moving` (being copied to another shard) are
 * left alone.
 * A failure ends the step for this sweep; what was written and not yet deleted is written
 * again, merged, on the next.
 */
export async function archiveShard(
  env: Env,
  bucket: R2Bucket,
  db: D1Database,
  now: number,
  within: () => boolean,
  counts: RetentionCounts,
  moving: readonly string[] = [],
  limits: PassLimits = PASS_LIMITS,
): Promise<void> {
  const cutoff = now - settings(env).d1RetentionDays * DAY_MS;
  const before = idFloor("msg", hourStart(hourOf(cutoff)));
  try {
    const apps = await archiveCandidates(db, before, moving);
    for (const app of apps) {
      let next: string | null = app.first_id;
      while (next !== null && within())
        next = await archivePass(bucket, db, app, next, before, limits, counts);
      if (!within()) break;
    }
  } catch (err) {
    log("archive step failed; the next sweep goes on from what D1 still holds", {
      error: String(err),
    });
  }
}

/**
 * One pass: messages of one app and hour from `start`, written to R2, then removed from D1.
 * Returns the next message to archive, or null when the app has none left before `before`.
 */
async function archivePass(
  bucket: R2Bucket,
  db: D1Database,
  app: ArchiveCandidate,
  start: string,
  before: string,
  limits: PassLimits,
  counts: RetentionCounts,
): Promise<string | null> {
  const hour = hourOfMessage(start);
  const end = idFloor("msg", hourEnd(hour));
  const rows = await passMessages(db, app.app_id, start, end, app.swept_to, limits);
  const blocked = rows.findIndex((r) => r.blocked);
  const take = blocked < 0 ? rows : rows.slice(0, blocked);
  if (take.length > 0) {
    const endpoints = [...new Set(take.flatMap((r) => endpointsOf(r)))];
    const { logged, letters, live } = await passHistory(
      db,
      app.app_id,
      take.map((r) => r.id),
      endpoints,
    );
    const lines = take.map((row) => {
      const mine = logged.filter((l) => l.entry[0] === row.id);
      return {
        id: row.id,
        line: toLine(
          row,
          endpointsOf(row),
          deliveryStatuses(row, mine, [], live),
          mine,
          letters.filter((d) => d.message_id === row.id),
        ),
      };
    });
    const written = await writePart(bucket, app.app_id, hour, lines);
    // Only now, with the object stored, do the rows leave D1.
    const removed = await removeArchived(db, app.app_id, take);
    counts.archived += take.length;
    counts.messages += removed.messages;
    counts.idempotencyKeys += removed.idempotencyKeys;
    counts.deadLetters += removed.deadLetters;
    counts.logRows += removed.logRows;
    log("archived", {
      appId: app.app_id,
      hour,
      keys: written.keys,
      messages: take.length,
      bytes: written.bytes,
      ...(written.merged > 0 ? { merged: written.merged } : {}),
    });
  }
  // A message with an open delivery holds the rest of its hour back: go on with the next hour.
  const last = take[take.length - 1];
  const after = blocked >= 0 || last === undefined ? end : last.id;
  return nextArchivable(db, app.app_id, after, before, app.swept_to);
}

/** Deletes archived hours past ARCHIVE_RETENTION_DAYS (a bounded number per sweep). */
export async function expireArchive(env: Env, bucket: R2Bucket, now: number): Promise<number> {
  try {
    const before = now - settings(env).archiveRetentionDays * DAY_MS;
    const expired = await expireHours(bucket, before, EXPIRE_HOURS_PER_SWEEP);
    if (expired.hours > 0) log("archive expired", { ...expired });
    return expired.hours;
  } catch (err) {
    log("archive expiry failed; the next sweep tries again", { error: String(err) });
    return 0;
  }
}
