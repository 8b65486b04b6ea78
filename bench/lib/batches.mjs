// @ts-check
/**
 * Hooklane's consumer logs one JSON line per delivery batch it sent something in:
 * `{"msg":"delivery batch",...,"ms":N,"steps":{"load":..,"prepare":..,"admit":..,"plan":..,
 * "send":..,"record":..,"report":..}}` (src/delivery/consumer.ts). The bench keeps those lines
 * with the time they arrived, so a phase can say where its batches' time went (medians per
 * step) without reading the log file afterwards. Batches that only expand fan-out ranges or
 * write deferred outcomes log no such line.
 */
import { performance } from "node:perf_hooks";
import { percentile } from "./stats.mjs";

const MARK = '{"msg":"delivery batch"';

/**
 * @typedef {{ at: number, shard: number, firstTries: number, sent: number, ms: number,
 *   steps: Record<string, number> }} BatchLine
 * @typedef {{ batches: number, sent: number, firstTriesP50: number | null,
 *   msP50: number | null, msTotal: number, shards: number[],
 *   steps: Record<string, number | null> }} BatchSteps medians over the batches of a window;
 *   `msTotal` adds up every batch's time (above the wall time when batches ran side by side)
 * @typedef {{ onLine: (line: string) => void, between: (t0: number, t1: number) => BatchSteps }} BatchLog
 */

/** The consumer's steps, in the order it runs them. */
export const STEPS = ["load", "prepare", "admit", "plan", "send", "record", "report"];

/** @returns {BatchLog} */
export function batchLog() {
  /** @type {BatchLine[]} */
  const lines = [];
  return {
    onLine(line) {
      const i = line.indexOf(MARK);
      if (i < 0) return;
      try {
        const x = JSON.parse(line.slice(i));
        lines.push({
          at: performance.now(),
          shard: Number(x.shard ?? 0),
          firstTries: Number(x.firstTries ?? 0),
          sent: Number(x.sent ?? 0),
          ms: Number(x.ms ?? 0),
          steps: typeof x.steps === "object" && x.steps !== null ? x.steps : {},
        });
      } catch {
        // a line cut short: not a batch we can count
      }
    },
    between(t0, t1) {
      const xs = lines.filter((x) => x.at >= t0 && x.at <= t1);
      const med = (/** @type {number[]} */ v) => (v.length === 0 ? null : percentile(v, 50));
      /** @type {Record<string, number | null>} */
      const steps = {};
      for (const step of STEPS)
        steps[step] = med(
          xs.flatMap((x) => {
            const v = x.steps[step];
            return typeof v === "number" && Number.isFinite(v) ? [v] : [];
          }),
        );
      return {
        batches: xs.length,
        sent: xs.reduce((a, x) => a + x.sent, 0),
        firstTriesP50: med(xs.map((x) => x.firstTries)),
        msP50: med(xs.map((x) => x.ms)),
        msTotal: xs.reduce((a, x) => a + x.ms, 0),
        shards: [...new Set(xs.map((x) => x.shard))].sort((a, b) => a - b),
        steps,
      };
    },
  };
}
