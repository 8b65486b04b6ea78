import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_DELAY_SECONDS,
  nextDelaySeconds,
  parseRetryAfter,
  retryDelaySeconds,
  retryWindowMs,
} from "../../src/delivery/retry";

const SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

describe("nextDelaySeconds", () => {
  it("follows the schedule after each failed attempt, without jitter at the midpoint", () => {
    const delays = SCHEDULE.map((_, i) => nextDelaySeconds(i + 1, SCHEDULE, () => 0.5));
    expect(delays).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
  });

  it("keeps every delay within ±20% of the schedule", () => {
    // The extremes, written out: 0.8x and 1.2x of 5, 300, 1800, 7200, 18000, 36000, 36000 s.
    const lowest = [4, 240, 1440, 5760, 14400, 28800, 28800];
    const highest = [6, 360, 2160, 8640, 21600, 43200, 43200];
    expect(SCHEDULE.map((_, i) => nextDelaySeconds(i + 1, SCHEDULE, () => 0))).toEqual(lowest);
    expect(SCHEDULE.map((_, i) => nextDelaySeconds(i + 1, SCHEDULE, () => 1))).toEqual(highest);
    SCHEDULE.forEach((_, i) => {
      for (let n = 0; n < 50; n++) {
        const d = nextDelaySeconds(i + 1, SCHEDULE) ?? Number.NaN;
        expect(d).toBeGreaterThanOrEqual(lowest[i] ?? Number.NaN);
        expect(d).toBeLessThanOrEqual(highest[i] ?? Number.NaN);
      }
    });
  });

  it("spreads a burst: a quarter of the way into the jitter is 10% early", () => {
    expect(nextDelaySeconds(2, SCHEDULE, () => 0.25)).toBe(270);
    expect(nextDelaySeconds(3, SCHEDULE, () => 0.75)).toBe(1980);
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

  it("clamps an HTTP-date Retry-After like delta-seconds, on 429 and 503", () => {
    // NOW is 12:00:00; the schedule says 300 s, so the answer lies in [300, 600].
    expect(retryDelaySeconds(300, 429, "Mon, 23 Nov 2026 12:00:30 GMT", NOW)).toBe(300);
    expect(retryDelaySeconds(300, 503, "Mon, 23 Nov 2026 12:00:30 GMT", NOW)).toBe(300);
    expect(retryDelaySeconds(300, 429, "Mon, 23 Nov 2026 18:00:00 GMT", NOW)).toBe(600);
    expect(retryDelaySeconds(300, 503, "Mon, 23 Nov 2026 18:00:00 GMT", NOW)).toBe(600);
    expect(retryDelaySeconds(300, 429, "Mon, 23 Nov 2026 12:07:00 GMT", NOW)).toBe(420);
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

describe("retryWindowMs", () => {
  it("is never reached by a delivery that only follows its schedule (jitter, Retry-After, slow attempts)", () => {
    const timeoutMs = 15_000;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 10,
          maxLength: 10,
        }),
        fc.array(fc.option(fc.integer({ min: 0, max: 200_000 })), { minLength: 10, maxLength: 10 }),
        (schedule, randoms, retryAfters) => {
          // First attempt at 0; every attempt runs to its deadline, then waits its delay.
          let due = 0;
          for (let made = 1; made <= schedule.length; made++) {
            const scheduled = nextDelaySeconds(made, schedule, () => randoms[made - 1] ?? 0.5);
            if (scheduled === null) break;
            const asked = retryAfters[made - 1];
            const delay = retryDelaySeconds(scheduled, 429, asked == null ? null : `${asked}`, 0);
            due += timeoutMs + delay * 1000;
          }
          expect(due).toBeLessThanOrEqual(retryWindowMs(schedule, timeoutMs));
        },
      ),
    );
  });

  it("for the default schedule is 1 d 18 h 13 min 57 s: each delay at its longest, the 12 h cap binding", () => {
    // 5, 300, 1800, 7200 and 18000 s stretched 2.4x (12, 720, 4320, 17280, 43200: the last one
    // at the cap), 36000 s twice at the 12 h cap, plus 7 attempts of 15 s.
    expect(retryWindowMs(SCHEDULE, 15_000)).toBe(((24 + 18) * 3600 + 13 * 60 + 57) * 1000);
  });
});
