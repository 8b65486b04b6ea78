import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { available, initialPacer, pace } from "../../src/gate/pacer";

/** Most send times in any half-open window [t, t + 1000). */
function densest(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] ?? 0) - (sorted[lo] ?? 0) >= 1000) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe("pacer", () => {
  it("spaces grants (1000 + 20)/rate ms apart, at most one second ahead", () => {
    const r = pace(initialPacer(), 10_000, 20, 50);
    expect(r.times).toHaveLength(20);
    expect(r.times[0]).toBe(10_000);
    expect((r.times[1] ?? 0) - (r.times[0] ?? 0)).toBeCloseTo(51, 3);
    expect(r.nextAt).toBeGreaterThanOrEqual(10_000);
    expect(available(r.state, 10_000, 20)).toBe(0);
  });

  it("refills as time passes and never grants in the past", () => {
    let s = pace(initialPacer(), 0, 10, 10).state;
    expect(pace(s, 500, 10, 10).times).toHaveLength(5);
    s = pace(s, 5_000, 10, 3).state;
    expect(pace(initialPacer(), 5_000, 10, 1).times[0]).toBe(5_000);
    expect(available(s, 5_000, 10)).toBe(7);
  });

  it("holds at most `rate` sends in any one-second window, whatever the request pattern", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.array(
          fc.record({ gap: fc.integer({ min: 0, max: 700 }), n: fc.integer({ min: 1, max: 60 }) }),
          {
            minLength: 1,
            maxLength: 80,
          },
        ),
        (rate, calls) => {
          let s = initialPacer();
          let now = 1_000_000;
          const times: number[] = [];
          for (const c of calls) {
            now += c.gap;
            const r = pace(s, now, rate, c.n);
            s = r.state;
            for (const t of r.times) expect(t).toBeGreaterThanOrEqual(now);
            times.push(...r.times);
          }
          expect(densest(times)).toBeLessThanOrEqual(rate);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("sustains the rate under constant demand", () => {
    let s = initialPacer();
    let granted = 0;
    for (let now = 0; now < 10_000; now += 100) {
      const r = pace(s, now, 20, 50);
      s = r.state;
      granted += r.times.filter((t) => t < 10_000).length;
    }
    // 20/s less the 2% kept for arrival jitter: 196 in 10 s.
    expect(granted).toBeGreaterThanOrEqual(195);
    expect(granted).toBeLessThanOrEqual(200);
  });

  it("keeps `rate` per second at the receiver when each send arrives up to 10 ms early or late", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.integer({ min: -10, max: 10 }), { minLength: 400, maxLength: 400 }),
        (rate, jitter) => {
          let s = initialPacer();
          const arrivals: number[] = [];
          for (let now = 0; arrivals.length < 300 && now < 60_000; now += 50) {
            const r = pace(s, now, rate, 1000);
            s = r.state;
            for (const t of r.times) arrivals.push(t + (jitter[arrivals.length % 400] ?? 0));
          }
          expect(densest(arrivals)).toBeLessThanOrEqual(rate);
        },
      ),
      { numRuns: 200 },
    );
  });
});
