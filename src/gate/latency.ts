/**
 * Outcome statistics for the gate's health figures, as per-minute latency histograms.
 *
 * Why not a row per outcome: an endpoint doing 100 requests/s would write 8.6 M rows a day
 * into its Durable Object (billed per row) and sort them on every health call. Buckets grow
 * by 2^(1/8) (~9 %), so a day is at most 1,440 minutes x the buckets actually used, one report
 * writes one row per distinct bucket, and a percentile is the mean of the bucket holding its
 * rank: within ~9 % of the true value, and exact when that bucket's samples are equal.
 */

/** Buckets per doubling of latency. */
export const BUCKETS_PER_DOUBLING = 8;
export const MINUTE_MS = 60_000;

/** One histogram cell, summed over any number of minutes. */
export interface Cell {
  bucket: number;
  /** Outcomes in the cell. */
  n: number;
  /** Successes among them. */
  ok: number;
  /** Sum of their latencies, so a percentile can answer the bucket's mean. */
  sumMs: number;
}

/** Traffic figures over one window. */
export interface Summary {
  requests: number;
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** The histogram bucket of a latency (ms); 0 holds everything up to 1 ms. */
export function bucketOf(latencyMs: number): number {
  const ms = Number.isFinite(latencyMs) ? Math.max(1, latencyMs) : 1;
  return Math.ceil(Math.log2(ms) * BUCKETS_PER_DOUBLING);
}

/** The minute a time falls in, the histogram's time key. */
export function minuteOf(now: number): number {
  return Math.floor(now / MINUTE_MS);
}

/** Groups outcomes by bucket, so one report writes one row per bucket, not per outcome. */
export function tally(outcomes: ReadonlyArray<{ ok: boolean; latencyMs: number }>): Cell[] {
  const cells = new Map<number, Cell>();
  for (const o of outcomes) {
    const ms = Number.isFinite(o.latencyMs) ? Math.max(0, Math.round(o.latencyMs)) : 0;
    const bucket = bucketOf(ms);
    const cell = cells.get(bucket) ?? { bucket, n: 0, ok: 0, sumMs: 0 };
    cell.n += 1;
    cell.ok += o.ok ? 1 : 0;
    cell.sumMs += ms;
    cells.set(bucket, cell);
  }
  return [...cells.values()];
}

/** Nearest-rank percentile `q` (0..1] of the histogram, as the mean of the bucket holding it. */
export function percentile(cells: readonly Cell[], q: number): number | null {
  const sorted = [...cells].filter((c) => c.n > 0).sort((a, b) => a.bucket - b.bucket);
  const total = sorted.reduce((sum, c) => sum + c.n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const c of sorted) {
    seen += c.n;
    if (seen >= rank) return Math.round(c.sumMs / c.n);
  }
  return null;
}

/** Requests, success rate and p50/p95 of the histogram. */
export function summarize(cells: readonly Cell[]): Summary {
  const requests = cells.reduce((sum, c) => sum + c.n, 0);
  const ok = cells.reduce((sum, c) => sum + c.ok, 0);
  return {
    requests,
    successRate: requests > 0 ? ok / requests : null,
    p50Ms: percentile(cells, 0.5),
    p95Ms: percentile(cells, 0.95),
  };
}
