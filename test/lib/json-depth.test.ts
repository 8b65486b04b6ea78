import { describe, expect, it } from "vitest";
import { jsonDepthExceeds } from "../../src/lib/json-depth";

describe("jsonDepthExceeds", () => {
  it("counts nested arrays and objects", () => {
    expect(jsonDepthExceeds(`${"[".repeat(32)}${"]".repeat(32)}`, 32)).toBe(false);
    expect(jsonDepthExceeds(`${"[".repeat(33)}${"]".repeat(33)}`, 32)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":[1,{"c":2}]}}', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":[1,{"c":2}]}}', 4)).toBe(false);
  });
  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(jsonDepthExceeds(`{"a":"${"[".repeat(100)}"}`, 1)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"\\"[[[[[["}`, 1)).toBe(false);
  });
});
