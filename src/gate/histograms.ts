/**
 * The gate's outcome histograms in its SQLite storage: per minute for a day (health figures),
 * rolled into hours kept for a week (the 7-day charts). Reports add to the minute table only;
 * the rollup runs in the alarm's purge, so the charts cost no write per report.
 */
import { type Cell, MINUTE_MS, minuteOf, type Summary, summarize, tally } from "./latency";
import type { SeriesCell } from "./series";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** How long the hourly rollup keeps its hours: the 7-day charts. */
const HOURLY_KEEP_MS = 7 * DAY_MS;

/** The histogram tables of one gate; `sql` is its Durable Object's storage. */
export class Histograms {
  constructor(private readonly sql: SqlStorage) {
    // `ok` counts the successes in the cell (see latency.ts).
    sql.exec(
      `CREATE TABLE IF NOT EXISTS latency (
         minute INTEGER NOT NULL,
         bucket INTEGER NOT NULL,
         n INTEGER NOT NULL,
         ok INTEGER NOT NULL,
         sum_ms INTEGER NOT NULL,
         PRIMARY KEY (minute, bucket)
       ) WITHOUT ROWID`,
    );
    sql.exec(
      `CREATE TABLE IF NOT EXISTS latency_hourly (
         hour INTEGER NOT NULL,
         bucket INTEGER NOT NULL,
         n INTEGER NOT NULL,
         ok INTEGER NOT NULL,
         sum_ms INTEGER NOT NULL,
         PRIMARY KEY (hour, bucket)
       ) WITHOUT ROWID`,
    );
  }

  /** Adds outcomes to the minute of `now`, one row per distinct bucket; whether any were added. */
  add(outcomes: ReadonlyArray<{ ok: boolean; latencyMs: number }>, now: number): boolean {
    const cells = tally(outcomes);
    for (const c of cells) {
      this.sql.exec(
        `INSERT INTO latency (minute, bucket, n, ok, sum_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (minute, bucket) DO UPDATE SET
           n = n + excluded.n, ok = ok + excluded.ok, sum_ms = sum_ms + excluded.sum_ms`,
        minuteOf(now),
        c.bucket,
        c.n,
        c.ok,
        c.sumMs,
      );
    }
    return cells.length > 0;
  }

  /** Requests, success rate and percentiles of the last `spanMs` (at most a day). */
  summary(now: number, spanMs: number): Summary {
    const cells = this.sql
      .exec<{ bucket: number; n: number; ok: number; sum_ms: number }>(
        `SELECT bucket, SUM(n) AS n, SUM(ok) AS ok, SUM(sum_ms) AS sum_ms
         FROM latency WHERE minute > ? GROUP BY bucket`,
        minuteOf(now - spanMs),
      )
      .toArray()
      .map((r): Cell => ({ bucket: r.bucket, n: r.n, ok: r.ok, sumMs: r.sum_ms }));
    return summarize(cells);
  }

  /**
   * Cells per step (`stepMs`) and bucket from `from` on: the last day from the minutes, older
   * steps from the hourly rollup.
   */
  series(from: number, stepMs: number): SeriesCell[] {
    return this.sql
      .exec<{ at: number; bucket: number; n: number; ok: number; sum_ms: number }>(
        `SELECT at, bucket, SUM(n) AS n, SUM(ok) AS ok, SUM(sum_ms) AS sum_ms FROM (
           SELECT (minute * ${MINUTE_MS} / ?) * ? AS at, bucket, n, ok, sum_ms
           FROM latency WHERE minute >= ?
           UNION ALL
           SELECT (hour * ${HOUR_MS} / ?) * ? AS at, bucket, n, ok, sum_ms
           FROM latency_hourly WHERE hour >= ?
         ) GROUP BY at, bucket`,
        stepMs,
        stepMs,
        Math.floor(from / MINUTE_MS),
        stepMs,
        stepMs,
        Math.floor(from / HOUR_MS),
      )
      .toArray()
      .map((r): SeriesCell => ({ at: r.at, bucket: r.bucket, n: r.n, ok: r.ok, sumMs: r.sum_ms }));
  }

  /** Forgets everything (an operator re-enabled the endpoint: its history starts over). */
  clear(): void {
    this.sql.exec("DELETE FROM latency");
    this.sql.exec("DELETE FROM latency_hourly");
  }

  /**
   * Rolls minutes a day old into hours, drops hours a week old; answers when to purge next
   * (null once both tables are empty). The rollup is one statement per alarm, never per report.
   */
  purge(now: number): number | null {
    const cutoff = minuteOf(now - DAY_MS);
    this.sql.exec(
      `INSERT INTO latency_hourly (hour, bucket, n, ok, sum_ms)
       SELECT minute / 60, bucket, SUM(n), SUM(ok), SUM(sum_ms) FROM latency
       WHERE minute <= ? GROUP BY minute / 60, bucket
       ON CONFLICT (hour, bucket) DO UPDATE SET
         n = n + excluded.n, ok = ok + excluded.ok, sum_ms = sum_ms + excluded.sum_ms`,
      cutoff,
    );
    this.sql.exec("DELETE FROM latency WHERE minute <= ?", cutoff);
    this.sql.exec(
      "DELETE FROM latency_hourly WHERE hour <= ?",
      Math.floor((now - HOURLY_KEEP_MS) / HOUR_MS),
    );
    const minutes = this.sql
      .exec<{ any: number }>("SELECT EXISTS (SELECT 1 FROM latency) AS any")
      .one();
    if (minutes.any) return now + HOUR_MS;
    // Only hours left: nothing is due until the oldest ages out, so an idle endpoint's gate
    // wakes once a week at most, not every hour.
    const { oldest } = this.sql
      .exec<{ oldest: number | null }>("SELECT MIN(hour) AS oldest FROM latency_hourly")
      .one();
    return oldest === null ? null : (oldest + 1) * HOUR_MS + HOURLY_KEEP_MS;
  }
}
