import { archiveBucket } from "../archive/store";
import { archiveShard, expireArchive } from "../archive/sweep";
import { settings } from "../config";
import { movingApps } from "../db/directory";
import { purgeChunk, purgeJobs } from "../db/purge";
import { endpointsWaitingTooLong, openBacklog, purgePass, saveSweeperState } from "../db/sweep";
import { enqueueTasks, wakeTasks } from "../delivery/enqueue";
import { retryWindowMs } from "../delivery/retry";
import { log } from "../lib/log";
import { deliveryQueues, shardDbs } from "../lib/topology";
import { advanceMoves } from "./moves";
import { forwardOperatorEvents } from "./notices";
import { addReports, emptyReport, type SweepReport } from "./report";
import {
  CHECK_BATCH,
  checkFirstTries,
  OVERDUE_BATCH,
  QUEUE_SLACK_MS,
  settleOverdue,
} from "./settle";

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
