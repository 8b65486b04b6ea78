import type { AttemptOutcome } from "./http";

/**
 * Whether an attempt's failure should count against the endpoint's circuit breaker: no answer
 * (timeout, DNS, connect, TLS, reset), 5xx, 429, 3xx (the receiver is misconfigured), and the
 * 4xx statuses listed in `counted4xx` (by default 408 Request Timeout and 429). Other 4xx mean
 * "this request is unwelcome", not "the endpoint is down", so they stay neutral.
 */
export function countsAsFailure(outcome: AttemptOutcome, counted4xx: ReadonlySet<number>): boolean {
  if (outcome.error) return true;
  const status = outcome.statusCode;
  if (status === undefined) return true;
  if (status >= 500 || status === 429) return true;
  if (status >= 400) return counted4xx.has(status);
  return status >= 300;
}

/** Parses `BREAKER_COUNT_4XX` ("408,429"): the 4xx statuses that trip the breaker. */
export function parseCounted4xx(value: string | undefined): ReadonlySet<number> {
  const list = (value ?? "408,429")
    .split(",")
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n >= 400 && n < 500);
  return new Set(list);
}
