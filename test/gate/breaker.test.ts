import { describe, expect, it } from "vitest";
import {
  type BreakerConfig,
  type BreakerState,
  breakerConfig,
  canPass,
  DEFAULT_BREAKER,
  initialBreaker,
  onFailure,
  onSuccess,
  reset,
} from "../../src/gate/breaker";

const cfg = DEFAULT_BREAKER;

function fail(s: BreakerState, times: number, now: number, c: BreakerConfig = cfg): BreakerState {
  let next = s;
  for (let i = 0; i < times; i++) next = onFailure(next, now, c);
  return next;
}

function pass(s: BreakerState, now: number) {
  const decision = canPass(s, now, cfg);
  if (!decision.allowed) throw new Error(`refused until ${decision.retryAt}`);
  return decision;
}

/** Opened at t=1000 by five failures. */
const opened = () => fail(initialBreaker(), 5, 1000);

describe("breaker", () => {
  it("lets every request through while closed", () => {
    expect(canPass(initialBreaker(), 0)).toEqual({
      allowed: true,
      probe: false,
      state: initialBreaker(),
    });
  });

  it("stays closed after four consecutive failures", () => {
    const s = fail(initialBreaker(), 4, 1000);
    expect(s.state).toBe("closed");
    expect(s.consecutiveFailures).toBe(4);
  });

  it("opens after five consecutive failures", () => {
    const s = opened();
    expect(s).toMatchObject({
      state: "open",
      openedAt: 1000,
      openUntil: 31_000,
      cooldownMs: 30_000,
    });
  });

  it("counts only consecutive failures: a success in between starts over", () => {
    const s = fail(onSuccess(fail(initialBreaker(), 4, 1000), 1000), 4, 1000);
    expect(s.state).toBe("closed");
  });

  it("opens when more than half of at least twenty requests in the window failed", () => {
    // Alternate so the consecutive count never reaches five: 11 failures, 9 successes.
    let s = initialBreaker();
    for (let i = 0; i < 9; i++) s = onFailure(onSuccess(s, 1000 + i), 1000 + i);
    expect(s.state).toBe("closed");
    s = onFailure(s, 1100);
    expect(s.state).toBe("closed");
    s = onFailure(s, 1101);
    expect(s).toMatchObject({ state: "open", openedAt: 1101, openUntil: 31_101 });
  });

  it("ignores the failure rate below the minimum number of requests", () => {
    const c = { ...cfg, failureThreshold: 100 };
    let s = initialBreaker(c);
    s = onSuccess(s, 1000, c);
    s = fail(s, 18, 1000, c); // 18 of 19 failed, but only 19 requests
    expect(s.state).toBe("closed");
    expect(onFailure(s, 1000, c).state).toBe("open");
  });

  it("forgets the failure rate of a window that has ended", () => {
    const c = { ...cfg, failureThreshold: 100 };
    const s = fail(onSuccess(initialBreaker(c), 1000, c), 18, 1000, c);
    const later = onFailure(s, 1000 + c.windowMs, c);
    expect(later.state).toBe("closed");
    expect(later.window).toEqual({ start: 61_000, successes: 0, failures: 1 });
  });

  it("refuses until the cool-down has passed, retrying at its end", () => {
    const s = opened();
    expect(canPass(s, 1000)).toEqual({ allowed: false, retryAt: 31_000, state: s });
    expect(canPass(s, 30_999)).toEqual({ allowed: false, retryAt: 31_000, state: s });
  });

  it("lets exactly one probe through once the cool-down is over", () => {
    const probe = pass(opened(), 31_000);
    expect(probe.probe).toBe(true);
    expect(probe.state).toMatchObject({ state: "half-open", probeInFlight: true });
    const second = canPass(probe.state, 31_500);
    expect(second).toEqual({ allowed: false, retryAt: 32_500, state: probe.state });
  });

  it("lets another probe through when the first never reported", () => {
    const probe = pass(opened(), 31_000);
    const again = pass(probe.state, 31_000 + cfg.probeTimeoutMs);
    expect(again.probe).toBe(true);
    expect(again.state.probeAt).toBe(31_000 + cfg.probeTimeoutMs);
  });

  it("closes on a successful probe and resets the cool-down", () => {
    const doubled = onFailure(pass(opened(), 31_000).state, 31_100); // cool-down now 60 s
    const s = onSuccess(pass(doubled, 91_100).state, 91_200);
    expect(s).toEqual({
      state: "closed",
      consecutiveFailures: 0,
      cooldownMs: 30_000,
      probeInFlight: false,
      window: { start: 91_200, successes: 1, failures: 0 },
    });
    expect(fail(s, 5, 92_000)).toMatchObject({ state: "open", openUntil: 122_000 });
  });

  it("stays open on a success of a request sent before it opened: the probe decides", () => {
    const s = onSuccess(opened(), 2000);
    expect(s).toEqual(opened());
    expect(canPass(s, 2001)).toEqual({ allowed: false, retryAt: 31_000, state: s });
  });

  it("closes on a success of a non-probe request while half-open", () => {
    const halfOpen = pass(opened(), 31_000).state;
    const s = onSuccess(halfOpen, 31_050);
    expect(s).toMatchObject({ state: "closed", probeInFlight: false, cooldownMs: 30_000 });
  });

  it("re-opens on a failed probe with the cool-down doubled", () => {
    const s = onFailure(pass(opened(), 31_000).state, 31_100);
    expect(s).toMatchObject({
      state: "open",
      openedAt: 31_100,
      openUntil: 91_100,
      cooldownMs: 60_000,
      probeInFlight: false,
    });
  });

  it("doubles the cool-down on each failed probe up to its cap", () => {
    let s = opened();
    const cooldowns: number[] = [];
    for (let i = 0; i < 7; i++) {
      const at = s.openUntil ?? 0;
      s = onFailure(pass(s, at).state, at);
      cooldowns.push(s.cooldownMs);
    }
    expect(cooldowns).toEqual([60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000]);
  });

  it("does not push the cool-down out for failures of requests sent before it opened", () => {
    const s = onFailure(opened(), 5000);
    expect(s).toMatchObject({ state: "open", openUntil: 31_000, consecutiveFailures: 6 });
  });

  it("starts closed again with the first cool-down after a reset", () => {
    const s = onFailure(pass(opened(), 31_000).state, 31_100);
    expect(reset()).toEqual(initialBreaker());
    expect(reset().cooldownMs).toBe(30_000);
    expect(s.cooldownMs).toBe(60_000);
  });

  it("survives a JSON round trip through storage", () => {
    const s = pass(opened(), 31_000).state;
    const stored: BreakerState = JSON.parse(JSON.stringify(s));
    expect(canPass(stored, 31_500)).toEqual(canPass(s, 31_500));
    expect(onFailure(stored, 31_600)).toEqual(onFailure(s, 31_600));
  });

  it("never mutates the state it is given", () => {
    const s = Object.freeze(opened());
    expect(() => onFailure(pass(s, 31_000).state, 31_100)).not.toThrow();
    expect(s.state).toBe("open");
  });

  it("reads its thresholds from the Worker settings", () => {
    const c = breakerConfig({
      breakerFailures: 3,
      breakerCooldownS: 2,
      breakerCooldownMaxS: 8,
      requestTimeoutMs: 1000,
    });
    expect(c).toMatchObject({ failureThreshold: 3, cooldownMs: 2000, cooldownMaxMs: 8000 });
    expect(fail(initialBreaker(c), 3, 0, c)).toMatchObject({ state: "open", openUntil: 2000 });
  });
});
