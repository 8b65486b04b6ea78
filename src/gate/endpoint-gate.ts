import { DurableObject } from "cloudflare:workers";
import { settings } from "../config";
import { queueFor } from "../lib/topology";
import { canPass, failuresToOpen, onFailure, onSuccess } from "./breaker";
import { Histograms } from "./histograms";
import { acquire, inFlight, nextExpiry, release } from "./leases";
import { available, pace } from "./pacer";
import { SERIES_WINDOWS, type SeriesWindow, seriesRange } from "./series";
import { disableReason, type GateConfig, type GateState, gateConfig, initialState } from "./state";
import type {
  AdmitResult,
  BacklogNote,
  GateHealth,
  GateLimits,
  GateOutcome,
  GateSeries,
  ReportResult,
} from "./types";

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
  private readonly histograms: Histograms;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.histograms = new Histograms(ctx.storage.sql);
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

    const added = this.histograms.add(outcomes, now);
    // New minutes are due for the purge within the hour, even if only hours were waiting.
    if (added) s.purgeAt = Math.min(s.purgeAt ?? Number.POSITIVE_INFINITY, now + HOUR_MS);

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
      lastHour: this.histograms.summary(now, HOUR_MS),
      lastDay: this.histograms.summary(now, DAY_MS),
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
    const cells = this.histograms.series(range.from, range.stepMs);
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
    this.histograms.clear();
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
    if (s.purgeAt !== null && s.purgeAt <= now) s.purgeAt = this.histograms.purge(now);
    this.save(s, now);
  }

  private config(): GateConfig {
    return gateConfig(settings(this.env), LEASE_GRACE_MS);
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
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function newLeaseId(): string {
  return `lease_${crypto.randomUUID()}`;
}
