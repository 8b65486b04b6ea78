import { describe, expect, it } from "vitest";
import { prettyJson } from "../../src/ui/pretty-json";

describe("prettyJson", () => {
  it("keeps big integers and long decimals exactly as written", () => {
    const raw = '{"big":12345678901234567890123,"n":1.000000000000000000001}';
    expect(prettyJson(raw)).toBe(
      '{\n  "big": 12345678901234567890123,\n  "n": 1.000000000000000000001\n}',
    );
    // JSON.parse would have rounded both.
    expect(JSON.stringify(JSON.parse(raw))).not.toBe(raw);
  });

  it("indents nesting, keeps empty containers on one line and strings untouched", () => {
    const raw = '{ "a" : [1, {"b":"x, {y}: \\"z\\" \\\\"}], "e": {}, "f": [ ] , "u":"\\u00e9"}';
    expect(prettyJson(raw)).toBe(
      [
        "{",
        '  "a": [',
        "    1,",
        "    {",
        '      "b": "x, {y}: \\"z\\" \\\\"',
        "    }",
        "  ],",
        '  "e": {},',
        '  "f": [],',
        '  "u": "\\u00e9"',
        "}",
      ].join("\n"),
    );
  });

  it("reads back as the same value for ordinary JSON", () => {
    const value = { list: [1, 2, { deep: [true, null, -1.5e3] }], s: "é\n", o: {} };
    expect(JSON.parse(prettyJson(JSON.stringify(value)))).toEqual(value);
  });
});
