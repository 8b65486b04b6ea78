import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rawMember } from "../../src/lib/raw-json";

/** Asserts the exact slice, and that it parses to what JSON.parse keeps for the member. */
function expectMember(text: string, key: string, raw: string): void {
  expect(rawMember(text, key)).toBe(raw);
  expect(JSON.parse(raw)).toEqual(JSON.parse(text)[key]);
}

/** JSON text with chosen whitespace between tokens and keys sometimes spelled in \u escapes. */
function spell(value: fc.JsonValue, pick: () => number): string {
  const space = (): string => ["", " ", "\n", "\t", "\r\n  "][pick() % 5] ?? "";
  if (Array.isArray(value)) {
    return `[${value.map((v) => space() + spell(v, pick) + space()).join(",")}]`;
  }
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value).map(
      ([k, v]) => `${space()}${spellKey(k, pick)}${space()}:${space()}${spell(v ?? null, pick)}`,
    );
    return `{${members.join(",")}${space()}}`;
  }
  return JSON.stringify(value);
}

function spellKey(key: string, pick: () => number): string {
  if (pick() % 2 === 0) return JSON.stringify(key);
  const units = Array.from({ length: key.length }, (_, i) => key.charCodeAt(i));
  return `"${units.map((u) => `\\u${u.toString(16).padStart(4, "0")}`).join("")}"`;
}

/** Cycles through shrinkable choices, so a failing spelling shrinks with its value. */
function picker(choices: number[]): () => number {
  let i = 0;
  return () => choices[i++ % choices.length] ?? 0;
}

const anyJson = fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: "binary" }));
const anyKey = fc.oneof(
  fc.constantFrom("payload", "", "a", 'quo"te', "back\\slash", "ü", "😀", "__proto__"),
  fc.string({ unit: "binary" }),
);

describe("rawMember", () => {
  it("keeps a big integer's digits exactly", () => {
    const text = '{"eventType":"invoice.paid","payload":{"big":12345678901234567890123,"n":1e999}}';
    expect(rawMember(text, "payload")).toBe('{"big":12345678901234567890123,"n":1e999}');
    expectMember('{"payload":12345678901234567890123}', "payload", "12345678901234567890123");
  });

  it("keeps number spellings that JSON.parse would change: 1e999, -0, 1.0, long decimals", () => {
    expect(rawMember('{"n":1e999}', "n")).toBe("1e999");
    expectMember('{"n":-0}', "n", "-0");
    expectMember('{"n":1.0}', "n", "1.0");
    expectMember('{"n":1E+2}', "n", "1E+2");
    expectMember(
      '{"n":0.1000000000000000055511151231257827021181583404541015625,"m":2}',
      "n",
      "0.1000000000000000055511151231257827021181583404541015625",
    );
    expectMember('{"n":[1.0,-0,1e999]}', "n", "[1.0,-0,1e999]");
  });

  it("keeps unicode escapes and raw UTF-8 as sent", () => {
    expectMember(
      String.raw`{"s":"caf\u00e9 \ud83d\ude00"}`,
      "s",
      String.raw`"caf\u00e9 \ud83d\ude00"`,
    );
    expectMember('{"s":"café 😀 日本"}', "s", '"café 😀 日本"');
    expectMember(String.raw`{"s":"\/\b\f\n\r\t"}`, "s", String.raw`"\/\b\f\n\r\t"`);
  });

  it("trims whitespace around the value and keeps the whitespace inside it", () => {
    const inside = '{\n    "a" :  [ 1 ,\t2 ],\r\n    "b":{ }\n  }';
    expectMember(`\n {\r\n  "payload" \t:\n  ${inside}  \n,"x":1 } \n`, "payload", inside);
    expectMember('{"n" : 42 }', "n", "42");
    expectMember('{"n":42\n}', "n", "42");
    expectMember('{"t":true\t,"u":0}', "t", "true");
  });

  it("skips strings holding quotes, backslashes, brackets, commas and colons", () => {
    const payload = String.raw`{"q":"say \"hi\"","dir":"C:\\dir\\","br":"{[}]","pc":",:","a":["\"}",{"\\":"]"}]}`;
    const text = String.raw`{"before":"}\\\"{","payload":${payload},"after":"\\"}`;
    expectMember(text, "payload", payload);
    expectMember(text, "before", String.raw`"}\\\"{"`);
    expectMember(text, "after", String.raw`"\\"`);
  });

  it("matches a key spelled with escapes by its decoded value", () => {
    expectMember(String.raw`{"pay\u006coad":1}`, "payload", "1");
    expectMember(String.raw`{"\u0070\u0061\u0079\u006c\u006f\u0061\u0064":[2]}`, "payload", "[2]");
    expectMember(String.raw`{"quo\"te":3,"back\\slash":4}`, 'quo"te', "3");
    expectMember(String.raw`{"quo\"te":3,"back\\slash":4}`, "back\\slash", "4");
    // A key whose spelling is literally "\n" decodes to a newline, not to backslash-n.
    expect(rawMember(String.raw`{"\n":5}`, "\\n")).toBeUndefined();
    expectMember(String.raw`{"\n":5}`, "\n", "5");
  });

  it("returns the last value when a key repeats, as JSON.parse does", () => {
    expectMember('{"payload":1,"x":2,"payload":{"b":3}}', "payload", '{"b":3}');
    expectMember(String.raw`{"payload":1,"pay\u006coad":"last"}`, "payload", '"last"');
    expectMember('{"payload":[1],"payload":[2],"payload":[3]}', "payload", "[3]");
  });

  it("looks only at top-level members, not keys of the same name nested deeper", () => {
    expectMember('{"a":{"payload":1},"payload":2,"b":[{"payload":3}]}', "payload", "2");
    expect(rawMember('{"a":{"payload":1},"b":[{"payload":3}]}', "payload")).toBeUndefined();
    expect(rawMember('{"a":"\\"payload\\":1"}', "payload")).toBeUndefined();
  });

  it("returns undefined for a missing key, an empty object or a top level that is no object", () => {
    expect(rawMember('{"eventType":"x"}', "payload")).toBeUndefined();
    expect(rawMember('{"Payload":1}', "payload")).toBeUndefined();
    expect(rawMember("{}", "payload")).toBeUndefined();
    expect(rawMember(" { \n } ", "")).toBeUndefined();
    for (const text of ['[{"payload":1}]', '"{\\"payload\\":1}"', "1", "true", "null", " [] "]) {
      expect(rawMember(text, "payload")).toBeUndefined();
    }
  });

  it.each([
    ["a string", '"x, y: {z}"'],
    ["an empty string", '""'],
    ["a number", "-12.5e-3"],
    ["true", "true"],
    ["false", "false"],
    ["null", "null"],
    ["an array", '[1,"two",[3],{}]'],
    ["an empty array", "[]"],
    ["an object", '{"k":{"v":[]}}'],
    ["an empty object", "{}"],
  ])("returns %s whole, wherever it sits among the members", (_, raw) => {
    expectMember(`{"k":${raw}}`, "k", raw);
    expectMember(`{"a":0,"k":${raw},"z":1}`, "k", raw);
    expectMember(`{ "a" : 0 , "k" : ${raw} }`, "k", raw);
    expectMember(`{"a":[${raw}],"k":${raw}}`, "k", raw);
  });

  it("walks deep nesting and a large body without recursion", () => {
    const deep = `${'{"a":['.repeat(5_000)}1${"]}".repeat(5_000)}`;
    expect(rawMember(`{"payload":${deep},"x":1}`, "payload")).toBe(deep);

    const item = '{"id":"evt_0123456789","tags":["a","b\\"c"],"n":12345678901234567890}';
    const large = `[${Array.from({ length: 4_000 }, () => item).join(",")}]`;
    expect(large.length).toBeGreaterThan(256 * 1024);
    expectMember(`{"eventType":"bulk","payload":${large}}`, "payload", large);
  });

  it("finds what JSON.stringify wrote for every member, at any indentation", () => {
    fc.assert(
      fc.property(
        fc.dictionary(anyKey, anyJson, { minKeys: 1, maxKeys: 8 }),
        fc.constantFrom(undefined, 0, 1, 2, 4, 12, "\t", " \t"),
        fc.constantFrom("", " ", "\n", "\r\n\t"),
        (members, indent, around) => {
          const text = `${around}${JSON.stringify(members, null, indent)}${around}`;
          const gap =
            typeof indent === "number" ? " ".repeat(Math.min(indent, 10)) : (indent ?? "");
          const parsed = JSON.parse(text);
          for (const key of Object.keys(members)) {
            const raw = rawMember(text, key);
            // A member one level down is its own stringify with every line indented once more.
            expect(raw).toBe(
              JSON.stringify(members[key], null, indent).replaceAll("\n", `\n${gap}`),
            );
            expect(JSON.parse(raw ?? "")).toEqual(parsed[key]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("finds the last spelling of each key through any whitespace and escaped key names", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(anyKey, anyJson), { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
        (members, choices) => {
          const pick = picker(choices);
          const last = new Map<string, string>();
          const spelled = members.map(([key, value]) => {
            const raw = spell(value, pick);
            last.set(key, raw);
            return `${spellKey(key, pick)}\n:\t${raw}`;
          });
          const text = ` {${spelled.join(" , ")}} `;
          const parsed = JSON.parse(text);
          for (const [key, raw] of last) {
            expect(rawMember(text, key)).toBe(raw);
            expect(JSON.parse(raw)).toEqual(parsed[key]);
          }
          const absent = "absent\u0000key";
          if (!last.has(absent)) expect(rawMember(text, absent)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});
