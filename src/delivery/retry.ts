/** Cloudflare Queues refuse a delay above 12 hours. */
export const MAX_DELAY_SECONDS = 43_200;

const JITTER = 0.2;

/** Delay before the next try after `attemptsMade` failed attempts, or null when none is left. */
export function nextDelaySeconds(
  attemptsMade: number,
  schedule: number[],
  random: () => number = Math.random,
): number | null {
  // attemptsMade below 1 cannot happen from a queue; treating it as 1 keeps a caller bug
  // from silently dead-lettering a delivery.
  const base = schedule[Math.max(1, Math.floor(attemptsMade)) - 1];
  if (base === undefined) return null;
  // Spreads retries of a burst that failed together so they do not return together.
  const jittered = base * (1 + (random() * 2 - 1) * JITTER);
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(jittered)));
}

const DELTA_SECONDS = /^\s*\d+\s*$/;
// RFC 9110 §5.6.7: IMF-fixdate, obsolete RFC 850 and asctime forms.
const HTTP_DATES = [
  /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^[A-Za-z]+, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
  /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
];

/** Seconds asked for by a `Retry-After` value (delta-seconds or HTTP-date); null if unusable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  if (DELTA_SECONDS.test(value)) {
    const seconds = Number(value.trim());
    return Number.isSafeInteger(seconds) ? seconds : null;
  }
  const text = value.trim();
  if (!HTTP_DATES.some((re) => re.test(text))) return null;
  // asctime carries no zone; HTTP dates are always UTC.
  const ms = Date.parse(text.endsWith("GMT") ? text : `${text} GMT`);
  if (!Number.isFinite(ms)) return null;
  // A date already past means "now", not garbage.
  return Math.max(0, Math.ceil((ms - nowMs) / 1000));
}

/**
 * How long after its first attempt a delivery may still be waiting: the latest its last retry
 * can fall due when nothing but the schedule delays it, i.e. every delay at its longest (jitter
 * up, then stretched 2x by a `Retry-After`) plus each earlier attempt running to its deadline.
 * Gate deferrals do not extend it, and a delivery that only followed its schedule never hits it.
 */
export function retryWindowMs(schedule: number[], attemptTimeoutMs: number): number {
  const longest = schedule.map((s) => Math.min(MAX_DELAY_SECONDS, Math.ceil(2 * s * (1 + JITTER))));
  return longest.reduce((a, b) => a + b, 0) * 1000 + schedule.length * attemptTimeoutMs;
}

/** The delay to use: the scheduled one, stretched toward a 429/503 `Retry-After` up to 2x. */
export function retryDelaySeconds(
  scheduled: number,
  status: number | undefined,
  retryAfterHeader: string | null,
  nowMs: number,
): number {
  let delay = scheduled;
  if (status === 429 || status === 503) {
    const asked = parseRetryAfter(retryAfterHeader, nowMs);
    // Clamped so a receiver can neither make us hammer it nor park a delivery for days.
    if (asked !== null) delay = Math.min(2 * scheduled, Math.max(scheduled, asked));
  }
  return Math.min(MAX_DELAY_SECONDS, delay);
}
