import { archiveBucket } from "../archive/store";
import { archiveShard, expireArchive } from "../archive/sweep";
import { settings } from "../config";
import {
  entriesForRefsStatement,
  insertLogStatement,
  type LogGroup,
  loggedEntries,
} from "../db/attempt-log";
import { insertDeadLettersStatement } from "../db/dead-letters";
import { movingApps } from "../db/directory";
import { endpointsOf } from "../db/messages";
import {
  closeStatement,
  type OpenRow,
  type OpenUpdate,
  openRowsStatement,
  parkStatement,
} from "../db/open-deliveries";
import { purgeChunk, purgeJobs } from "../db/purge";
import {
  endpointsWaitingTooLong,
  markSweptStatement,
  openBacklog,
  overdueOpenRows,
  purgePass,
  requeueLostStatement,
  saveSweeperState,
  uncheckedMessages,
} from "../db/sweep";
import { enqueueTasks, wakeTasks } from "../delivery/enqueue";
import { retryWindowMs } from "../delivery/retry";
import { deliveryId, newId } from "../lib/ids";
import { log } from "../lib/log";
import { deliveryQueues, shardDbs } from "../lib/topology";
import { advanceMoves } from "./moves";
import { forwardOperatorEvents } from "./notices";
import { addReports, emptyReport, type SweepReport } from "./report";

/** Most messages checked for lost first tries per pass. */
const CHECK_BATCH = 1000;
/** How many deliveries a message fans out to. */
function endpointCount(m: { endpoints: string }): number {
  return (JSON.parse(m.endpoints) as unknown[]).length;
}

/** Most deliveries one pass of the first-try check looks up. */
const CHECK_PAIRS = 20_000;
/** Clock slack between a message's creation and its queue task's timestamp. */
const QUEUE_SLACK_MS = 10_000;
/** Most overdue open rows handled per pass. */
const OVERDUE_BATCH = 1000;
/**
 * A delivery handed out and lost this many times killed its consumer each time (a throw would
 * have been retried by the queue and dead-lettered after its max_retries, also 5).
 */
const MAX_LOST = 5;
/** Rows per retention statement per pass. */
const PURGE_BATCH = 2000;
/** Purge jobs (deleted apps and endpoints) worked on per sweep. */
const PURGE_JOBS_PER_SWEEP = 10;
/** Most expired signing secrets dropped per sweep. */
const SECRET_PURGE_BATCH = 1000;
/**
 * How long one sweep may keep working through backlogs (checks, overdue rows, retention) before
 * leaving the rest to the next; well inside a cron invocation's limits.
 */
const SWEEP_BUDGET_MS = 20_000;

/**
 * The cron sweeper, the backstop of every hand-off: first tries the queue lost become open rows,
 * open rows nobody answered are handed back, deliveries past their retry window end `expired`
 * (no queue needed for that), endpoints whose parked deliveries missed their wake are woken.
 * Then retention, in bounded passes within a time budget, and expired signing secrets.
 */
export async function sweep(env: Env, now = Date.now()): Promise<SweepReport> {
  // A first try still waiting in the queue is not lost: only messages older than the queue's
  // oldest are (a backlog can hold first tries far longer than the grace).
  const graceMs = settings(env).sweepGraceS * 1000;
  const lostBefore = Math.min(now - graceMs, (await oldestQueued(env)) - QUEUE_SLACK_MS);
  // Apps being moved between shards are left alone on both until the copy is done. Moves go
  // first, with half the budget: a slow or failing shard must not hold every move back.
  const started = Date.now();
  const moves = await movingApps(env.DB);
  const moving = moves.map((m) => m.app_id);
  const moved =
    moves.length > 0
      ? await advanceMoves(env, now, () => Date.now() - started < SWEEP_BUDGET_MS / 2)
      : 0;
  // Each shard is swept on its own, side by side: its apps, its open rows, its health. One
  // that fails is logged and the others' work still counts.
  const settled = await Promise.allSettled(
    shardDbs(env).map((db) => sweepShard(env, db, now, lostBefore, moving)),
  );
  const reports: SweepReport[] = [];
  settled.forEach((r, shard) => {
    if (r.status === "fulfilled") reports.push(r.value);
    else
      log("sweep of a shard failed; the next sweep tries again", {
        shard,
        error: String(r.reason),
      });
  });
  const total = reports.length > 0 ? reports.reduce(addReports) : emptyReport();
  total.moved = moved;
  const archive = archiveBucket(env);
  if (archive) total.purged.archiveHoursExpired = await expireArchive(env, archive, now);
  return total;
}

/** One shard's sweep (see `sweep`). */
async function sweepShard(
  env: Env,
  db: D1Database,
  now: number,
  lostBefore: number,
  moving: readonly string[],
): Promise<SweepReport> {
  const cfg = settings(env);
  const started = Date.now();
  const graceMs = cfg.sweepGraceS * 1000;
  const windowMs = retryWindowMs(cfg.retrySchedule, cfg.requestTimeoutMs);
  const report = emptyReport();
  const within = () => Date.now() - started < SWEEP_BUDGET_MS;
  /** Endpoints to wake: endpoint id -> app id. */
  const wake = new Map<string, string>();

  let behind = false;
  for (;;) {
    const checked = await checkFirstTries(db, now, lostBefore, windowMs, wake, moving);
    report.requeued += checked.requeued;
    report.expired += checked.expired;
    if (checked.scanned < CHECK_BATCH) break;
    if (!within()) {
      behind = true;
      break;
    }
  }
  for (;;) {
    const overdue = await settleOverdue(db, now, graceMs, windowMs, wake, moving);
    report.lost += overdue.lost;
    report.crashed += overdue.crashed;
    report.expired += overdue.expired;
    if (overdue.scanned < OVERDUE_BATCH || !within()) break;
  }
  for (const e of await endpointsWaitingTooLong(db, now - graceMs)) wake.set(e.id, e.app_id);
  report.woken = wake.size;
  await enqueueTasks(env, wakeTasks(wake));
  report.notices = await forwardOperatorEvents(env, db, now);

  for (const job of await purgeJobs(db, PURGE_JOBS_PER_SWEEP)) {
    for (;;) {
      const removed = await purgeChunk(db, job, PURGE_BATCH);
      report.purged.deleted += removed;
      if (removed === 0 || !within()) break;
    }
    if (!within()) break;
  }

  // With an archive bucket, what is past D1_RETENTION_DAYS moves to R2 (src/archive/) instead.
  const archive = archiveBucket(env);
  if (archive) await archiveShard(env, archive, db, now, within, report.purged, moving);
  const cutoff = now - cfg.d1RetentionDays * 86_400_000;
  while (!archive) {
    const pass = await purgePass(db, cutoff, PURGE_BATCH);
    report.purged.messages += pass.messages;
    report.purged.logRows += pass.logRows;
    report.purged.deadLetters += pass.deadLetters;
    report.purged.idempotencyKeys += pass.idempotencyKeys;
    const full = Math.max(pass.messages, pass.logRows, pass.deadLetters) >= PURGE_BATCH;
    if (!full || !within()) break;
  }
  const [expiredSecrets, auditEntries] = await db.batch([
    // A rotation drops its profile's expired secrets, but a profile never rotated again would
    // keep its last one (still encrypted, never used to sign) forever.
    db
      .prepare(
        `DELETE FROM auth_profile_secrets WHERE id IN
       (SELECT id FROM auth_profile_secrets WHERE expires_at IS NOT NULL AND expires_at <= ?1 LIMIT ?2)`,
      )
      .bind(now, SECRET_PURGE_BATCH),
    db
      .prepare(
        `DELETE FROM audit_log WHERE id IN
       (SELECT id FROM audit_log WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)`,
      )
      .bind(now - cfg.auditRetentionDays * 86_400_000, PURGE_BATCH),
  ]);
  report.purged.expiredSecrets = expiredSecrets?.meta.changes ?? 0;
  report.purged.auditEntries = auditEntries?.meta.changes ?? 0;

  const { purged, ...counts } = report;
  if (Object.values(counts).some((n) => n > 0) || Object.values(purged).some((n) => n > 0)) {
    log("sweep", { ...report });
  }
  await recordHealth(db, report, now, behind);
  return report;
}

/**
 * Keeps what /healthz reports: the oldest open delivery, and whether sweeps keep handing
 * deliveries out again without the backlog falling (a queue that takes them and loses them, a
 * consumer that keeps dying). Also logged, as the sweeper's metric line.
 */
async function recordHealth(
  db: D1Database,
  report: SweepReport,
  now: number,
  behind: boolean,
): Promise<void> {
  const { open, oldest, previous } = await openBacklog(db);
  // Wakes are not hand-outs: every sweep wakes endpoints whose backlog is still draining.
  const handedOut = report.requeued + report.lost;
  const stalled =
    handedOut > 0 && previous !== null && open >= previous.open_count
      ? previous.stalled_runs + 1
      : 0;
  await saveSweeperState(db, {
    swept_at: now,
    oldest_open_at: oldest,
    open_count: open,
    stalled_runs: stalled,
    behind: behind ? 1 : 0,
    report: JSON.stringify(report),
  });
  log("sweep health", {
    kind: "sweep_health",
    open,
    oldestOpenAgeS: oldest === null ? null : Math.round((now - oldest) / 1000),
    handedOut,
    stalledRuns: stalled,
    behind,
  });
}

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
 * When the oldest message still in any delivery queue was sent (ms), or +infinity when the
 * queues are empty or cannot say.
 */
async function oldestQueued(env: Env): Promise<number> {
  try {
    const all = await Promise.all(deliveryQueues(env).map((q) => q.metrics()));
    let oldest = Number.POSITIVE_INFINITY;
    for (const m of all) {
      const at = m.oldestMessageTimestamp;
      if (m.backlogCount === 0 || at === undefined) continue;
      const ms = at instanceof Date ? at.getTime() : Number(at);
      if (Number.isFinite(ms) && ms > 0) oldest = Math.min(oldest, ms);
    }
    return oldest;
  } catch (err) {
    log("queue metrics unavailable; judging lost first tries by the grace alone", {
      error: String(err),
    });
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * One pass over messages past their apps' marks (older than `lostBefore`, or than the retry
 * window): a first try with neither an outcome nor an open row was lost on its way to the queue
 * (or in it). It becomes an open row and its endpoint
 * is woken, or, past its retry window, it ends `expired`. The marks then move past the pass.
 */
async function checkFirstTries(
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
async function settleOverdue(
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
