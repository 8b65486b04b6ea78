import { describe, expect, it } from "vitest";
import {
  compileFilter,
  FILTER_LIMITS,
  MAX_REGEX_INPUT,
  MAX_WORK,
  matchesFilter,
  parseExact,
} from "../../src/filters";

/** A filter and a payload (JSON text, so big numbers stay exact) and the expected answer. */
interface Case {
  name: string;
  filter: string;
  payload?: string;
  /** true/false: evaluation result; a string: refused, at this pointer. */
  expect: boolean | string;
}

const ORDER = `{
  "id": "ord_1",
  "amount": 250,
  "big": 12345678901234567890123,
  "ratio": 0.1,
  "customer": { "tier": "gold", "country": "FR", "vip": true, "note": null },
  "items": [ { "sku": "A-1", "qty": 2 }, { "sku": "B-7", "qty": 1 } ],
  "tags": ["new", "promo"],
  "email": "ann@example.com"
}`;

const nested = (n: number) => `${'{"$not":'.repeat(n)}{"a":1}${"}".repeat(n)}`;
const bigIn = (n: number) => `{"a":{"$in":[${Array.from({ length: n }, (_, i) => i).join(",")}]}}`;

const CASES: Case[] = [
  // Equality and paths.
  { name: "bare value is equality", filter: `{"customer.tier":"gold"}`, expect: true },
  { name: "bare value, other value", filter: `{"customer.tier":"silver"}`, expect: false },
  { name: "$eq number", filter: `{"amount":{"$eq":250}}`, expect: true },
  { name: "number equality by value (250.0)", filter: `{"amount":250.0}`, expect: true },
  { name: "number equality by value (2.5e2)", filter: `{"amount":2.5e2}`, expect: true },
  { name: "array index in path", filter: `{"items.0.sku":"A-1"}`, expect: true },
  { name: "array index out of range", filter: `{"items.5.sku":"A-1"}`, expect: false },
  { name: "path through array reaches each element", filter: `{"items.sku":"B-7"}`, expect: true },
  { name: "equality on an array means contains", filter: `{"tags":"promo"}`, expect: true },
  { name: "equality to a whole array", filter: `{"tags":["new","promo"]}`, expect: true },
  {
    name: "equality to an object, keys in any order",
    filter: `{"items.0":{"qty":2,"sku":"A-1"}}`,
    expect: true,
  },
  { name: "missing path is not equal", filter: `{"customer.city":"Paris"}`, expect: false },
  { name: "null equals null", filter: `{"customer.note":null}`, expect: true },
  { name: "null equals a missing field", filter: `{"customer.city":null}`, expect: true },
  { name: "boolean equality", filter: `{"customer.vip":true}`, expect: true },
  { name: "string is not a number", filter: `{"amount":"250"}`, expect: false },
  // Comparisons.
  { name: "$ne differing", filter: `{"customer.country":{"$ne":"DE"}}`, expect: true },
  { name: "$ne on a missing field holds", filter: `{"missing":{"$ne":1}}`, expect: true },
  {
    name: "$in with a match",
    filter: `{"customer.tier":{"$in":["gold","platinum"]}}`,
    expect: true,
  },
  { name: "$in without a match", filter: `{"customer.tier":{"$in":["silver"]}}`, expect: false },
  { name: "$nin", filter: `{"customer.country":{"$nin":["DE","US"]}}`, expect: true },
  { name: "$gte and $lt together", filter: `{"amount":{"$gte":100,"$lt":251}}`, expect: true },
  { name: "$gt at the bound", filter: `{"amount":{"$gt":250}}`, expect: false },
  { name: "$lte decimal", filter: `{"ratio":{"$lte":0.1}}`, expect: true },
  { name: "$gt with exponent", filter: `{"amount":{"$gt":2.4999e2}}`, expect: true },
  { name: "negative numbers order", filter: `{"amount":{"$gt":-1000}}`, expect: true },
  {
    name: "big integer exact: +1 is greater",
    filter: `{"big":{"$lt":12345678901234567890124}}`,
    expect: true,
  },
  {
    name: "big integer exact: not equal to its neighbour",
    filter: `{"big":12345678901234567890122}`,
    expect: false,
  },
  {
    name: "big integer exact: equal to itself",
    filter: `{"big":12345678901234567890123}`,
    expect: true,
  },
  { name: "string order", filter: `{"customer.country":{"$gte":"A","$lt":"G"}}`, expect: true },
  { name: "number vs string order never matches", filter: `{"amount":{"$gt":"1"}}`, expect: false },
  { name: "comparison reaches array elements", filter: `{"items.qty":{"$gt":1}}`, expect: true },
  // $exists and $regex.
  { name: "$exists true", filter: `{"customer.vip":{"$exists":true}}`, expect: true },
  {
    name: "$exists false on a missing field",
    filter: `{"refund":{"$exists":false}}`,
    expect: true,
  },
  { name: "$regex", filter: `{"email":{"$regex":"@example\\\\.com$"}}`, expect: true },
  {
    name: "$regex with $options i",
    filter: `{"customer.tier":{"$regex":"^GOLD$","$options":"i"}}`,
    expect: true,
  },
  { name: "$regex does not match a number", filter: `{"amount":{"$regex":"250"}}`, expect: false },
  // Combinators.
  {
    name: "$and",
    filter: `{"$and":[{"amount":{"$gte":100}},{"customer.tier":"gold"}]}`,
    expect: true,
  },
  {
    name: "$or, second holds",
    filter: `{"$or":[{"amount":{"$lt":10}},{"tags":"promo"}]}`,
    expect: true,
  },
  {
    name: "$or, none holds",
    filter: `{"$or":[{"amount":{"$lt":10}},{"tags":"old"}]}`,
    expect: false,
  },
  { name: "top-level $not", filter: `{"$not":{"customer.country":"FR"}}`, expect: false },
  { name: "field $not", filter: `{"amount":{"$not":{"$gt":1000}}}`, expect: true },
  {
    name: "README example",
    filter: `{"customer.tier":{"$in":["gold"]},"amount":{"$gte":100}}`,
    expect: true,
  },
  { name: "empty filter matches everything", filter: `{}`, expect: true },
  // Malformed filters: refused, naming where.
  { name: "not an object", filter: `[1]`, expect: "/filter" },
  {
    name: "unknown operator",
    filter: `{"amount":{"$between":[1,2]}}`,
    expect: "/filter/amount/$between",
  },
  { name: "unknown top-level operator", filter: `{"$nor":[]}`, expect: "/filter/$nor" },
  { name: "$in not an array", filter: `{"a":{"$in":"x"}}`, expect: "/filter/a/$in" },
  { name: "$and empty", filter: `{"$and":[]}`, expect: "/filter/$and" },
  { name: "$or of a non-object", filter: `{"$or":[{"a":1},2]}`, expect: "/filter/$or/1" },
  { name: "$gt of an object", filter: `{"a":{"$gt":{"b":1}}}`, expect: "/filter/a/$gt" },
  { name: "$exists not boolean", filter: `{"a":{"$exists":1}}`, expect: "/filter/a/$exists" },
  { name: "operators mixed with fields", filter: `{"a":{"$gt":1,"b":2}}`, expect: "/filter/a/b" },
  { name: "empty path segment", filter: `{"a..b":1}`, expect: "/filter/a..b" },
  {
    name: "$options without $regex",
    filter: `{"a":{"$eq":1,"$options":"i"}}`,
    expect: "/filter/a/$options",
  },
  {
    name: "bad $options flag",
    filter: `{"a":{"$regex":"x","$options":"g"}}`,
    expect: "/filter/a/$options",
  },
  { name: "invalid regex", filter: `{"a":{"$regex":"(x"}}`, expect: "/filter/a/$regex" },
  { name: "pointer escapes / in keys", filter: `{"a/b":{"$bad":1}}`, expect: "/filter/a~1b/$bad" },
  // Hostile filters: refused at validation.
  {
    name: "deep nesting",
    filter: nested(20),
    expect: "/filter/$not/$not/$not/$not/$not/$not/$not/$not",
  },
  { name: "huge $in", filter: bigIn(FILTER_LIMITS.inList + 1), expect: "/filter/a/$in" },
  {
    name: "$in at its bound is fine",
    filter: bigIn(FILTER_LIMITS.inList),
    payload: `{"a":99}`,
    expect: true,
  },
  {
    name: "too many nodes",
    filter: `{"$or":[${Array.from({ length: 130 }, (_, i) => `{"a":${i}}`).join(",")}]}`,
    expect: "/filter/$or/127",
  },
  {
    name: "catastrophic regex (a+)+$",
    filter: `{"a":{"$regex":"(a+)+$"}}`,
    expect: "/filter/a/$regex",
  },
  {
    name: "catastrophic regex (a|a)*",
    filter: `{"a":{"$regex":"(a|a)*b"}}`,
    expect: "/filter/a/$regex",
  },
  {
    name: "nested quantifier in braces",
    filter: `{"a":{"$regex":"(\\\\d{1,3})+x"}}`,
    expect: "/filter/a/$regex",
  },
  {
    name: "quantified group of a quantified group",
    filter: `{"a":{"$regex":"((ab)*c)*"}}`,
    expect: "/filter/a/$regex",
  },
  { name: "backreference", filter: `{"a":{"$regex":"(a)\\\\1"}}`, expect: "/filter/a/$regex" },
  { name: "lookahead", filter: `{"a":{"$regex":"(?=a)a"}}`, expect: "/filter/a/$regex" },
  {
    name: "three repeating quantifiers",
    filter: `{"a":{"$regex":".*.*.*x"}}`,
    expect: "/filter/a/$regex",
  },
  {
    name: "long pattern",
    filter: `{"a":{"$regex":"${"a".repeat(300)}"}}`,
    expect: "/filter/a/$regex",
  },
  {
    name: "long path",
    filter: `{"${Array(20).fill("a").join(".")}":1}`,
    expect: `/filter/${Array(20).fill("a").join(".")}`,
  },
  // Hostile inputs: bounded at evaluation.
  {
    name: "regex never runs on input past its bound",
    filter: `{"s":{"$regex":"^a+$"}}`,
    payload: `{"s":"${"a".repeat(MAX_REGEX_INPUT + 1)}"}`,
    expect: false,
  },
  {
    name: "regex runs on input at its bound",
    filter: `{"s":{"$regex":"^a+$"}}`,
    payload: `{"s":"${"a".repeat(MAX_REGEX_INPUT)}"}`,
    expect: true,
  },
  {
    name: "more $regex operators than allowed",
    filter: `{"$or":[${Array.from({ length: 5 }, () => `{"a":{"$regex":"x"}}`).join(",")}]}`,
    expect: "/filter/$or/4/a/$regex",
  },
  {
    name: "a huge array exhausts the work budget and does not match",
    filter: `{"xs":{"$in":[${Array.from({ length: 100 }, (_, i) => -i - 1).join(",")}]}}`,
    payload: `{"xs":[${Array(MAX_WORK).fill(0).join(",")}]}`,
    expect: false,
  },
];

describe("payload filters: validation and evaluation", () => {
  it("holds at least 40 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of CASES) {
    it(`${c.name} -> ${c.expect}`, () => {
      const compiled = compileFilter(parseExact(c.filter), "/filter");
      if (typeof c.expect === "string") {
        expect(compiled.ok).toBe(false);
        if (!compiled.ok) expect(compiled.problems[0]?.pointer).toBe(c.expect);
        return;
      }
      expect(compiled.ok ? [] : compiled.problems).toEqual([]);
      if (compiled.ok)
        expect(matchesFilter(compiled.node, parseExact(c.payload ?? ORDER))).toBe(c.expect);
    });
  }

  it("evaluates a catastrophic-shaped but allowed regex over a long input quickly", () => {
    const compiled = compileFilter(parseExact(`{"s":{"$regex":"a*a*$"}}`));
    if (!compiled.ok) throw new Error("refused");
    const started = Date.now();
    const payload = parseExact(JSON.stringify({ s: `${"a".repeat(MAX_REGEX_INPUT - 1)}!` }));
    expect(matchesFilter(compiled.node, payload)).toBe(true);
    expect(Date.now() - started).toBeLessThan(200);
  });
});
