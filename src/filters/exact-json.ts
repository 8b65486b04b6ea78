/**
 * JSON parsed for filter evaluation. Numbers stay as their source text (`JsonNumber`), so a
 * payload's `12345678901234567890123` compares exactly instead of as the nearest double.
 */

/** A JSON number kept as the text it was written as. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type ExactValue =
  | null
  | boolean
  | string
  | JsonNumber
  | ExactValue[]
  | { [key: string]: ExactValue };

/** Thrown for text that is not JSON, or nested deeper than the parser's bound. */
export class ExactJsonError extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

/**
 * Parses JSON text, keeping numbers exact. Nesting deeper than `maxDepth` is refused (the
 * recursion is bounded by it). Strings are decoded by `JSON.parse`, which is exact for them.
 */
export function parseExact(text: string, maxDepth = 64): ExactValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new ExactJsonError(`${what} at offset ${i}`);
  };
  const space = () => {
    while (i < text.length) {
      const ch = text.charCodeAt(i);
      if (ch !== 0x20 && ch !== 0x0a && ch !== 0x0d && ch !== 0x09) break;
      i++;
    }
  };
  const string = (): string => {
    const start = i;
    i++;
    while (i < text.length) {
      const ch = text.charCodeAt(i);
      if (ch === 0x5c) i += 2;
      else if (ch === 0x22) {
        i++;
        return JSON.parse(text.slice(start, i)) as string;
      } else if (ch < 0x20) fail("control character in string");
      else i++;
    }
    return fail("unterminated string");
  };
  const value = (depth: number): ExactValue => {
    space();
    const ch = text[i];
    if (ch === '"') return string();
    if (ch === "{" || ch === "[") {
      if (depth >= maxDepth) fail("too deeply nested");
      i++;
      space();
      if (ch === "[") {
        const out: ExactValue[] = [];
        if (text[i] === "]") {
          i++;
          return out;
        }
        for (;;) {
          out.push(value(depth + 1));
          space();
          if (text[i] === ",") i++;
          else if (text[i] === "]") {
            i++;
            return out;
          } else fail("expected , or ]");
        }
      }
      // Own properties only, created with no prototype: "__proto__" is just a key.
      const out: { [key: string]: ExactValue } = Object.create(null);
      if (text[i] === "}") {
        i++;
        return out;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail("expected a key");
        const key = string();
        space();
        if (text[i] !== ":") fail("expected :");
        i++;
        out[key] = value(depth + 1);
        space();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return out;
        } else fail("expected , or }");
      }
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(text);
    if (num) {
      i += num[0].length;
      return new JsonNumber(num[0]);
    }
    LITERAL.lastIndex = i;
    const lit = LITERAL.exec(text);
    if (lit) {
      i += lit[0].length;
      return lit[0] === "null" ? null : lit[0] === "true";
    }
    return fail("unexpected character");
  };
  const out = value(0);
  space();
  if (i !== text.length) fail("trailing text");
  return out;
}

/** Serializes a parsed value back to compact JSON, numbers as they were written. */
export function stringifyExact(v: ExactValue): string {
  if (v instanceof JsonNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(stringifyExact).join(",")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}:${stringifyExact(v[k] as ExactValue)}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/** Whether a parsed value is a JSON object (not an array, number or null). */
export function isObject(v: ExactValue | undefined): v is { [key: string]: ExactValue } {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof JsonNumber);
}
