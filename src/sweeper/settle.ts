/**
 * How the sweeper settles what the hand-offs dropped: first tries lost on their way to the queue,
 * and open deliveries nobody answered. Each pass is bounded; `sweep.ts` runs them in a budget.
 */
import {
  entriesForRefsStatement,
  insertLogStatement,
  type LogGroup,
  loggedEntries,
} from "../db/attempt-log";
import { insertDeadLettersStatement } from "../db/dead-letters";
import { endpointsOf } from "../db/messages";
import {
  closeStatement,
  type OpenRow,
  type OpenUpdate,
  openRowsStatement,
  parkStatement,
} from "../db/open-deliveries";
import {
  markSweptStatement,
  overdueOpenRows,
  requeueLostStatement,
  uncheckedMessages,
} from "../db/sweep";
import { deliveryId, newId } from "../lib/ids";
import { log } from "../lib/log";

/** Most messages checked for lost first tries per pass. */
export const CHECK_BATCH = 1000;
/** How many deliveries a message fans out to. */
function endpointCount(m: { endpoints: string }): number {
  return (JSON.parse(m.endpoints) as unknown[]).length;
}

/** Most deliveries one pass of the first-try check looks up. */
const CHECK_PAIRS = 20_000;
/** Clock slack between a message's creation and its queue task's timestamp. */
export const QUEUE_SLACK_MS = 10_000;
/** Most overdue open rows handled per pass. */
export const OVERDUE_BATCH = 1000;
/**
 * A delivery handed out and lost this many times killed its consumer each time (a throw would
 * have been retried by the queue and dead-lettered after its max_retries, also 5).
 */
const MAX_LOST = 5;

/** The dead-letter row and log entry of a delivery that ends here. */
function ending(
  appId: string,
  messageId: string,
  endpointId: string,
  reason: string,
  attempts: number,
  now: number,
) {
  return {
    letter: {
      app_id: appId,
      message_id: messageId,
      endpoint_id: endpointId,
      reason,
      attempts,
      dead_at: now,
    },
    group: {
      appId,
      endpointId,
      entries: [[messageId, 0, "dead", now, 0, null, reason, null]],
    } as LogGroup,
  };
}

/**
 * One pass over messages past their apps' marks (older than `lostBefore`, or than the retry
 * window): a first try with neither an outcome nor an open row was lost on its way to the queue
 * (or in it). It becomes an open row and its endpoint
 * is woken, or, past its retry window, it ends `expired`. The marks then move past the pass.
 */
export async function checkFirstTries(
  db: D1Database,
  now: number,
  lostBefore: number,
  windowMs: number,
  wake: Map<string, string>,
  moving: readonly string[],
) {
  // Past their window, first tries end whatever the queue holds; a stuck queue must not keep
  // them open for ever.
  const unchecked = await uncheckedMessages(
    db,
    Math.max(lostBefore, now - windowMs),
    CHECK_BATCH,
    moving,
  );
  // A pass checks at most CHECK_PAIRS deliveries (wide messages count for all of theirs), and
  // always at least one message; the marks move only past the messages it checked.
  let counted = 0;
  const messages = unchecked.filter((m, i) => {
    counted += endpointCount(m);
    return i === 0 || counted <= CHECK_PAIRS;
  });
  if (messages.length === 0) return { scanned: 0, requeued: 0, expired: 0 };
  const scanned = messages.length < unchecked.length ? CHECK_BATCH : messages.length;
  const pairs = messages.flatMap((m) =>
    endpointsOf(m).map((endpointId) => ({ appId: m.app_id, messageId: m.id, endpointId, m })),
  );
  const [logged, open, live] =
    pairs.length > 0
      ? await db.batch([
          entriesForRefsStatement(db, pairs),
          openRowsStatement(db, pairs),
          db
            .prepare("SELECT id FROM endpoints WHERE id IN (SELECT value FROM json_each(?))")
            .bind(JSON.stringify([...new Set(pairs.map((p) => p.endpointId))])),
        ])
      : [undefined, undefined, undefined];
  const seen = new Set(loggedEntries(logged).map((l) => deliveryId(l.entry[0], l.endpointId)));
  for (const o of (open?.results ?? []) as OpenRow[])
    seen.add(deliveryId(o.message_id, o.endpoint_id));
  // A delivery to an endpoint deleted since reads as cancelled: nothing to hand out.
  const liveIds = new Set(((live?.results ?? []) as { id: string }[]).map((r) => r.id));
  const lost = pairs.filter(
    (p) => liveIds.has(p.endpointId) && !seen.has(deliveryId(p.messageId, p.endpointId)),
  );
  const parks: OpenUpdate[] = [];
  const endings = [];
  for (const p of lost) {
    if (p.m.created_at + windowMs < now) {
      endings.push(ending(p.appId, p.messageId, p.endpointId, "expired", 0, now));
    } else {
      parks.push({
        endpointId: p.endpointId,
        messageId: p.messageId,
        appId: p.appId,
        attempts: 0,
        totalAttempts: 0,
        firstAttemptAt: null,
        dueAt: now,
        lastError: "lost before its first try",
        createdAt: p.m.created_at,
      });
      wake.set(p.endpointId, p.appId);
    }
  }
  const marks = new Map<string, string>();
  for (const m of messages) marks.set(m.app_id, m.id);
  const statements: D1PreparedStatement[] = [];
  if (parks.length > 0) statements.push(parkStatement(db, parks));
  statements.push(...endingStatements(db, endings, now));
  statements.push(markSweptStatement(db, marks));
  await db.batch(statements);
  if (lost.length > 0)
    log("first tries lost; handed to their endpoints' wakes", {
      requeued: parks.length,
      expired: endings.length,
    });
  return { scanned, requeued: parks.length, expired: endings.length };
}

function endingStatements(
  db: D1Database,
  endings: ReturnType<typeof ending>[],
  now: number,
): D1PreparedStatement[] {
  if (endings.length === 0) return [];
  const out = [
    insertDeadLettersStatement(
      db,
      endings.map((e) => e.letter),
    ),
  ];
  const logged = insertLogStatement(
    db,
    endings.map((e) => e.group),
    () => newId("att", now),
  );
  if (logged) out.push(logged);
  return out;
}

/**
 * One pass over open rows overdue by the grace that need settling: past their retry window they
 * end `expired`; handed out and unanswered they go back to waiting (or end `consumer_crash` once
 * lost too often) and their endpoint is woken.
 */
export async function settleOverdue(
  db: D1Database,
  now: number,
  graceMs: number,
  windowMs: number,
  wake: Map<string, string>,
  moving: readonly string[],
) {
  const rows = await overdueOpenRows(
    db,
    now - graceMs,
    now - windowMs - graceMs,
    OVERDUE_BATCH,
    moving,
  );
  const endings = [];
  const closed: OpenRow[] = [];
  const requeue: OpenRow[] = [];
  let crashed = 0;
  let expired = 0;
  for (const r of rows) {
    const start = r.first_attempt_at ?? r.created_at;
    if (start + windowMs + graceMs < now) {
      endings.push(ending(r.app_id, r.message_id, r.endpoint_id, "expired", r.attempts, now));
      closed.push(r);
      expired++;
    } else if (r.state === "queued" && r.lost + 1 >= MAX_LOST) {
      endings.push(
        ending(r.app_id, r.message_id, r.endpoint_id, "consumer_crash", r.attempts, now),
      );
      closed.push(r);
      crashed++;
    } else {
      if (r.state === "queued") requeue.push(r);
      wake.set(r.endpoint_id, r.app_id);
    }
  }
  const statements: D1PreparedStatement[] = [...endingStatements(db, endings, now)];
  if (closed.length > 0)
    statements.push(
      closeStatement(
        db,
        closed.map((r) => ({ endpointId: r.endpoint_id, messageId: r.message_id })),
      ),
    );
  if (requeue.length > 0) statements.push(requeueLostStatement(db, requeue, now));
  if (statements.length > 0) await db.batch(statements);
  return { scanned: rows.length, lost: requeue.length, crashed, expired };
}
