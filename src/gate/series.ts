/**
 * Time series of an endpoint's (or an app's) traffic, built from the gate's latency
 * histograms. A series is a list of cells, one per (step, bucket): histograms merge by summing
 * buckets, so the cells of many endpoints add up to the app's, and a percentile of the merged
 * cells is as exact as one endpoint's (to bucket precision, see latency.ts).
 */
import { type Cell, percentile } from "./latency";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The windows a series covers, and the step of its points. */
export const SERIES_WINDOWS = {
  "24h": { spanMs: DAY_MS, stepMs: HOUR_MS },
  "7d": { spanMs: 7 * DAY_MS, stepMs: 6 * HOUR_MS },
} as const;

export type SeriesWindow = keyof typeof SERIES_WINDOWS;

/** One histogram cell of one step; `at` is the step's start (ms since the epoch). */
export interface SeriesCell extends Cell {
  at: number;
}

/** The steps of a window ending now: UTC-aligned, the last one still filling. */
export interface SeriesRange {
  /** Start of the first step. */
  from: number;
  stepMs: number;
  points: number;
}

/** One point of a series, ready to draw. */
export interface SeriesPoint {
  at: string;
  requests: number;
  successes: number;
  successRate: number | null;
  p95Ms: number | null;
}

/** The steps covering `window` up to `now`, aligned to multiples of the step (UTC). */
export function seriesRange(window: SeriesWindow, now: number): SeriesRange {
  const { spanMs, stepMs } = SERIES_WINDOWS[window];
  const points = Math.round(spanMs / stepMs);
  const last = Math.floor(now / stepMs) * stepMs;
  return { from: last - (points - 1) * stepMs, stepMs, points };
}

/** Sums cells with the same step and bucket: how endpoints' series become their app's. */
export function mergeSeries(lists: ReadonlyArray<readonly SeriesCell[]>): SeriesCell[] {
  const byKey = new Map<string, SeriesCell>();
  for (const list of lists)
    for (const c of list) {
      const key = `${c.at}:${c.bucket}`;
      const cell = byKey.get(key);
      if (cell) {
        cell.n += c.n;
        cell.ok += c.ok;
        cell.sumMs += c.sumMs;
      } else byKey.set(key, { ...c });
    }
  return [...byKey.values()].sort((a, b) => a.at - b.at || a.bucket - b.bucket);
}

/** Every step of the range as a point (empty steps too), from the cells that fall in it. */
export function toPoints(cells: readonly SeriesCell[], range: SeriesRange): SeriesPoint[] {
  const steps: Cell[][] = Array.from({ length: range.points }, () => []);
  for (const c of cells) {
    const i = Math.floor((c.at - range.from) / range.stepMs);
    if (i >= 0 && i < range.points) steps[i]?.push(c);
  }
  return steps.map((step, i) => {
    const requests = step.reduce((sum, c) => sum + c.n, 0);
    const successes = step.reduce((sum, c) => sum + c.ok, 0);
    return {
      at: new Date(range.from + i * range.stepMs).toISOString(),
      requests,
      successes,
      successRate: requests > 0 ? successes / requests : null,
      p95Ms: percentile(step, 0.95),
    };
  });
}

/** The whole window's cells, one per bucket: for its totals and percentiles. */
export function flatten(cells: readonly SeriesCell[]): Cell[] {
  const byBucket = new Map<number, Cell>();
  for (const c of cells) {
    const cell = byBucket.get(c.bucket) ?? { bucket: c.bucket, n: 0, ok: 0, sumMs: 0 };
    cell.n += c.n;
    cell.ok += c.ok;
    cell.sumMs += c.sumMs;
    byBucket.set(c.bucket, cell);
  }
  return [...byBucket.values()];
}
