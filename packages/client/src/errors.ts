import type { Problem } from "./types.js";

/** One field a 422 answer refused, and why. */
export type FieldError = NonNullable<Problem["errors"]>[number];

/**
 * An error answer from the API (after any retries), carrying its RFC 9457 problem. Answers
 * that are not `application/problem+json` (a proxy's HTML 502, say) get a problem made from
 * their status, with `type` "about:blank".
 */
export class HooklaneError extends Error {
  override readonly name = "HooklaneError";
  /** The parsed problem as the API sent it. */
  readonly problem: Problem;
  /** The answer's headers (`retry-after`, for instance). */
  readonly headers: Headers;

  constructor(problem: Problem, headers: Headers) {
    super(`${problem.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ""}`);
    this.problem = problem;
    this.headers = headers;
  }

  get status(): number {
    return this.problem.status;
  }
  get type(): string {
    return this.problem.type;
  }
  get title(): string {
    return this.problem.title;
  }
  get detail(): string | undefined {
    return this.problem.detail;
  }
  get instance(): string | undefined {
    return this.problem.instance;
  }
  /** The refused fields of a 422; empty otherwise. */
  get errors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}

function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.status === "number" && typeof v.title === "string";
}

/** Reads an error answer into a {@link HooklaneError}. */
export async function problemError(res: Response): Promise<HooklaneError> {
  const text = await res.text().catch(() => "");
  let parsed: unknown;
  if (/\bjson\b/i.test(res.headers.get("content-type") ?? "")) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (isProblem(parsed)) {
    // RFC 9457: a problem without a type is "about:blank".
    const type = typeof parsed.type === "string" ? parsed.type : "about:blank";
    return new HooklaneError({ ...parsed, type }, res.headers);
  }
  const problem: Problem = {
    type: "about:blank",
    title: res.statusText || `HTTP ${res.status}`,
    status: res.status,
  };
  if (text !== "") problem.detail = text.slice(0, 500);
  return new HooklaneError(problem, res.headers);
}
