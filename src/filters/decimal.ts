import type { JsonNumber } from "./exact-json";

/** A JSON number as sign, significant digits (no leading or trailing zeros) and exponent. */
interface Decimal {
  negative: boolean;
  /** "" for zero. */
  digits: string;
  /** Position of the most significant digit: value = 0.digits * 10^point. */
  point: number;
}

function decimalOf(text: string): Decimal {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) throw new Error(`not a JSON number: ${text}`);
  const int = m[2] ?? "";
  const frac = m[3] ?? "";
  // A huge exponent's string parses to a large (or infinite) double: still ordered correctly.
  const exp = m[4] ? Number(m[4]) : 0;
  let all = int + frac;
  let point = int.length + exp;
  const lead = all.length - all.replace(/^0+/, "").length;
  all = all.slice(lead);
  point -= lead;
  all = all.replace(/0+$/, "");
  if (all === "") return { negative: false, digits: "", point: 0 };
  return { negative: m[1] === "-", digits: all, point };
}

function compareMagnitude(a: Decimal, b: Decimal): number {
  if (a.digits === "" || b.digits === "")
    return (a.digits === "" ? 0 : 1) - (b.digits === "" ? 0 : 1);
  if (a.point !== b.point) return a.point < b.point ? -1 : 1;
  // Same leading position: the digit strings compare as text once padded to one length.
  const n = Math.max(a.digits.length, b.digits.length);
  const x = a.digits.padEnd(n, "0");
  const y = b.digits.padEnd(n, "0");
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Compares two JSON numbers exactly, from their text: -1, 0 or 1. `1`, `1.0` and `10e-1` are
 * equal; `12345678901234567890123` and `12345678901234567890124` are not.
 */
export function compareNumbers(a: JsonNumber, b: JsonNumber): number {
  const x = decimalOf(a.text);
  const y = decimalOf(b.text);
  if (x.negative !== y.negative) return x.negative ? -1 : 1;
  const m = compareMagnitude(x, y);
  return x.negative ? -m : m;
}
