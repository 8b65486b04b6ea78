import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BucketState, initialBucket, take, WINDOW_MS } from "../../src/gate/token-bucket";

/** Most grants in any half-open window [t, t + WINDOW_MS), grant times sorted. */
function busiestSecond(grants: number[]): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < grants.length; last++) {
    while ((grants[last] ?? 0) - (grants[first] ?? 0) >= WINDOW_MS) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

describe("rate limit", () => {
  it("holds every sliding second to the rate and still delivers close to it", () => {
    let s = initialBucket();
    const grants: number[] = [];
    for (let now = 0; now < 10_000; now++) {
      const r = take(s, now, 20, 1);
      s = r.state;
      for (let i = 0; i < r.granted; i++) grants.push(now);
    }
    expect(busiestSecond(grants)).toBeLessThanOrEqual(20);
    expect(grants.length / 10).toBeGreaterThanOrEqual(19);
  });

  it("grants a quiet endpoint its whole rate at once, then nothing until a second has passed", () => {
    const first = take(initialBucket(), 5000, 20, 50);
    expect(first.granted).toBe(20);
    expect(first.nextAt).toBe(6010);
    expect(take(first.state, 6009, 20, 50).granted).toBe(0);
    expect(take(first.state, 6010, 20, 50).granted).toBe(20);
  });

  it("tells when the next slot frees", () => {
    let s = initialBucket();
    s = take(s, 0, 3, 1).state;
    s = take(s, 400, 3, 1).state;
    const full = take(s, 800, 3, 5);
    expect(full).toMatchObject({ granted: 1, nextAt: 1010 });
    expect(take(full.state, 1010, 3, 5)).toMatchObject({ granted: 1, nextAt: 1410 });
  });

  it("answers now as the next slot while capacity is left", () => {
    expect(take(initialBucket(), 100, 20, 5)).toMatchObject({ granted: 5, nextAt: 100 });
  });

  it("keeps the stored log small at a high rate", () => {
    let s = initialBucket();
    for (let now = 0; now < 3000; now++) s = take(s, now, 10_000, 3).state;
    expect(s.log.length).toBeLessThanOrEqual(WINDOW_MS / 10 + 1);
  });

  it("never exceeds the rate in any sliding second, whatever the arrivals", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(
          fc.record({
            // Small steps and steps of about one window are where edge mistakes show.
            gap: fc.oneof(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 985, max: 1015 })),
            n: fc.nat(30),
          }),
          {
            maxLength: 300,
          },
        ),
        (rate, arrivals) => {
          let s: BucketState = initialBucket();
          let now = 0;
          const grants: number[] = [];
          for (const { gap, n } of arrivals) {
            now += gap;
            const r = take(s, now, rate, n);
            s = JSON.parse(JSON.stringify(r.state));
            expect(r.granted).toBeLessThanOrEqual(n);
            if (r.granted < n) expect(r.nextAt).toBeGreaterThan(now);
            for (let i = 0; i < r.granted; i++) grants.push(now);
          }
          expect(busiestSecond(grants)).toBeLessThanOrEqual(rate);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("grants a request at the nextAt it announced", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 2000 }), (rate, t) => {
        let s = initialBucket();
        for (let now = 0; now <= t; now += 7) s = take(s, now, rate, 2).state;
        const r = take(s, t, rate, 1_000);
        expect(take(r.state, r.nextAt, rate, 1).granted).toBe(1);
      }),
    );
  });
});
