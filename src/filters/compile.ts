import { type ExactValue, isObject, JsonNumber } from "./exact-json";
import { regexProblem } from "./regex-guard";

/** Bounds checked when a filter is saved or tried. */
export const FILTER_LIMITS = {
  /** Characters of the filter's JSON text. */
  text: 8192,
  /** Nesting of the filter document (objects and arrays). */
  depth: 8,
  /** Operators, operands and values in all. */
  nodes: 256,
  /** Values of one `$in` or `$nin`. */
  inList: 100,
  /** Segments of one dotted path. */
  pathSegments: 16,
  /** `$regex` operators: each may cost a few milliseconds at worst (see MAX_REGEX_INPUT). */
  regexes: 4,
} as const;

export type Comparison = "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" | "$in" | "$nin";

/** A compiled filter: what ingest evaluates. Plain data plus RegExps, built once per endpoint. */
export type FilterNode =
  | { kind: "and" | "or"; of: FilterNode[] }
  | { kind: "not"; of: FilterNode }
  | { kind: "compare"; path: string[]; op: Comparison; values: ExactValue[] }
  | { kind: "exists"; path: string[]; exists: boolean }
  | { kind: "regex"; path: string[]; regex: RegExp };

/** One reason a filter was refused, at a JSON pointer into it (`/filter/amount/$gte`). */
export interface FilterProblem {
  pointer: string;
  detail: string;
}

export type Compiled = { ok: true; node: FilterNode } | { ok: false; problems: FilterProblem[] };

const COMPARISONS = new Set(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"]);
const FIELD_OPERATORS = new Set([...COMPARISONS, "$exists", "$regex", "$options", "$not"]);

class Refused extends Error {
  constructor(
    readonly pointer: string,
    detail: string,
  ) {
    super(detail);
  }
}

const pointerKey = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * Validates and compiles a filter document (parsed with `parseExact`). `base` prefixes every
 * problem's pointer, e.g. `/filter`. The first problem found is reported: a filter is short.
 */
export function compileFilter(doc: ExactValue, base = ""): Compiled {
  let nodes = 0;
  let regexes = 0;
  const count = (at: string) => {
    if (++nodes > FILTER_LIMITS.nodes)
      throw new Refused(at, `more than ${FILTER_LIMITS.nodes} operators and values`);
  };
  const depthOf = (v: ExactValue, at: string, depth: number): void => {
    if (depth > FILTER_LIMITS.depth)
      throw new Refused(at, `nested deeper than ${FILTER_LIMITS.depth} levels`);
    count(at);
    if (Array.isArray(v)) for (const [i, x] of v.entries()) depthOf(x, `${at}/${i}`, depth + 1);
    else if (isObject(v))
      for (const k of Object.keys(v))
        depthOf(v[k] as ExactValue, `${at}/${pointerKey(k)}`, depth + 1);
  };

  const document = (v: ExactValue, at: string): FilterNode => {
    if (!isObject(v)) throw new Refused(at, "must be an object");
    const parts: FilterNode[] = [];
    for (const key of Object.keys(v)) {
      const value = v[key] as ExactValue;
      const here = `${at}/${pointerKey(key)}`;
      if (key === "$and" || key === "$or") {
        if (!Array.isArray(value) || value.length === 0)
          throw new Refused(here, "must be a non-empty array of filters");
        parts.push({
          kind: key === "$and" ? "and" : "or",
          of: value.map((d, i) => document(d, `${here}/${i}`)),
        });
      } else if (key === "$not") parts.push({ kind: "not", of: document(value, here) });
      else if (key.startsWith("$")) throw new Refused(here, `unknown operator ${key}`);
      else parts.push(field(pathOf(key, here), value, here));
    }
    return parts.length === 1 && parts[0] ? parts[0] : { kind: "and", of: parts };
  };

  const field = (path: string[], v: ExactValue, at: string): FilterNode => {
    // An object whose keys are operators is a condition; any other value means equality.
    if (!isObject(v) || !Object.keys(v).some((k) => k.startsWith("$")))
      return { kind: "compare", path, op: "$eq", values: [v] };
    const keys = Object.keys(v);
    const plain = keys.find((k) => !k.startsWith("$"));
    if (plain !== undefined)
      throw new Refused(`${at}/${pointerKey(plain)}`, "cannot mix operators and fields");
    const parts: FilterNode[] = [];
    for (const op of keys) {
      const value = v[op] as ExactValue;
      const here = `${at}/${pointerKey(op)}`;
      if (!FIELD_OPERATORS.has(op)) throw new Refused(here, `unknown operator ${op}`);
      if (op === "$in" || op === "$nin") {
        if (!Array.isArray(value)) throw new Refused(here, "must be an array");
        if (value.length > FILTER_LIMITS.inList)
          throw new Refused(here, `at most ${FILTER_LIMITS.inList} values`);
        parts.push({ kind: "compare", path, op, values: value });
      } else if (op === "$gt" || op === "$gte" || op === "$lt" || op === "$lte") {
        if (!(value instanceof JsonNumber) && typeof value !== "string")
          throw new Refused(here, "must be a number or a string");
        parts.push({ kind: "compare", path, op, values: [value] });
      } else if (op === "$eq" || op === "$ne") {
        parts.push({ kind: "compare", path, op, values: [value] });
      } else if (op === "$exists") {
        if (typeof value !== "boolean") throw new Refused(here, "must be true or false");
        parts.push({ kind: "exists", path, exists: value });
      } else if (op === "$regex") {
        if (++regexes > FILTER_LIMITS.regexes)
          throw new Refused(here, `at most ${FILTER_LIMITS.regexes} $regex operators`);
        parts.push({
          kind: "regex",
          path,
          regex: regexOf(value, v.$options, here, `${at}/$options`),
        });
      } else if (op === "$options") {
        if (!("$regex" in v)) throw new Refused(here, "only goes with $regex");
      } else if (op === "$not") {
        if (
          !isObject(value) ||
          !Object.keys(value).every((k) => k.startsWith("$")) ||
          Object.keys(value).length === 0
        )
          throw new Refused(here, "must be an object of operators");
        parts.push({ kind: "not", of: field(path, value, here) });
      }
    }
    return parts.length === 1 && parts[0] ? parts[0] : { kind: "and", of: parts };
  };

  try {
    depthOf(doc, base, 1);
    nodes = 0;
    return { ok: true, node: document(doc, base) };
  } catch (err) {
    if (err instanceof Refused)
      return { ok: false, problems: [{ pointer: err.pointer || "/", detail: err.message }] };
    throw err;
  }
}

/** A dotted path's segments; empty segments and over-long paths are refused. */
function pathOf(key: string, at: string): string[] {
  const path = key.split(".");
  if (path.some((s) => s === "")) throw new Refused(at, "a path may not have empty segments");
  if (path.length > FILTER_LIMITS.pathSegments)
    throw new Refused(at, `at most ${FILTER_LIMITS.pathSegments} path segments`);
  return path;
}

function regexOf(
  pattern: ExactValue,
  options: ExactValue | undefined,
  at: string,
  optionsAt: string,
): RegExp {
  if (typeof pattern !== "string") throw new Refused(at, "must be a string");
  if (options !== undefined && (typeof options !== "string" || !/^[ims]*$/.test(options)))
    throw new Refused(optionsAt, "must hold only the flags i, m and s");
  const problem = regexProblem(pattern);
  if (problem) throw new Refused(at, problem);
  try {
    // Unicode mode: stricter syntax, and code points rather than halves of surrogate pairs.
    return new RegExp(pattern, `u${options ?? ""}`);
  } catch {
    throw new Refused(at, "not a valid regular expression");
  }
}
