/**
 * What an endpoint gate keeps between calls, and the pure rules read from it alone (the
 * auto-disable reason).
 */
import type { Settings } from "../config";
import { type BreakerConfig, type BreakerState, breakerConfig, initialBreaker } from "./breaker";
import { MINUTE_MS } from "./latency";
import { initialLeases, type LeaseState } from "./leases";
import { initialPacer, type PacerState } from "./pacer";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Everything the gate remembers except latency samples, kept as one synchronous-KV value so
 * each RPC method reads, decides and writes with no await in between: the Durable Object's
 * input gate then makes every call atomic.
 */
export interface GateState {
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

/** The state of a gate that has seen nothing yet (or was reset). */
export function initialState(now: number, cfg: BreakerConfig): GateState {
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
export function disableReason(s: GateState, now: number, cfg: Settings): string | undefined {
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

/** What a gate reads from the settings: the breaker's rules and how long a lease lives. */
export interface GateConfig {
  settings: Settings;
  breaker: BreakerConfig;
  leaseMs: number;
}

/** The gate's configuration from the settings; a lease outlives its request by `leaseGraceMs`. */
export function gateConfig(s: Settings, leaseGraceMs: number): GateConfig {
  return {
    settings: s,
    breaker: {
      ...breakerConfig(s),
      failureRate: s.breakerFailureRate,
      windowMs: s.breakerWindowS * 1000,
      minRequests: s.breakerMinRequests,
    },
    leaseMs: s.requestTimeoutMs + leaseGraceMs,
  };
}
