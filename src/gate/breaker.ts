/**
 * Circuit breaker for one endpoint, as pure functions over a JSON-serialisable state so the
 * EndpointGate can keep it in Durable Object storage. Time is always passed in (`now`, ms).
 *
 * closed --(N consecutive failures, or too high a failure rate)--> open
 * open --(cool-down elapsed, next request)--> half-open, that request is the one probe
 * half-open --probe succeeds--> closed, cool-down back to its first value (a success reported
 *   while open, from a request sent before it opened, changes nothing)
 * half-open --probe fails--> open again, cool-down doubled up to its cap
 */
import type { Settings } from "../config";

export interface BreakerConfig {
  /** Consecutive failures that open a closed breaker. */
  failureThreshold: number;
  /** First cool-down after opening. */
  cooldownMs: number;
  /** Cap of the doubling cool-down. */
  cooldownMaxMs: number;
  /** Length of the tumbling window over which the failure rate is measured. */
  windowMs: number;
  /** Fewest outcomes in the window before the failure rate may open the breaker. */
  minRequests: number;
  /** Failure share (0..1) above which the breaker opens. */
  failureRate: number;
  /** A probe that has not reported after this long is presumed lost and another may go. */
  probeTimeoutMs: number;
}

export type BreakerPhase = "closed" | "open" | "half-open";

export interface BreakerState {
  state: BreakerPhase;
  consecutiveFailures: number;
  openedAt?: number;
  openUntil?: number;
  /** The cool-down the next re-opening starts from; doubles on each failed probe. */
  cooldownMs: number;
  probeInFlight: boolean;
  /** When the probe in flight was let through. */
  probeAt?: number;
  window: { start: number; successes: number; failures: number };
}

export type PassDecision =
  | { allowed: true; probe: boolean; state: BreakerState }
  | { allowed: false; retryAt: number; state: BreakerState };

export const DEFAULT_BREAKER: BreakerConfig = {
  failureThreshold: 5,
  cooldownMs: 30_000,
  cooldownMaxMs: 600_000,
  windowMs: 60_000,
  minRequests: 20,
  failureRate: 0.5,
  probeTimeoutMs: 60_000,
};

// Short because the probe usually answers within one request timeout; the caller re-asks then.
const PROBE_WAIT_MS = 1000;

/** Breaker config from the Worker settings (seconds there, milliseconds here). */
export function breakerConfig(
  s: Pick<
    Settings,
    "breakerFailures" | "breakerCooldownS" | "breakerCooldownMaxS" | "requestTimeoutMs"
  >,
): BreakerConfig {
  return {
    ...DEFAULT_BREAKER,
    failureThreshold: s.breakerFailures,
    cooldownMs: s.breakerCooldownS * 1000,
    cooldownMaxMs: Math.max(s.breakerCooldownMaxS, s.breakerCooldownS) * 1000,
    // A probe reports within its own timeout unless its consumer died; allow twice that.
    probeTimeoutMs: Math.max(2 * s.requestTimeoutMs, PROBE_WAIT_MS),
  };
}

/** A closed breaker with no history. */
export function initialBreaker(cfg: BreakerConfig = DEFAULT_BREAKER): BreakerState {
  return {
    state: "closed",
    consecutiveFailures: 0,
    cooldownMs: cfg.cooldownMs,
    probeInFlight: false,
    window: { start: 0, successes: 0, failures: 0 },
  };
}

/** A fresh closed breaker, for an endpoint that was re-enabled. */
export function reset(cfg: BreakerConfig = DEFAULT_BREAKER): BreakerState {
  return initialBreaker(cfg);
}

/** Whether a request may go now; half-open lets exactly one probe through at a time. */
export function canPass(
  s: BreakerState,
  now: number,
  cfg: BreakerConfig = DEFAULT_BREAKER,
): PassDecision {
  switch (s.state) {
    case "closed":
      return { allowed: true, probe: false, state: s };
    case "open": {
      const openUntil = s.openUntil ?? now;
      if (now < openUntil) return { allowed: false, retryAt: openUntil, state: s };
      return { allowed: true, probe: true, state: probing(s, now) };
    }
    case "half-open": {
      // A probe whose consumer crashed never reports; without a timeout the endpoint would
      // stay half-open forever.
      const lost = s.probeAt === undefined || now - s.probeAt >= cfg.probeTimeoutMs;
      if (s.probeInFlight && !lost) {
        return { allowed: false, retryAt: now + PROBE_WAIT_MS, state: s };
      }
      return { allowed: true, probe: true, state: probing(s, now) };
    }
  }
}

/**
 * Records a success. Closed stays closed; half-open closes (the cool-down is over and the
 * endpoint answers). While open, a success can only be a request sent before the breaker
 * opened: it does not cut the cool-down short, or an endpoint failing most of its requests
 * would flap shut on every stray success; the probe decides.
 */
export function onSuccess(
  s: BreakerState,
  now: number,
  cfg: BreakerConfig = DEFAULT_BREAKER,
): BreakerState {
  if (s.state === "open") return s;
  // Failures counted before a recovery say nothing about the endpoint now.
  const window =
    s.state === "closed"
      ? tally(rolled(s.window, now, cfg), "successes")
      : { start: now, successes: 1, failures: 0 };
  return {
    state: "closed",
    consecutiveFailures: 0,
    cooldownMs: cfg.cooldownMs,
    probeInFlight: false,
    window,
  };
}

/** Records a failure: may open a closed breaker, and re-opens a half-open one for longer. */
export function onFailure(
  s: BreakerState,
  now: number,
  cfg: BreakerConfig = DEFAULT_BREAKER,
): BreakerState {
  const consecutiveFailures = s.consecutiveFailures + 1;
  switch (s.state) {
    case "closed": {
      const window = tally(rolled(s.window, now, cfg), "failures");
      const total = window.successes + window.failures;
      const tooMany = consecutiveFailures >= cfg.failureThreshold;
      const tooOften = total >= cfg.minRequests && window.failures / total > cfg.failureRate;
      const next = { ...s, consecutiveFailures, window };
      return tooMany || tooOften ? opened(next, now, cfg.cooldownMs) : next;
    }
    case "half-open":
      return opened(
        { ...s, consecutiveFailures },
        now,
        Math.min(s.cooldownMs * 2, cfg.cooldownMaxMs),
      );
    case "open":
      // A request let through before the breaker opened; it must not push the cool-down out.
      return { ...s, consecutiveFailures };
  }
}

function opened(s: BreakerState, now: number, cooldownMs: number): BreakerState {
  const { probeAt: _, ...rest } = s;
  return {
    ...rest,
    state: "open",
    openedAt: now,
    openUntil: now + cooldownMs,
    cooldownMs,
    probeInFlight: false,
  };
}

function probing(s: BreakerState, now: number): BreakerState {
  return { ...s, state: "half-open", probeInFlight: true, probeAt: now };
}

function rolled(w: BreakerState["window"], now: number, cfg: BreakerConfig) {
  return now - w.start >= cfg.windowMs ? { start: now, successes: 0, failures: 0 } : w;
}

function tally(w: BreakerState["window"], key: "successes" | "failures") {
  return { ...w, [key]: w[key] + 1 };
}
