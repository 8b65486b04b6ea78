import { describe, expect, it } from "vitest";
import { bucketOf, percentile, summarize, tally } from "../../src/gate/latency";

function cells(latencies: number[], ok = true) {
  return tally(latencies.map((latencyMs) => ({ ok, latencyMs })));
}

describe("latency histogram", () => {
  it("answers exact percentiles when each bucket holds equal samples", () => {
    const c = cells([...Array(90).fill(100), ...Array(10).fill(2000)]);
    expect(percentile(c, 0.5)).toBe(100);
    expect(percentile(c, 0.9)).toBe(100);
    expect(percentile(c, 0.95)).toBe(2000);
  });

  it("stays within a bucket's width of the true percentile", () => {
    const latencies = Array.from({ length: 1000 }, (_, i) => 10 + i * 7);
    const c = cells(latencies);
    const trueP95 = latencies[949] ?? 0;
    const p95 = percentile(c, 0.95) ?? 0;
    expect(Math.abs(p95 - trueP95) / trueP95).toBeLessThan(0.09);
  });

  it("writes one cell per bucket, not per outcome", () => {
    expect(cells(Array(50).fill(120))).toEqual([
      { bucket: bucketOf(120), n: 50, ok: 50, sumMs: 6000 },
    ]);
  });

  it("counts successes for the success rate", () => {
    const c = [
      ...tally([
        { ok: true, latencyMs: 50 },
        { ok: false, latencyMs: 50 },
        { ok: true, latencyMs: 80 },
        { ok: true, latencyMs: 0 },
      ]),
    ];
    expect(summarize(c)).toMatchObject({ requests: 4, successRate: 0.75 });
  });

  it("has no figures without samples", () => {
    expect(summarize([])).toEqual({ requests: 0, successRate: null, p50Ms: null, p95Ms: null });
  });

  it("buckets nonsense latencies at the bottom instead of failing", () => {
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
    expect(bucketOf(1)).toBe(0);
  });
});
