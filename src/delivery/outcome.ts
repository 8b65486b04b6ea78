import type { AttemptOutcome } from "./http";
import { isSuccess } from "./http";
import { nextDelaySeconds, retryDelaySeconds } from "./retry";

/** What happens to a delivery after one HTTP attempt. */
export type Verdict =
  | { kind: "succeeded" }
  | { kind: "retry"; delaySeconds: number }
  | { kind: "dead"; reason: string; disableEndpoint?: string };

/**
 * The one place that decides success, retry or dead-letter after an attempt: the endpoint's
 * success rule, 410 Gone (dead, and the endpoint is disabled), the retry schedule with jitter
 * and `Retry-After`, and exhaustion. `attemptsMade` includes this attempt.
 */
export function decide(
  outcome: AttemptOutcome,
  rule: "2xx" | "200",
  attemptsMade: number,
  schedule: number[],
  now: number,
  random: () => number = Math.random,
): Verdict {
  const status = outcome.statusCode;
  if (status !== undefined && !outcome.error && isSuccess(status, rule))
    return { kind: "succeeded" };
  if (status === 410) {
    return { kind: "dead", reason: "gone", disableEndpoint: "The receiver answered 410 Gone." };
  }
  const scheduled = nextDelaySeconds(attemptsMade, schedule, random);
  if (scheduled === null) return { kind: "dead", reason: "exhausted" };
  return {
    kind: "retry",
    delaySeconds: retryDelaySeconds(scheduled, status, outcome.retryAfter, now),
  };
}

/** A short text for `last_error`: the error class or the HTTP status that failed. */
export function describeFailure(outcome: AttemptOutcome): string | null {
  if (outcome.error) return outcome.error;
  if (outcome.statusCode !== undefined) return `HTTP ${outcome.statusCode}`;
  return null;
}
