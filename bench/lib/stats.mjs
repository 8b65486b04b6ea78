// @ts-check
/** Small statistics helpers for the bench. */

/**
 * Nearest-rank percentile of unsorted samples; NaN when there are none.
 * @param {number[]} samples
 * @param {number} p 0..100
 */
export function percentile(samples, p) {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

/**
 * @param {number[]} samples
 * @returns {{ p50: number, p95: number, p99: number, max: number, n: number }}
 */
export function summary(samples) {
  return {
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: samples.length ? Math.max(...samples) : Number.NaN,
    n: samples.length,
  };
}

/**
 * Rounds for display and JSON; null stays null, NaN becomes null.
 * @param {number | null | undefined} x
 * @param {number} [digits]
 * @returns {number | null}
 */
export function round(x, digits = 1) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** @param {number} ms */
export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Arithmetic mean; NaN for no samples. @param {number[]} xs */
export function mean(xs) {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}
