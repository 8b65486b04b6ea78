/**
 * Circuit breaker for one endpoint, as pure functions over a JSON-serialisable state so the
 * EndpointGate can keep it in Durable Object storage. Time is always passed in (`now`, ms).
 *
 * It opens when an endpoint is down, not merely flaky. Two rules, over a sliding window:
 * - a run of failures opens it once the run is too long to be chance for this endpoint:
 *   `failureThreshold` in a row when the window shows no success, or no failure before the
 *   run (a new endpoint that never answered, or a working one that just went down); longer
 *   when it was already failing a share of its requests (16 in a row at 40% failing), so a
 *   flaky endpoint's ordinary runs do not trip it;
 * - a failure share above `failureRate` of at least `minRequests` outcomes opens it, which
 *   also bounds how long a run the first rule can ask for.
 *
 * closed --(a run of failures too long for chance, or a failure share that means down)--> open
 * open --(cool-down elapsed, next request)--> half-open, that request is the one probe
 * half-open --probe succeeds--> closed, cool-down back to its first value (a success reported
 *   while open, from a request sent before it opened, changes nothing)
 * half-open --probe fails--> open again, cool-down doubled up to its cap
 */
import type { Settings } from "../config";

export interface BreakerConfig {
  /**
   * Consecutive failures that open a closed breaker with nothing in its window to say the
   * endpoint works; an endpoint already failing part of its requests needs a longer run.
   */
  failureThreshold: number;
  /** First cool-down after opening. */
  cooldownMs: number;
  /** Cap of the doubling cool-down. */
  cooldownMaxMs: number;
  /** Length of the sliding window over which the failure rate is measured. */
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
  /**
   * Outcomes in two buckets of `windowMs`: the current one, from `start`, and the one before,
   * which counts for the part of it still inside the last `windowMs`, so the rate slides
   * instead of dropping to nothing at a bucket's edge.
   */
  window: {
    start: number;
    successes: number;
    failures: number;
    /** The bucket before; absent in states stored before the window slid. */
    prevSuccesses?: number;
    prevFailures?: number;
  };
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
  // Down, not flaky: a 40%-failing endpoint shows more than 75% failures in 3 of 10,000
  // windows of 20 requests and in 2 of a million of 40, and practically never at volume
  // (hundreds a window). An endpoint failing everything opens on its run of failures
  // within `failureThreshold` requests, long before a rate can be judged.
  failureRate: 0.75,
  probeTimeoutMs: 60_000,
};

// Short because the probe usually answers within one request timeout; the caller re-asks then.
const PROBE_WAIT_MS = 1000;
/**
 * A run of failures opens the breaker once the endpoint's own recent failure share would
 * produce it by chance less than once in a million tries: 16 in a row at 40% failing, 9 at
 * 20%, `failureThreshold` at 5%. Waiting for the longer run costs a few more failed requests
 * to an endpoint that was failing that often anyway, and the rate rule caps it.
 */
const RUN_BY_CHANCE = 1e-6;

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
    window: emptyWindow(0),
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
      : { ...emptyWindow(now), successes: 1 };
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
      const { successes, failures } = counts(window, now, cfg);
      const total = successes + failures;
      const tooLong =
        consecutiveFailures >= runToOpen(successes, failures, consecutiveFailures, cfg);
      const tooOften = total >= cfg.minRequests && failures / total > cfg.failureRate;
      const next = { ...s, consecutiveFailures, window };
      return tooLong || tooOften ? opened(next, now, cfg.cooldownMs) : next;
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

/**
 * How many more failures in a row would open the breaker: 0 while open, 1 for the probe,
 * at least 1 while closed. The gate can stop sending a batch once they are spent.
 */
export function failuresToOpen(
  s: BreakerState,
  now: number,
  cfg: BreakerConfig = DEFAULT_BREAKER,
): number {
  if (s.state === "open") return 0;
  if (s.state === "half-open") return 1;
  const { successes, failures } = counts(rolled(s.window, now, cfg), now, cfg);
  const run = runToOpen(successes, failures, s.consecutiveFailures, cfg) - s.consecutiveFailures;
  // The smallest x with (failures + x) / (total + x) > failureRate, once enough requests.
  const total = successes + failures;
  const rate =
    cfg.failureRate >= 1
      ? Number.POSITIVE_INFINITY
      : Math.max(
          cfg.minRequests - total,
          Math.floor((cfg.failureRate * total - failures) / (1 - cfg.failureRate)) + 1,
        );
  return Math.max(1, Math.ceil(Math.min(run, rate)));
}

/**
 * Failures in a row that open a closed breaker, judged by the window's outcomes before the
 * current run: a run that long comes by chance less often than `RUN_BY_CHANCE` at the
 * failure share the endpoint showed before it, and never fewer than `failureThreshold`.
 */
function runToOpen(successes: number, failures: number, run: number, cfg: BreakerConfig) {
  const earlierFailures = Math.max(0, failures - run);
  // No success: nothing says the endpoint works. No failure before the run: nothing says it
  // fails this often anyway, as a flaky one does.
  if (successes === 0 || earlierFailures === 0) return cfg.failureThreshold;
  const share = earlierFailures / (successes + earlierFailures);
  return Math.max(cfg.failureThreshold, Math.ceil(Math.log(RUN_BY_CHANCE) / Math.log(share)));
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

type Window = BreakerState["window"];

function emptyWindow(start: number): Window {
  return { start, successes: 0, failures: 0, prevSuccesses: 0, prevFailures: 0 };
}

/** Moves the buckets on so that the current one holds `now`. */
function rolled(w: Window, now: number, cfg: BreakerConfig): Window {
  const elapsed = now - w.start;
  if (elapsed < cfg.windowMs) return w;
  if (elapsed >= 2 * cfg.windowMs) return emptyWindow(now);
  return {
    start: w.start + cfg.windowMs,
    successes: 0,
    failures: 0,
    prevSuccesses: w.successes,
    prevFailures: w.failures,
  };
}

/** Outcomes over the last `windowMs`, the bucket before weighted by its overlap. */
function counts(w: Window, now: number, cfg: BreakerConfig) {
  const weight = Math.min(1, Math.max(0, 1 - (now - w.start) / cfg.windowMs));
  return {
    successes: w.successes + (w.prevSuccesses ?? 0) * weight,
    failures: w.failures + (w.prevFailures ?? 0) * weight,
  };
}

function tally(w: Window, key: "successes" | "failures"): Window {
  return { ...w, [key]: w[key] + 1 };
}
