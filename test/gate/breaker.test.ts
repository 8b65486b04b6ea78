import { describe, expect, it } from "vitest";
import {
  type BreakerConfig,
  type BreakerState,
  breakerConfig,
  canPass,
  DEFAULT_BREAKER,
  failuresToOpen,
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

function succeed(s: BreakerState, times: number, now: number, c: BreakerConfig = cfg) {
  let next = s;
  for (let i = 0; i < times; i++) next = onSuccess(next, now, c);
  return next;
}

/** Opened at t=1000 by five failures. */
const opened = () => fail(initialBreaker(), 5, 1000);

/** Far enough from 0 that the first outcome starts a fresh window bucket. */
const T = 1_000_000;

/** Freezes every object inside `value` too, so a mutation anywhere in it throws. */
function deepFreeze<V>(value: V): V {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** mulberry32: a small seeded PRNG, so every simulated run is the same on every machine. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Run {
  /** Indexes of the offered requests the breaker let through. */
  sent: number[];
  /** Index of the offered request whose outcome first opened the breaker, if one did. */
  firstOpenAt: number | null;
}

/**
 * Offers `n` requests, `perSecond` of them per second of simulated time, and uses the breaker
 * the way the gate does: a refused request is not sent, a sent one reports its outcome (here
 * before the next is offered).
 */
function simulate(
  n: number,
  perSecond: number,
  succeeds: (i: number) => boolean,
  c: BreakerConfig = cfg,
): Run {
  let s = initialBreaker(c);
  const sent: number[] = [];
  let firstOpenAt: number | null = null;
  for (let i = 0; i < n; i++) {
    const now = T + Math.floor((i * 1000) / perSecond);
    const pass = canPass(s, now, c);
    if (!pass.allowed) continue;
    sent.push(i);
    s = succeeds(i) ? onSuccess(pass.state, now, c) : onFailure(pass.state, now, c);
    if (s.state === "open" && firstOpenAt === null) firstOpenAt = i;
  }
  return { sent, firstOpenAt };
}

/**
 * Most requests a dead endpoint may receive over `durationMs`: the failures that open the
 * breaker, then one probe per cool-down, each cool-down doubled up to its cap. Counting the
 * cool-downs from the very start over-counts, so this is an upper bound.
 */
function deadBound(durationMs: number, c: BreakerConfig): number {
  let probes = 0;
  let at = 0;
  let cooldown = c.cooldownMs;
  while (at + cooldown <= durationMs) {
    at += cooldown;
    probes += 1;
    cooldown = Math.min(cooldown * 2, c.cooldownMaxMs);
  }
  return c.failureThreshold + probes;
}

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

  it("opens when more than three quarters of at least twenty requests in the window failed", () => {
    // One success then three failures, five times: never five in a row, 15 failures of 20.
    let s = initialBreaker();
    for (let i = 0; i < 5; i++) s = fail(onSuccess(s, 1000 + i), 3, 1000 + i);
    expect(s.state).toBe("closed");
    s = onFailure(s, 1100);
    expect(s).toMatchObject({ state: "open", openedAt: 1100, openUntil: 31_100 });
  });

  it("stays closed for an endpoint failing 40% of its requests in runs longer than five", () => {
    // Sixteen requests, one in four failing, never two in a row: now it is known to fail.
    let s = initialBreaker();
    for (let i = 0; i < 4; i++) s = succeed(onFailure(succeed(s, 2, T + i), T + i), 2, T + i);
    // Then 3,000 over 200 s (past three bucket edges): six failures, nine successes, and again.
    for (let i = 0; i < 200; i++) s = succeed(fail(s, 6, T + 1000 * i), 9, T + 1000 * i);
    expect(s.state).toBe("closed");
  });

  it("needs a longer run to open when the endpoint was already failing often: 16 at 40%", () => {
    // Two failures then three successes, twelve times: 24 failures of 60, ending on a success.
    let s = initialBreaker();
    for (let i = 0; i < 12; i++) s = succeed(fail(s, 2, T + i), 3, T + i);
    expect(failuresToOpen(s, T + 100)).toBe(16);
    s = fail(s, 15, T + 100);
    expect(s).toMatchObject({ state: "closed", consecutiveFailures: 15 });
    expect(onFailure(s, T + 100)).toMatchObject({ state: "open", consecutiveFailures: 16 });
  });

  it("asks for no longer a run than the rate rule allows", () => {
    // Two failures of four: a run of 20 would be needed, but 16 more make 18 of 20, over 3/4.
    const s = succeed(onFailure(succeed(onFailure(initialBreaker(), T), 1, T), T), 1, T);
    expect(failuresToOpen(s, T)).toBe(16);
    expect(fail(s, 15, T).state).toBe("closed");
    expect(fail(s, 16, T).state).toBe("open");
  });

  it("opens after five in a row when the window showed (almost) no failures before them", () => {
    const healthy = succeed(initialBreaker(), 100, T);
    expect(fail(healthy, 4, T + 1).state).toBe("closed");
    expect(fail(healthy, 5, T + 1).state).toBe("open");
    // One failure in twenty before: five in a row by chance is a one-in-3.2-million event.
    let mostly = initialBreaker();
    for (let i = 0; i < 5; i++) mostly = succeed(onFailure(mostly, T + i), 19, T + i);
    expect(fail(mostly, 5, T + 10).state).toBe("open");
  });

  it("ignores the failure rate below the minimum number of requests", () => {
    const c = { ...cfg, failureThreshold: 100 };
    let s = initialBreaker(c);
    s = onSuccess(s, 1000, c);
    s = fail(s, 18, 1000, c); // 18 of 19 failed, but only 19 requests
    expect(s.state).toBe("closed");
    expect(onFailure(s, 1000, c).state).toBe("open");
  });

  it("keeps the failure rate across a bucket edge and lets it fade over the next window", () => {
    const c = { ...cfg, failureThreshold: 100 };
    const s = fail(onSuccess(initialBreaker(c), T, c), 18, T, c);
    // Just past the edge the earlier bucket still counts in full: 19 failures of 20.
    expect(onFailure(s, T + c.windowMs, c).state).toBe("open");
    // Half-way through the next one it counts for half: 10.5 outcomes, too few to judge.
    const halfway = onFailure(s, T + 1.5 * c.windowMs, c);
    expect(halfway.state).toBe("closed");
    expect(halfway.window).toEqual({
      start: T + c.windowMs,
      successes: 0,
      failures: 1,
      prevSuccesses: 1,
      prevFailures: 18,
    });
    // Two windows on, nothing of it is left.
    expect(onFailure(s, T + 2 * c.windowMs, c).window).toEqual({
      start: T + 2 * c.windowMs,
      successes: 0,
      failures: 1,
      prevSuccesses: 0,
      prevFailures: 0,
    });
  });

  it("reads a window stored before it slid (no previous bucket)", () => {
    const c = { ...cfg, failureThreshold: 100 };
    const old: BreakerState = {
      ...initialBreaker(c),
      window: { start: T, successes: 1, failures: 18 },
    };
    expect(onFailure(old, T + 1, c).state).toBe("open");
    expect(onFailure(old, T + c.windowMs, c).state).toBe("open");
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
      window: { start: 91_200, successes: 1, failures: 0, prevSuccesses: 0, prevFailures: 0 },
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

  it("never mutates the state it is given, nested window included", () => {
    const closed = deepFreeze(succeed(fail(initialBreaker(), 3, 1000), 2, 1000));
    expect(() => {
      (closed.window as { failures: number }).failures = 0;
    }).toThrow(TypeError);
    const open = deepFreeze(opened());
    const halfOpen = deepFreeze(pass(opened(), 31_000).state);
    for (const s of [closed, open, halfOpen]) {
      const before = structuredClone(s);
      // Within the window, across its edge, and past two windows.
      for (const now of [31_000, 31_000 + cfg.windowMs, 31_000 + 3 * cfg.windowMs]) {
        expect(() => {
          canPass(s, now);
          onSuccess(s, now);
          onFailure(s, now);
          fail(s, 10, now);
          failuresToOpen(s, now);
        }).not.toThrow();
      }
      expect(s).toEqual(before);
    }
  });

  it("tells how many more failures in a row would open it", () => {
    expect(failuresToOpen(initialBreaker(), 1000)).toBe(5);
    expect(failuresToOpen(fail(initialBreaker(), 2, 1000), 1000)).toBe(3);
    expect(failuresToOpen(opened(), 2000)).toBe(0);
    expect(failuresToOpen(pass(opened(), 31_000).state, 31_000)).toBe(1);
    // 15 failures of 20: one more crosses the rate before the run of three reaches five.
    let s = initialBreaker();
    for (let i = 0; i < 5; i++) s = fail(onSuccess(s, 1000 + i), 3, 1000 + i);
    expect(failuresToOpen(s, 1100)).toBe(1);
    // Whatever it answers, that many failures open it and one fewer does not.
    const states = [initialBreaker(), succeed(initialBreaker(), 100, T), s];
    for (const state of states) {
      const k = failuresToOpen(state, T + 10);
      expect(fail(state, k - 1, T + 10).state).toBe("closed");
      expect(fail(state, k, T + 10).state).toBe("open");
    }
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

describe("breaker under simulated traffic (50 requests/s offered)", () => {
  const N = 5000;
  const PER_SECOND = 50;

  // Measured: each of these seeds keeps all 5,000 requests (the breaker never opens). Over
  // seeds 1 to 1,000, 983 never open and 990 keep at least half; the other ten opened on
  // five failures in a row within their first nine requests, which the rule must take for a
  // new endpoint that never worked, or one that just went down.
  it.each([1, 7, 42, 2024, 31_337])(
    "lets a 60 percent successful endpoint keep at least half its traffic (seed %i)",
    (seed) => {
      const random = mulberry32(seed);
      const run = simulate(N, PER_SECOND, () => random() < 0.6);
      expect(run.sent.length / N).toBeGreaterThanOrEqual(0.5);
    },
  );

  it.each([
    { n: N, perSecond: PER_SECOND },
    { n: 50_000, perSecond: 5 },
  ])(
    "holds a dead endpoint to the failures that open it and one probe per cool-down ($n at $perSecond/s)",
    ({ n, perSecond }) => {
      const run = simulate(n, perSecond, () => false);
      const bound = deadBound((n * 1000) / perSecond, cfg);
      expect(run.firstOpenAt).toBe(cfg.failureThreshold - 1);
      expect(run.sent.length).toBeGreaterThan(cfg.failureThreshold);
      expect(run.sent.length).toBeLessThanOrEqual(bound);
    },
  );

  it.each([
    { after: "a few successes", downAt: 10, healthy: () => true },
    { after: "a full window of successes", downAt: 4321, healthy: () => true },
    { after: "a window failing 1 in 20", downAt: 2500, healthy: (i: number) => i % 20 !== 7 },
  ])(
    "opens within BREAKER_FAILURES failures of an endpoint going down after $after",
    ({ downAt, healthy }) => {
      const run = simulate(N, PER_SECOND, (i) => i < downAt && healthy(i));
      expect(run.firstOpenAt).not.toBeNull();
      const failedAfterDown = run.sent.filter((i) => i >= downAt && i <= (run.firstOpenAt ?? N));
      expect(failedAfterDown.length).toBeLessThanOrEqual(cfg.failureThreshold);
    },
  );
});
