/**
 * Endpoint transforms: a JSONata expression turns the envelope a format would send into the
 * body to send, optionally with a path suffix and headers. Pure: no bindings, no I/O. Every
 * evaluation runs under the caps of `TRANSFORM_LIMITS` and reports failure as a value, so one
 * bad transform can never throw through a consumer batch.
 */
import jsonata from "jsonata";
import { headerProblems, pathProblem } from "./extras";
import { TRANSFORM_LIMITS as L } from "./limits";

/** Why an expression cannot be saved; `position` is the character it points at, when known. */
export interface TransformProblem {
  detail: string;
  position?: number;
}

/** What a transform makes of one envelope. */
export interface TransformOutput {
  /** The exact body to send (JSON text); the signature covers these bytes. */
  body: string;
  /** A suffix for the endpoint URL's path, already checked by `pathProblem`. */
  path?: string;
  /** Headers to add, already checked by `headerProblems`. */
  headers?: Record<string, string>;
}

export type TransformResult = { ok: true; output: TransformOutput } | { ok: false; error: string };

/** A limit or rule broken during evaluation; JSONata passes errors from callbacks through. */
class TransformFailure extends Error {}

/** Regular expressions can backtrack for minutes in one step no step cap can interrupt. */
class NoRegex {
  constructor() {
    throw new TransformFailure("regular expressions are not allowed in transforms");
  }
}

/** Why an expression may not be saved, or null. Parses it; evaluates nothing. */
export function checkTransform(expression: string): TransformProblem | null {
  if (expression.trim() === "") return { detail: "the expression is empty" };
  if (expression.length > L.expressionChars)
    return { detail: `the expression is longer than ${L.expressionChars} characters` };
  let ast: jsonata.ExprNode;
  try {
    ast = jsonata(expression).ast();
  } catch (err) {
    return syntaxProblem(err);
  }
  return refusedNode(ast);
}

function syntaxProblem(err: unknown): TransformProblem {
  const e = err as Partial<jsonata.JsonataError>;
  const message = typeof e.message === "string" ? e.message : String(err);
  if (typeof e.position !== "number") return { detail: `syntax error: ${message}` };
  return { detail: `syntax error at character ${e.position}: ${message}`, position: e.position };
}

/** The first construct a transform may not use: regular expressions and `$eval`. */
function refusedNode(node: unknown): TransformProblem | null {
  if (Array.isArray(node)) {
    for (const child of node) {
      const found = refusedNode(child);
      if (found) return found;
    }
    return null;
  }
  if (typeof node !== "object" || node === null) return null;
  const n = node as { type?: unknown; value?: unknown; position?: unknown };
  const at = typeof n.position === "number" ? { position: n.position } : {};
  if (n.type === "regex")
    return {
      detail: `regular expressions are not allowed in transforms${"position" in at ? ` (character ${at.position})` : ""}`,
      ...at,
    };
  // $eval would run text the checks here never saw.
  if (n.type === "variable" && n.value === "eval")
    return {
      detail: `$eval is not allowed in transforms${"position" in at ? ` (character ${at.position})` : ""}`,
      ...at,
    };
  for (const child of Object.values(node)) {
    const found = refusedNode(child);
    if (found) return found;
  }
  return null;
}

/**
 * Evaluates `expression` against `envelope` under the caps. The result is the body, or
 * `{ "body": ..., "path"?: ..., "headers"?: ... }` (an object with a `body` key and no keys
 * but those three) when the expression also sets extras.
 */
export async function runTransform(
  expression: string,
  envelope: unknown,
): Promise<TransformResult> {
  const refused = checkTransform(expression);
  if (refused) return { ok: false, error: refused.detail };
  try {
    const value = await evaluate(expression, envelope);
    return { ok: true, output: shape(value) };
  } catch (err) {
    return { ok: false, error: describe(err) };
  }
}

async function evaluate(expression: string, envelope: unknown): Promise<unknown> {
  // Compiled per evaluation: the step counter lives on the compiled expression's environment,
  // and evaluations of one expression may interleave within a batch.
  const expr = jsonata(expression, {
    stack: L.depth,
    timeout: L.timeoutMs,
    sequence: L.sequence,
    RegexEngine: NoRegex as unknown as RegExpConstructor,
  });
  let steps = 0;
  const onEntry = () => {
    if (++steps > L.steps)
      throw new TransformFailure(`evaluation exceeded ${L.steps} steps (time cap)`);
  };
  const onExit = (_expr: unknown, _input: unknown, _env: unknown, result: unknown) => {
    if (typeof result === "string") checkString(result.length);
    else if (Array.isArray(result) && result.length > L.sequence)
      throw new TransformFailure(`a sequence exceeded ${L.sequence} items`);
  };
  // The evaluation hooks are looked up by these symbols (`assign` is typed for names only).
  const assign = expr.assign as unknown as (name: symbol, value: unknown) => void;
  assign.call(expr, Symbol.for("jsonata.__evaluate_entry"), onEntry);
  assign.call(expr, Symbol.for("jsonata.__evaluate_exit"), onExit);
  return expr.evaluate(envelope, await cappedBuiltins());
}

function checkString(length: number): void {
  if (length > L.stringChars)
    throw new TransformFailure(`a string exceeded ${L.stringChars} characters`);
}

/** JSONata's own function object: its implementation runs after its signature checked the arguments. */
interface JsonataFunction {
  _jsonata_function: true;
  implementation: (...args: unknown[]) => unknown;
  signature?: unknown;
}

let builtins: Promise<Record<string, JsonataFunction>> | undefined;

/**
 * Built-ins that can make a huge string in one step (before any step hook sees it), wrapped to
 * refuse first: `$pad` (width), `$join` (total length), `$replace` (occurrences x replacement),
 * `$string` (serialised size). Bound per evaluation, they shadow the originals.
 */
function cappedBuiltins(): Promise<Record<string, JsonataFunction>> {
  builtins ??= (async () => {
    const [pad, join, replace, string] = (await jsonata(
      "[$pad, $join, $replace, $string]",
    ).evaluate(null)) as JsonataFunction[];
    if (!pad || !join || !replace || !string) throw new Error("JSONata built-ins not found");
    const wrap = (fn: JsonataFunction, check: (args: unknown[]) => void): JsonataFunction => ({
      ...fn,
      implementation(this: unknown, ...args: unknown[]) {
        check(args);
        return fn.implementation.apply(this, args);
      },
    });
    return {
      pad: wrap(pad, ([, width]) => {
        if (typeof width === "number") checkString(Math.abs(width));
      }),
      join: wrap(join, ([items, sep]) => {
        if (!Array.isArray(items)) return;
        let total = typeof sep === "string" ? sep.length * items.length : 0;
        for (const s of items) total += typeof s === "string" ? s.length : 0;
        checkString(total);
      }),
      replace: wrap(replace, ([text, pattern, replacement]) => {
        if (typeof text !== "string" || typeof pattern !== "string" || pattern === "") return;
        if (typeof replacement !== "string") return;
        let count = 0;
        for (let i = text.indexOf(pattern); i !== -1; i = text.indexOf(pattern, i + pattern.length))
          count++;
        checkString(text.length + count * Math.max(0, replacement.length - pattern.length));
      }),
      string: wrap(string, ([value]) => {
        jsonSize(value, 0);
      }),
    };
  })();
  return builtins;
}

/**
 * Characters `value` takes as JSON, roughly (string contents and keys, not punctuation), and
 * refuses what cannot be sent: functions, values nested too deep, too much text.
 */
function jsonSize(value: unknown, depth: number, seen = { chars: 0 }): number {
  if (depth > L.bodyDepth)
    throw new TransformFailure(`the output is nested deeper than ${L.bodyDepth}`);
  if (typeof value === "string") seen.chars += value.length;
  else if (typeof value === "function")
    throw new TransformFailure("the output holds a function, which has no JSON form");
  else if (Array.isArray(value)) for (const v of value) jsonSize(v, depth + 1, seen);
  else if (typeof value === "object" && value !== null) {
    if ((value as { _jsonata_function?: unknown })._jsonata_function)
      throw new TransformFailure("the output holds a function, which has no JSON form");
    for (const [k, v] of Object.entries(value)) {
      seen.chars += k.length;
      jsonSize(v, depth + 1, seen);
    }
  } else seen.chars += 8;
  if (seen.chars > L.bodyBytes)
    throw new TransformFailure(`the output exceeds ${L.bodyBytes} bytes`);
  return seen.chars;
}

const EXTRA_KEYS = new Set(["body", "path", "headers"]);

function isExtras(value: unknown): value is { body: unknown; path?: unknown; headers?: unknown } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.includes("body") && keys.every((k) => EXTRA_KEYS.has(k));
}

/** The evaluation's value as what to send; throws a TransformFailure when it cannot be sent. */
function shape(value: unknown): TransformOutput {
  const extras = isExtras(value) ? value : { body: value };
  if (extras.body === undefined) throw new TransformFailure("the transform produced no body");
  jsonSize(extras.body, 0);
  const body = JSON.stringify(extras.body);
  if (new TextEncoder().encode(body).byteLength > L.bodyBytes)
    throw new TransformFailure(`the output exceeds ${L.bodyBytes} bytes`);
  const output: TransformOutput = { body };
  if (extras.path !== undefined) {
    if (typeof extras.path !== "string") throw new TransformFailure("path must be a string");
    const problem = pathProblem(extras.path);
    if (problem) throw new TransformFailure(problem);
    output.path = extras.path;
  }
  if (extras.headers !== undefined) {
    const headers = extras.headers;
    if (typeof headers !== "object" || headers === null || Array.isArray(headers))
      throw new TransformFailure("headers must be an object of strings");
    const entries = Object.entries(headers);
    if (entries.some(([, v]) => typeof v !== "string"))
      throw new TransformFailure("headers must be an object of strings");
    const checked = Object.fromEntries(entries) as Record<string, string>;
    const problems = headerProblems(checked);
    if (problems.length > 0) throw new TransformFailure(problems.join("; "));
    if (entries.length > 0) output.headers = checked;
  }
  return output;
}

/** One line for the attempt log: JSONata's message, code and position, or the broken cap. */
function describe(err: unknown): string {
  if (err instanceof TransformFailure) return clip(err.message);
  const e = err as Partial<jsonata.JsonataError> & { message?: unknown };
  const message = typeof e.message === "string" ? e.message : String(err);
  // `$error("...")` (D3137): the expression's own words, said as they were written.
  if (e.code === "D3137") return clip(message);
  const where = typeof e.position === "number" ? ` at character ${e.position}` : "";
  const code = typeof e.code === "string" ? ` (${e.code}${where})` : "";
  return clip(`${message}${code}`);
}

/** Errors are kept in the attempt log, whose entries are billed by the byte. */
function clip(line: string): string {
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
