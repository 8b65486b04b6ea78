import { DurableObject } from "cloudflare:workers";
import { type Settings, settings } from "../config";
import { queueFor } from "../lib/topology";
import {
  type BreakerConfig,
  type BreakerState,
  breakerConfig,
  canPass,
  failuresToOpen,
  initialBreaker,
  onFailure,
  onSuccess,
} from "./breaker";
import { type Cell, MINUTE_MS, minuteOf, summarize, tally } from "./latency";
import { acquire, inFlight, initialLeases, type LeaseState, nextExpiry, release } from "./leases";
import { available, initialPacer, type PacerState, pace } from "./pacer";
import { SERIES_WINDOWS, type SeriesCell, type SeriesWindow, seriesRange } from "./series";
import type {
  AdmitResult,
  BacklogNote,
  GateHealth,
  GateLimits,
  GateOutcome,
  GateSeries,
  GateWindow,
  ReportResult,
} from "./types";

/**
 * Everything the gate remembers except latency samples, kept as one synchronous-KV value so
 * each RPC method reads, decides and writes with no await in between: the Durable Object's
 * input gate then makes every call atomic.
 */
interface GateState {
  /** When the gate started counting (first use, or the last reset): auto-disable's origin. */
  createdAt: number;
  breaker: BreakerState;
  leases: LeaseState;
  /** Send times handed out to rate-limited requests. */
  pacer: PacerState;
  /** The lease of the half-open probe, so only its outcome decides the probe. */
  probeLease: string | null;
  pausedUntil: number | null;
  lastSuccessAt: number | null;
  /** Whether any outcome was reported since the last reset: slow start ends at the first. */
  reported: boolean;
  /** First failure after the last success: the no-success window starts here. */
  firstFailureAt: number | null;
  /** Failures (counted or not for the breaker) since the last success, or since creation. */
  failuresSinceSuccess: number;
  /**
   * When auto-disable was last answered. It is answered again only after `DISABLE_REASK_MS`:
   * an endpoint the consumer did disable sends nothing more, so a later ask means its write
   * was lost. reset() clears it.
   */
  disableAskedAt: number | null;
  /** The rate limit of the last admit, so health can show the tokens left. */
  rateLimit: number | null;
  /** When the next purge of old samples is due, while samples exist. */
  purgeAt: number | null;
  /** The alarm we set, so scheduling needs no async getAlarm(). */
  alarmAt: number | null;
  /** The endpoint this gate guards (learned from reports), for the wakes it sends. */
  endpointId: string | null;
  /** The endpoint's app (learned with it): a wake names it so the consumer finds its shard. */
  appId: string | null;
  /** Deliveries of this endpoint may be parked in D1, waiting for a wake. */
  waiters: boolean;
  /** Counts parkings, so a wake that drained an older backlog does not clear a newer one. */
  parkSeq: number;
  /**
   * When the earliest parked delivery may go. A wake goes out once that time has come and the
   * gate would let it through (not paused, breaker passing, a slot free): see `wakeTime`.
   */
  wakeAt: number | null;
  /** When the last wake went out; another waits for its answer (or WAKE_STALE_MS). */
  wakeSentAt: number | null;
  /** When the last wake send failed: the next try waits WAKE_RETRY_MS. */
  wakeFailedAt: number | null;
  /** `maxConcurrency` of the last admit: whether a report freed a usable slot. */
  maxInFlight: number;
}

const STATE_KEY = "gate";
/**
 * Paced send times start this far ahead, so the consumer's own work between admit and send
 * (other endpoints' gates, signing) does not make a slot late: a late slot fires together
 * with the next one and bunches sends at the receiver.
 */
const PACE_LEAD_MS = 100;
/** How far ahead send times are handed out: one batch may schedule up to rate x 2 s of sends. */
const PACE_HORIZON_MS = 2000;
/** Beyond the request timeout, how long a lease outlives its request before it frees itself. */
const LEASE_GRACE_MS = 30_000;
/** Wait hint when concurrency (or a probe in flight) binds: a slot frees when any request ends. */
const SLOT_WAIT_MS = 1000;
/** A Retry-After longer than this pauses for this long; the next answer can pause again. */
const MAX_PAUSE_MS = 3_600_000;
/** How long after answering auto-disable the gate answers it again, should outcomes still come. */
const DISABLE_REASK_MS = 600_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** How long the hourly rollup keeps its hours: the 7-day charts. */
const HOURLY_KEEP_MS = 7 * DAY_MS;
/** A wake unanswered this long is presumed lost (its consumer died): another may go. */
const WAKE_STALE_MS = 60_000;
/** After a failed wake send, try again this much later. */
const WAKE_RETRY_MS = 5_000;

/**
 * One per endpoint (`idFromName(endpointId)`): decides whether a delivery may go now, through
 * a circuit breaker, a pause on Retry-After, a paced rate limit (send times) and expiring
 * concurrency leases, and tells the caller when an endpoint should be auto-disabled.
 */
export class EndpointGate extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Per-minute latency histogram (see latency.ts); `ok` counts the successes in the cell.
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS latency (
         minute INTEGER NOT NULL,
         bucket INTEGER NOT NULL,
         n INTEGER NOT NULL,
         ok INTEGER NOT NULL,
         sum_ms INTEGER NOT NULL,
         PRIMARY KEY (minute, bucket)
       ) WITHOUT ROWID`,
    );
    // The same histograms by the hour, for a week: minutes a day old are rolled into it when
    // the alarm purges them, so the report path writes nothing more for the 7-day charts.
    ctx.storage.sql.exec(
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

  /** Grants up to `n` slots now, each as a lease; says when to ask again for the rest. */
  admit(n: number, limits: GateLimits, now: number = Date.now()): AdmitResult {
    const cfg = this.config();
    const s = this.load(now);
    const want = Math.max(0, Math.floor(n));
    const refuse = (waitMs: number, waitFor: "slot" | "time" = "time"): AdmitResult => {
      this.rememberLimits(s, limits);
      return {
        leases: [],
        retryAfterMs: Math.max(1, Math.ceil(waitMs)),
        breaker: s.breaker.state,
        reusable: false,
        failureBudget: 0,
        waitFor,
        parkSeq: s.parkSeq,
      };
    };

    if (want === 0) {
      return {
        leases: [],
        retryAfterMs: 0,
        breaker: s.breaker.state,
        reusable: false,
        failureBudget: 0,
        parkSeq: s.parkSeq,
      };
    }
    if (s.pausedUntil !== null && now < s.pausedUntil) return refuse(s.pausedUntil - now);
    const pass = canPass(s.breaker, now, cfg.breaker);
    if (!pass.allowed) return refuse(pass.retryAt - now);

    const max = limits.fifo ? 1 : Math.max(1, Math.floor(limits.maxConcurrency));
    // Slow start: until the endpoint proves itself, never have more requests out than it takes
    // to open the breaker, so an endpoint failing from the start receives at most N before it
    // opens. The probe is exempt: the breaker already holds it to one.
    const slowStart =
      !pass.probe && s.lastSuccessAt === null && (s.breaker.consecutiveFailures > 0 || !s.reported);
    const limit = slowStart
      ? Math.max(0, Math.min(max, cfg.breaker.failureThreshold - s.breaker.consecutiveFailures))
      : max;
    const asked = pass.probe ? Math.min(want, 1) : want;
    const byConcurrency = Math.min(asked, Math.max(0, limit - inFlight(s.leases, now)));
    const rate =
      limits.rateLimit === null
        ? null
        : pace(s.pacer, now + PACE_LEAD_MS, limits.rateLimit, byConcurrency, PACE_HORIZON_MS);
    const granted = rate ? rate.times.length : byConcurrency;

    // The probe (and any breaker transition) is only committed if a slot actually goes out.
    const held = acquire(s.leases, now, limit, granted, cfg.leaseMs, newLeaseId);
    if (held.ids.length > 0) {
      s.breaker = pass.state;
      s.leases = held.state;
      if (rate) s.pacer = rate.state;
      if (pass.probe) s.probeLease = held.ids[0] ?? null;
      s.rateLimit = limits.rateLimit;
      s.maxInFlight = max;
      this.save(s, now);
    }

    let waitMs = 0;
    let waitFor: "slot" | "time" = "time";
    if (held.ids.length < want) {
      waitMs = 1;
      if (byConcurrency < want) {
        waitFor = "slot";
        const expiry = nextExpiry(held.state, now);
        waitMs = Math.max(
          waitMs,
          Math.min(SLOT_WAIT_MS, expiry === undefined ? SLOT_WAIT_MS : expiry - now),
        );
      }
      if (rate && rate.nextAt > now) waitMs = Math.max(waitMs, rate.nextAt - now);
    }
    if (held.ids.length === 0) return refuse(waitMs, waitFor);
    return {
      waitFor,
      parkSeq: s.parkSeq,
      leases: held.ids,
      ...(rate ? { notBefore: rate.times.slice(0, held.ids.length) } : {}),
      retryAfterMs: waitMs,
      breaker: s.breaker.state,
      reusable:
        !slowStart &&
        !pass.probe &&
        !limits.fifo &&
        limits.rateLimit === null &&
        s.breaker.state === "closed",
      // As many failures in a row as the breaker would take before opening: a flaky endpoint's
      // lanes keep going where a dead one's stop.
      failureBudget: Math.max(1, failuresToOpen(s.breaker, now, cfg.breaker)),
    };
  }

  /** Releases leases and records outcomes; answers `disable` when auto-disable triggers (once, unless still running 10 min later). */
  report(outcomes: GateOutcome[], now: number = Date.now(), note?: BacklogNote): ReportResult {
    const cfg = this.config();
    const s = this.load(now);
    s.leases = release(s.leases, [
      ...outcomes.map((o) => o.leaseId),
      ...(note?.unusedLeases ?? []),
    ]);
    for (const o of outcomes) {
      s.reported = true;
      const isProbe = s.probeLease !== null && o.leaseId === s.probeLease;
      if (o.ok) {
        s.breaker = onSuccess(s.breaker, now, cfg.breaker);
        s.lastSuccessAt = now;
        s.firstFailureAt = null;
        s.failuresSinceSuccess = 0;
      } else {
        s.failuresSinceSuccess += 1;
        s.firstFailureAt ??= now;
        if (o.countsAsFailure) {
          // While half-open only the probe decides; a request sent before the breaker opened
          // must not re-open it for a doubled cool-down.
          s.breaker =
            s.breaker.state === "half-open" && !isProbe
              ? { ...s.breaker, consecutiveFailures: s.breaker.consecutiveFailures + 1 }
              : onFailure(s.breaker, now, cfg.breaker);
        } else if (isProbe && s.breaker.state === "half-open") {
          // A neutral answer (a 400) says nothing either way; let the next probe go at once
          // rather than after the probe timeout.
          s.breaker = { ...s.breaker, probeInFlight: false };
        }
      }
      if (isProbe) s.probeLease = null;
      const pauseMs = o.retryAfterMs ?? 0;
      if (Number.isFinite(pauseMs) && pauseMs > 0) {
        const until = now + Math.min(pauseMs, MAX_PAUSE_MS);
        s.pausedUntil = Math.max(s.pausedUntil ?? 0, until);
      }
    }
    if (s.pausedUntil !== null && s.pausedUntil <= now) s.pausedUntil = null;
    if (note) this.noteBacklog(s, note);

    const cells = tally(outcomes);
    for (const c of cells) {
      this.ctx.storage.sql.exec(
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
    // New minutes are due for the purge within the hour, even if only hours were waiting.
    if (cells.length > 0)
      s.purgeAt = Math.min(s.purgeAt ?? Number.POSITIVE_INFINITY, now + HOUR_MS);

    const result: ReportResult = {};
    const asked = s.disableAskedAt ?? null;
    const reason =
      asked !== null && now - asked < DISABLE_REASK_MS
        ? undefined
        : disableReason(s, now, cfg.settings);
    if (reason) {
      s.disableAskedAt = now;
      result.disable = reason;
    }
    this.save(s, now);
    return result;
  }

  /** Breaker, pause, tokens, in-flight and the last hour's and day's traffic figures. */
  health(now: number = Date.now()): GateHealth {
    const s = this.load(now);
    return {
      breaker: s.breaker.state,
      consecutiveFailures: s.breaker.consecutiveFailures,
      nextProbeAt:
        s.breaker.state === "open" && s.breaker.openUntil !== undefined
          ? iso(s.breaker.openUntil)
          : null,
      pausedUntil: s.pausedUntil !== null && s.pausedUntil > now ? iso(s.pausedUntil) : null,
      tokens:
        s.rateLimit === null
          ? null
          : available(s.pacer, now + PACE_LEAD_MS, s.rateLimit, PACE_HORIZON_MS),
      inFlight: inFlight(s.leases, now),
      lastHour: this.window(now, HOUR_MS),
      lastDay: this.window(now, DAY_MS),
      lastSuccessAt: s.lastSuccessAt === null ? null : iso(s.lastSuccessAt),
    };
  }

  /**
   * The histograms of `window` (24 h in hourly steps, 7 d in 6-hourly ones) as cells per step
   * and bucket, with the breaker's state: what the charts of an endpoint, or merged, of an app
   * are drawn from. The last day comes from the minutes, older steps from the hourly rollup.
   */
  series(window: SeriesWindow, now: number = Date.now()): GateSeries {
    if (!Object.hasOwn(SERIES_WINDOWS, window)) throw new RangeError(`unknown window ${window}`);
    const s = this.load(now);
    const range = seriesRange(window, now);
    const step = range.stepMs;
    const cells = this.ctx.storage.sql
      .exec<{ at: number; bucket: number; n: number; ok: number; sum_ms: number }>(
        `SELECT at, bucket, SUM(n) AS n, SUM(ok) AS ok, SUM(sum_ms) AS sum_ms FROM (
           SELECT (minute * ${MINUTE_MS} / ?) * ? AS at, bucket, n, ok, sum_ms
           FROM latency WHERE minute >= ?
           UNION ALL
           SELECT (hour * ${HOUR_MS} / ?) * ? AS at, bucket, n, ok, sum_ms
           FROM latency_hourly WHERE hour >= ?
         ) GROUP BY at, bucket`,
        step,
        step,
        Math.floor(range.from / MINUTE_MS),
        step,
        step,
        Math.floor(range.from / HOUR_MS),
      )
      .toArray()
      .map((r): SeriesCell => ({ at: r.at, bucket: r.bucket, n: r.n, ok: r.ok, sumMs: r.sum_ms }));
    return {
      breaker: s.breaker.state,
      nextProbeAt:
        s.breaker.state === "open" && s.breaker.openUntil !== undefined
          ? iso(s.breaker.openUntil)
          : null,
      cells,
    };
  }

  /** Starts over (an operator re-enabled the endpoint): breaker, counters, leases, pause, samples. */
  reset(now: number = Date.now()): void {
    const old = this.ctx.storage.kv.get<GateState>(STATE_KEY);
    this.ctx.storage.sql.exec("DELETE FROM latency");
    this.ctx.storage.sql.exec("DELETE FROM latency_hourly");
    const fresh = initialState(now, this.config().breaker);
    fresh.alarmAt = old?.alarmAt ?? null;
    // Parked deliveries are still parked: keep waking them.
    fresh.endpointId = old?.endpointId ?? null;
    fresh.appId = old?.appId ?? null;
    fresh.waiters = old?.waiters ?? false;
    fresh.parkSeq = old?.parkSeq ?? 0;
    fresh.wakeAt = old?.waiters ? now : null;
    this.save(fresh, now);
  }

  /**
   * Keeps track of the endpoint's parked deliveries: whether any wait, and when the earliest
   * may go. `wakeTime` turns that into one wake at a time, so waiting costs nothing per parked
   * delivery.
   */
  private noteBacklog(s: GateState, note: BacklogNote): void {
    s.endpointId = note.endpointId;
    s.appId = note.appId;
    if (note.woke) s.wakeSentAt = null;
    if (note.parkedUntil !== undefined) {
      s.waiters = true;
      s.parkSeq += 1;
      // A wake's note knows the endpoint's earliest waiting delivery; others only add to it.
      s.wakeAt =
        note.woke || s.wakeAt === null ? note.parkedUntil : Math.min(s.wakeAt, note.parkedUntil);
    } else if (note.drained !== undefined && note.drained === s.parkSeq) {
      s.waiters = false;
      s.wakeAt = null;
    }
  }

  /**
   * When the next wake should go out, or null: once the earliest parked delivery is due, and
   * then only when the gate would let something through. A wait for a slot has no time: the
   * report (or lease expiry) that frees one brings the wake. One wake is out at a time.
   */
  private wakeTime(s: GateState, now: number): number | null {
    if (!s.waiters || s.wakeAt === null || !s.endpointId) return null;
    let at = s.wakeAt;
    if (s.wakeSentAt !== null) at = Math.max(at, s.wakeSentAt + WAKE_STALE_MS);
    if (s.wakeFailedAt !== null) at = Math.max(at, s.wakeFailedAt + WAKE_RETRY_MS);
    if (s.pausedUntil !== null) at = Math.max(at, s.pausedUntil);
    const pass = canPass(s.breaker, Math.max(at, now), this.config().breaker);
    if (!pass.allowed) at = Math.max(at, pass.retryAt);
    else if (inFlight(s.leases, Math.max(at, now)) >= s.maxInFlight) return null;
    return at;
  }

  /**
   * Housekeeping: sends a due wake, frees expired leases, rolls samples older than a day into
   * hours and drops hours older than a week, re-arms itself.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const due = this.ctx.storage.kv.get<GateState>(STATE_KEY);
    const at = due ? this.wakeTime(due, now) : null;
    if (due?.endpointId && due.appId && at !== null && at <= now) {
      const { endpointId, appId } = due;
      due.wakeSentAt = now;
      due.alarmAt = null;
      this.save(due, now);
      try {
        await queueFor(this.env, endpointId).send(
          { kind: "wake", endpointId, appId },
          { contentType: "json" },
        );
      } catch (err) {
        // The parked deliveries stay parked; try again shortly (the sweeper is the backstop).
        const again = this.load(now);
        again.wakeSentAt = null;
        again.wakeFailedAt = now;
        this.save(again, now);
        console.log(JSON.stringify({ msg: "wake send failed", endpointId, error: String(err) }));
      }
    }
    const s = this.ctx.storage.kv.get<GateState>(STATE_KEY);
    if (!s) return;
    // The alarm that is running is spent; save() sets the next one.
    s.alarmAt = null;
    const expired = Object.entries(s.leases.leases)
      .filter(([, at]) => at <= now)
      .map(([id]) => id);
    s.leases = release(s.leases, expired);
    if (s.purgeAt !== null && s.purgeAt <= now) s.purgeAt = this.purge(now);
    this.save(s, now);
  }

  /**
   * Rolls minutes a day old into hours, drops hours a week old; answers when to purge next
   * (null once both tables are empty). The rollup is one statement per alarm, never per report.
   */
  private purge(now: number): number | null {
    const sql = this.ctx.storage.sql;
    const cutoff = minuteOf(now - DAY_MS);
    sql.exec(
      `INSERT INTO latency_hourly (hour, bucket, n, ok, sum_ms)
       SELECT minute / 60, bucket, SUM(n), SUM(ok), SUM(sum_ms) FROM latency
       WHERE minute <= ? GROUP BY minute / 60, bucket
       ON CONFLICT (hour, bucket) DO UPDATE SET
         n = n + excluded.n, ok = ok + excluded.ok, sum_ms = sum_ms + excluded.sum_ms`,
      cutoff,
    );
    sql.exec("DELETE FROM latency WHERE minute <= ?", cutoff);
    sql.exec(
      "DELETE FROM latency_hourly WHERE hour <= ?",
      Math.floor((now - HOURLY_KEEP_MS) / HOUR_MS),
    );
    const minutes = sql.exec<{ any: number }>("SELECT EXISTS (SELECT 1 FROM latency) AS any").one();
    if (minutes.any) return now + HOUR_MS;
    // Only hours left: nothing is due until the oldest ages out, so an idle endpoint's gate
    // wakes once a week at most, not every hour.
    const { oldest } = sql
      .exec<{ oldest: number | null }>("SELECT MIN(hour) AS oldest FROM latency_hourly")
      .one();
    return oldest === null ? null : (oldest + 1) * HOUR_MS + HOURLY_KEEP_MS;
  }

  private config(): { settings: Settings; breaker: BreakerConfig; leaseMs: number } {
    const s = settings(this.env);
    return {
      settings: s,
      breaker: {
        ...breakerConfig(s),
        failureRate: s.breakerFailureRate,
        windowMs: s.breakerWindowS * 1000,
        minRequests: s.breakerMinRequests,
      },
      leaseMs: s.requestTimeoutMs + LEASE_GRACE_MS,
    };
  }

  private load(now: number): GateState {
    const stored = this.ctx.storage.kv.get<GateState>(STATE_KEY);
    // State saved before the wake fields existed reads as having none.
    return stored
      ? { ...initialState(now, this.config().breaker), ...stored }
      : initialState(now, this.config().breaker);
  }

  /** Writes the state and moves the alarm to the earliest lease expiry or purge, if it changed. */
  private save(s: GateState, now: number): void {
    if (s.wakeFailedAt !== null && now - s.wakeFailedAt >= WAKE_RETRY_MS) s.wakeFailedAt = null;
    const times = [
      nextExpiry(s.leases, now),
      s.purgeAt ?? undefined,
      this.wakeTime(s, now) ?? undefined,
    ].filter((t): t is number => t !== undefined);
    const next = times.length > 0 ? Math.min(...times) : null;
    if (next !== s.alarmAt) {
      s.alarmAt = next;
      // Storage writes are held by the output gate until durable, so the caller never sees an
      // answer whose alarm was lost; waitUntil keeps the promise from floating.
      this.ctx.waitUntil(
        next === null ? this.ctx.storage.deleteAlarm() : this.ctx.storage.setAlarm(next),
      );
    }
    this.ctx.storage.kv.put(STATE_KEY, s);
  }

  /** A refused admit writes nothing, except changed limits, so health and wakes see them. */
  private rememberLimits(s: GateState, limits: GateLimits): void {
    const max = limits.fifo ? 1 : Math.max(1, Math.floor(limits.maxConcurrency));
    if (s.rateLimit === limits.rateLimit && s.maxInFlight === max) return;
    s.rateLimit = limits.rateLimit;
    s.maxInFlight = max;
    this.ctx.storage.kv.put(STATE_KEY, s);
  }

  private window(now: number, spanMs: number): GateWindow {
    const cells = this.ctx.storage.sql
      .exec<{ bucket: number; n: number; ok: number; sum_ms: number }>(
        `SELECT bucket, SUM(n) AS n, SUM(ok) AS ok, SUM(sum_ms) AS sum_ms
         FROM latency WHERE minute > ? GROUP BY bucket`,
        minuteOf(now - spanMs),
      )
      .toArray()
      .map((r): Cell => ({ bucket: r.bucket, n: r.n, ok: r.ok, sumMs: r.sum_ms }));
    return summarize(cells);
  }
}

function initialState(now: number, cfg: BreakerConfig): GateState {
  return {
    createdAt: now,
    breaker: initialBreaker(cfg),
    leases: initialLeases(),
    pacer: initialPacer(),
    probeLease: null,
    pausedUntil: null,
    lastSuccessAt: null,
    reported: false,
    firstFailureAt: null,
    failuresSinceSuccess: 0,
    disableAskedAt: null,
    rateLimit: null,
    purgeAt: null,
    alarmAt: null,
    endpointId: null,
    appId: null,
    waiters: false,
    parkSeq: 0,
    wakeAt: null,
    wakeSentAt: null,
    wakeFailedAt: null,
    maxInFlight: DEFAULT_MAX_IN_FLIGHT,
  };
}

/** In-flight cap assumed before the first admit says otherwise (the endpoint default). */
const DEFAULT_MAX_IN_FLIGHT = 10;

/** The auto-disable reason, if the endpoint has gone long enough without a success. */
function disableReason(s: GateState, now: number, cfg: Settings): string | undefined {
  // Never succeeded: count from the gate's creation, so an endpoint that never worked is not
  // spared because its first failure was recent.
  const since = s.lastSuccessAt === null ? s.createdAt : s.firstFailureAt;
  if (since === null) return undefined;
  const span = now - since;
  if (span < cfg.disableAfterS * 1000 || s.failuresSinceSuccess < cfg.disableMinFailures) {
    return undefined;
  }
  return `No successful delivery for ${duration(span)} and ${s.failuresSinceSuccess} failures.`;
}

/** "5 days", "3 hours", "10 minutes": the largest whole unit, for the reason text. */
function duration(ms: number): string {
  const units: Array<[string, number]> = [
    ["day", DAY_MS],
    ["hour", HOUR_MS],
    ["minute", MINUTE_MS],
    ["second", 1000],
  ];
  for (const [name, size] of units) {
    const count = Math.floor(ms / size);
    if (count >= 1) return `${count} ${name}${count === 1 ? "" : "s"}`;
  }
  return "0 seconds";
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function newLeaseId(): string {
  return `lease_${crypto.randomUUID()}`;
}
