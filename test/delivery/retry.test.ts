import { describe, expect, it } from "vitest";
import {
  MAX_DELAY_SECONDS,
  nextDelaySeconds,
  parseRetryAfter,
  retryDelaySeconds,
} from "../../src/delivery/retry";

const SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

describe("nextDelaySeconds", () => {
  it("follows the schedule after each failed attempt, without jitter at the midpoint", () => {
    const delays = SCHEDULE.map((_, i) => nextDelaySeconds(i + 1, SCHEDULE, () => 0.5));
    expect(delays).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
  });

  it("keeps every delay within ±20% of the schedule", () => {
    SCHEDULE.forEach((base, i) => {
      expect(nextDelaySeconds(i + 1, SCHEDULE, () => 0)).toBe(Math.round(base * 0.8));
      expect(nextDelaySeconds(i + 1, SCHEDULE, () => 1)).toBe(Math.round(base * 1.2));
      for (let n = 0; n < 50; n++) {
        const d = nextDelaySeconds(i + 1, SCHEDULE) ?? Number.NaN;
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(d).toBeLessThanOrEqual(Math.ceil(base * 1.2));
      }
    });
  });

  it("returns null once the schedule is exhausted", () => {
    expect(nextDelaySeconds(SCHEDULE.length + 1, SCHEDULE)).toBeNull();
    expect(nextDelaySeconds(2, [1])).toBeNull();
    expect(nextDelaySeconds(1, [])).toBeNull();
  });

  it("never exceeds the 12 h queue limit", () => {
    expect(nextDelaySeconds(1, [86_400], () => 1)).toBe(MAX_DELAY_SECONDS);
    expect(nextDelaySeconds(1, [86_400], () => 0)).toBe(MAX_DELAY_SECONDS);
    expect(MAX_DELAY_SECONDS).toBe(43_200);
  });

  it("allows a zero delay for test schedules", () => {
    expect(nextDelaySeconds(1, [0], () => 1)).toBe(0);
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds", () => {
    expect(parseRetryAfter("120", NOW)).toBe(120);
    expect(parseRetryAfter(" 0 ", NOW)).toBe(0);
  });

  it("reads an HTTP-date relative to now", () => {
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90);
    expect(parseRetryAfter("Mon, 23 Nov 2026 12:10:00 GMT", NOW)).toBe(600);
    expect(parseRetryAfter("Monday, 23-Nov-26 12:10:00 GMT", NOW)).toBe(600);
    expect(parseRetryAfter("Mon Nov 23 12:10:00 2026", NOW)).toBe(600);
  });

  it("treats a date already past as zero", () => {
    expect(parseRetryAfter("Mon, 23 Nov 2026 11:00:00 GMT", NOW)).toBe(0);
  });

  it("rejects garbage and negative values", () => {
    for (const bad of [null, "", "soon", "-5", "1.5", "12abc", "2026-11-23T12:10:00Z", "-1e3"]) {
      expect(parseRetryAfter(bad, NOW)).toBeNull();
    }
  });
});

describe("retryDelaySeconds", () => {
  it("honours Retry-After on 429 and 503 within the schedule's bounds", () => {
    expect(retryDelaySeconds(300, 429, "450", NOW)).toBe(450);
    expect(retryDelaySeconds(300, 503, "450", NOW)).toBe(450);
    expect(retryDelaySeconds(300, 503, "Mon, 23 Nov 2026 12:06:00 GMT", NOW)).toBe(360);
  });

  it("never retries sooner than scheduled", () => {
    expect(retryDelaySeconds(300, 429, "1", NOW)).toBe(300);
  });

  it("never waits more than twice the scheduled delay", () => {
    expect(retryDelaySeconds(300, 429, "86400", NOW)).toBe(600);
  });

  it("ignores Retry-After on other statuses and on errors", () => {
    expect(retryDelaySeconds(300, 500, "450", NOW)).toBe(300);
    expect(retryDelaySeconds(300, undefined, "450", NOW)).toBe(300);
  });

  it("uses the schedule when Retry-After is missing or garbage", () => {
    expect(retryDelaySeconds(300, 429, null, NOW)).toBe(300);
    expect(retryDelaySeconds(300, 429, "later", NOW)).toBe(300);
  });

  it("caps the result at 12 h", () => {
    expect(retryDelaySeconds(36_000, 429, "80000", NOW)).toBe(43_200);
    expect(retryDelaySeconds(50_000, 500, null, NOW)).toBe(43_200);
  });
});
