import type { FilterNode } from "./compile";
import { compareNumbers } from "./decimal";
import { type ExactValue, isObject, JsonNumber } from "./exact-json";

/** Steps one evaluation may take (values visited, comparisons made) before it gives up. */
export const MAX_WORK = 20_000;
/**
 * Longest string a `$regex` runs on; a longer one does not match. With at most two repeating
 * quantifiers and a search from every position, a run is at worst cubic in this length: 256
 * keeps it to a few milliseconds (4,096 took half a minute on `a*a*$`).
 */
export const MAX_REGEX_INPUT = 256;

class OutOfWork extends Error {}

/**
 * Whether a payload (parsed with `parseExact`) matches a compiled filter. MongoDB's semantics:
 * a path through an array looks into each element, a condition on an array holds when it holds
 * for an element, `$ne` and `$nin` hold for a missing field, `null` equals a missing field.
 * An evaluation that runs out of work ({@link MAX_WORK}) does not match.
 */
export function matchesFilter(node: FilterNode, payload: ExactValue): boolean {
  let work = 0;
  const step = () => {
    if (++work > MAX_WORK) throw new OutOfWork();
  };
  const test = (n: FilterNode): boolean => {
    step();
    switch (n.kind) {
      case "and":
        return n.of.every(test);
      case "or":
        return n.of.some(test);
      case "not":
        return !test(n.of);
      case "exists":
        return resolve(payload, n.path, step).length > 0 === n.exists;
      case "regex":
        return anyLeaf(resolve(payload, n.path, step), step, (v) => {
          if (typeof v !== "string" || v.length > MAX_REGEX_INPUT) return false;
          n.regex.lastIndex = 0;
          return n.regex.test(v);
        });
      case "compare": {
        const found = resolve(payload, n.path, step);
        const eq = (want: ExactValue) =>
          (want === null && found.length === 0) ||
          anyLeaf(found, step, (v) => equal(v, want, step));
        switch (n.op) {
          case "$eq":
          case "$in":
            return n.values.some(eq);
          case "$ne":
          case "$nin":
            return !n.values.some(eq);
          default: {
            const want = n.values[0] as ExactValue;
            const op = n.op;
            return anyLeaf(found, step, (v) => {
              const c = order(v, want);
              if (c === null) return false;
              return op === "$gt" ? c > 0 : op === "$gte" ? c >= 0 : op === "$lt" ? c < 0 : c <= 0;
            });
          }
        }
      }
    }
  };
  try {
    return test(node);
  } catch (err) {
    if (err instanceof OutOfWork) return false;
    throw err;
  }
}

/** The values a dotted path reaches; through arrays it reaches into each element. */
function resolve(root: ExactValue, path: string[], step: () => void): ExactValue[] {
  let at: ExactValue[] = [root];
  for (const segment of path) {
    const next: ExactValue[] = [];
    for (const v of at) {
      step();
      if (isObject(v)) {
        if (Object.hasOwn(v, segment)) next.push(v[segment] as ExactValue);
      } else if (Array.isArray(v)) {
        // `items.0` is an index; `items.sku` looks into every element.
        if (/^\d+$/.test(segment)) {
          const i = Number(segment);
          if (i < v.length) next.push(v[i] as ExactValue);
        } else
          for (const e of v)
            if (isObject(e) && Object.hasOwn(e, segment)) next.push(e[segment] as ExactValue);
      }
    }
    at = next;
  }
  return at;
}

/** Whether `pred` holds for a value found, or for an element of an array found. */
function anyLeaf(found: ExactValue[], step: () => void, pred: (v: ExactValue) => boolean): boolean {
  for (const v of found) {
    step();
    if (pred(v)) return true;
    if (Array.isArray(v))
      for (const e of v) {
        step();
        if (pred(e)) return true;
      }
  }
  return false;
}

/** Order of two values of the same kind (numbers or strings), else null: no match. */
function order(a: ExactValue, b: ExactValue): number | null {
  if (a instanceof JsonNumber && b instanceof JsonNumber) return compareNumbers(a, b);
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  return null;
}

/** Code-point order (that of UTF-8 bytes), not JavaScript's UTF-16 code-unit order. */
function compareStrings(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = (x[i] as string).codePointAt(0) as number;
    const q = (y[i] as string).codePointAt(0) as number;
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

/** Deep equality; numbers by value (`1` equals `1.0`), object keys in any order. */
function equal(a: ExactValue, b: ExactValue, step: () => void): boolean {
  step();
  if (a instanceof JsonNumber || b instanceof JsonNumber)
    return a instanceof JsonNumber && b instanceof JsonNumber && compareNumbers(a, b) === 0;
  if (Array.isArray(a) || Array.isArray(b))
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => equal(x, b[i] as ExactValue, step))
    );
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every(
      (k) => Object.hasOwn(b, k) && equal(a[k] as ExactValue, b[k] as ExactValue, step),
    );
  }
  return a === b;
}
