/**
 * The app ingest rate limit: at most `rate` grants in ANY sliding one-second window, as pure
 * functions over a JSON-serialisable state. Right for admission decided at the instant of the
 * request (ingest). Endpoint sends happen after their grant, so the gate paces them by send
 * time instead (pacer.ts).
 *
 * Why not a token bucket or GCRA, despite this file keeping the capability's usual name: a
 * limiter that remembers only one number (tokens, or a theoretical arrival time) lets
 * `rate + burst` through some one-second window unless its burst is 1, i.e. unless grants are
 * spaced exactly 1000/rate ms apart. Strict spacing is correct but starves this caller: a
 * refused delivery is re-enqueued, queue delays are whole seconds, and a batch that comes
 * back together would get one grant per round. So this is a sliding-window log: it grants
 * whatever fits in the last second right now (a full `rate` at once if the second was quiet)
 * and says when the next slot frees.
 *
 * The log keeps one entry per SLOT_MS slot, stamped at the slot's END. Stamping later than
 * the grant can only keep it in the window longer, so the bound still holds, and the state
 * stays under ~100 entries whatever the rate (rateLimit goes up to 10,000). The price is at
 * most SLOT_MS of idle per second under saturation (>= 99% of the rate).
 */

export const WINDOW_MS = 1000;
export const SLOT_MS = 10;

export interface BucketState {
  /** `[slotEnd, grants]`, oldest first; every grant in the slot is counted at its end. */
  log: Array<[at: number, count: number]>;
}

export interface Take {
  /** How many of the `n` requested may go now. */
  granted: number;
  state: BucketState;
  /** Earliest time another request could be granted (`now` if a slot is still free). */
  nextAt: number;
}

/** An empty limiter. */
export function initialBucket(): BucketState {
  return { log: [] };
}

/** Grants up to `n` requests at `now` under `rate` per second, and tells when the next slot frees. */
export function take(state: BucketState, now: number, rate: number, n = 1): Take {
  const cap = Math.max(0, Math.floor(rate));
  // An entry stamped `at` covers grants made at or before `at`; it leaves once `at` is a full
  // window behind, so the window (now - WINDOW_MS, now] never holds more than `cap`.
  const log = state.log.filter(([at]) => at > now - WINDOW_MS);
  const used = log.reduce((sum, [, count]) => sum + count, 0);
  const granted = Math.max(0, Math.min(Math.floor(n), cap - used));
  if (granted > 0) {
    const slotEnd = Math.ceil((now + 1) / SLOT_MS) * SLOT_MS;
    const last = log.at(-1);
    if (last && last[0] === slotEnd) log[log.length - 1] = [slotEnd, last[1] + granted];
    else log.push([slotEnd, granted]);
  }
  return { granted, state: { log }, nextAt: nextFree(log, now, cap) };
}

function nextFree(log: BucketState["log"], now: number, cap: number): number {
  let used = log.reduce((sum, [, count]) => sum + count, 0);
  if (used < cap) return now;
  for (const [at, count] of log) {
    used -= count;
    if (used < cap) return at + WINDOW_MS;
  }
  // Only reachable with a rate below 1, which the endpoint schema refuses; stay finite so a
  // caller never turns this into a NaN queue delay.
  return now + WINDOW_MS;
}
