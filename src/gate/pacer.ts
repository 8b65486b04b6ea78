/**
 * Smooth rate limiting for sends that happen a little after they are granted: every grant gets
 * a send time ("not before"), spaced (1000 + 20)/rate ms after the previous one (the virtual scheduling
 * of GCRA, burst 1), reaching at most `horizonMs` ahead. The caller waits until each time before
 * sending, so what the receiver sees is bounded by send times, not by when slots were handed
 * out: any one-second window holds at most `rate` sends, however bunched the grants were.
 */
export interface PacerState {
  /** Theoretical arrival time: the earliest send time of the next grant (ms epoch). */
  tat: number;
}

export interface Paced {
  /** One send time per granted request, ascending. */
  times: number[];
  state: PacerState;
  /** When the next request could be granted (a slot within the horizon frees). */
  nextAt: number;
}

/**
 * Sends leave on time but arrive a few ms apart from when they left (the network, the
 * receiver's accept loop). Spreading `rate` intervals over one second plus this much keeps
 * `rate + 1` arrivals out of any one-second window even when the first is this much late or
 * the last this much early: the promise is about what the receiver sees.
 */
const ARRIVAL_SLACK_MS = 20;

/** Milliseconds between two send times at `rate` per second. */
function intervalOf(rate: number): number {
  // The epsilon keeps `rate` intervals from summing to just under the span in floating point.
  return (1000 + ARRIVAL_SLACK_MS) / Math.max(rate, 1e-9) + 1e-6;
}

/** A pacer with nothing granted yet. */
export function initialPacer(): PacerState {
  return { tat: 0 };
}

/** Grants up to `n` send times at `rate` per second, no further ahead than `horizonMs`. */
export function pace(
  state: PacerState,
  now: number,
  rate: number,
  n: number,
  horizonMs = 1000,
): Paced {
  const interval = intervalOf(rate);
  let tat = Math.max(state.tat, now);
  const times: number[] = [];
  while (times.length < n && tat < now + horizonMs) {
    times.push(tat);
    tat += interval;
  }
  return { times, state: { tat }, nextAt: Math.max(now, tat - horizonMs) };
}

/** How many requests could be granted right now (for health: the "tokens" left). */
export function available(state: PacerState, now: number, rate: number, horizonMs = 1000): number {
  const interval = intervalOf(rate);
  const tat = Math.max(state.tat, now);
  return Math.max(0, Math.ceil((now + horizonMs - tat) / interval));
}
