import { describe, expect, it } from "vitest";
import { countsAsFailure, parseCounted4xx } from "../../src/delivery/classify";

const counted = parseCounted4xx(undefined);

describe("countsAsFailure", () => {
  it.each([
    ["a timeout", { error: "timeout" as const }, true],
    ["a refused connection", { error: "connect" as const }, true],
    ["500", { statusCode: 500 }, true],
    ["503", { statusCode: 503 }, true],
    ["429", { statusCode: 429 }, true],
    ["408", { statusCode: 408 }, true],
    ["a redirect", { statusCode: 302 }, true],
    ["400", { statusCode: 400 }, false],
    ["404", { statusCode: 404 }, false],
    ["200", { statusCode: 200 }, false],
  ])("counts %s: %s", (_name, outcome, expected) => {
    expect(countsAsFailure({ durationMs: 1, retryAfter: null, ...outcome }, counted)).toBe(
      expected,
    );
  });

  it("counts the 4xx statuses an operator configured", () => {
    const custom = parseCounted4xx("404, 429, 999, x");
    expect([...custom]).toEqual([404, 429]);
    expect(countsAsFailure({ durationMs: 1, retryAfter: null, statusCode: 404 }, custom)).toBe(
      true,
    );
    expect(countsAsFailure({ durationMs: 1, retryAfter: null, statusCode: 408 }, custom)).toBe(
      false,
    );
  });
});
