/**
 * The dashboard and the portal are clients of the HTTP API, run inside the same isolate: every
 * page reads and every form writes through the API's own routes, with the actor its cookie
 * session stands for. One path to D1, one set of validation rules, one audit trail; and the
 * portal's scope is the API's own app scoping, not a second implementation of it.
 */
import type { Context } from "hono";
import { actAs } from "../api/auth";
import type { Actor } from "../api/context";
import type { UiEnv } from "./session";

/** What the UI needs of the API app: its fetch handler. */
export interface ApiHandle {
  fetch(
    request: Request,
    env: Env,
    ctx: Context<UiEnv>["executionCtx"],
  ): Response | Promise<Response>;
}

/** An RFC 9457 problem as the API answers it. */
export interface Problem {
  status: number;
  title: string;
  detail?: string;
  /** Each offending field: a JSON pointer (or header/query name) and what is wrong with it. */
  errors?: { field: string; detail: string }[];
}

export type ApiResult<T> =
  /** `text` is the answer as sent: JSON.parse rounds big numbers, a filter's among them. */
  | { ok: true; status: number; data: T; headers: Headers; text: string }
  | { ok: false; status: number; problem: Problem; headers: Headers };

/** Calls the API as one actor, from one page request (its URL, env and execution context). */
export class ApiClient {
  constructor(
    private readonly c: Context<UiEnv>,
    readonly actor: Actor,
  ) {}

  get<T>(path: string, query?: Record<string, string | number | undefined | null>) {
    return this.call<T>("GET", withQuery(path, query));
  }

  post<T>(path: string, body?: unknown) {
    return this.call<T>("POST", path, body);
  }

  patch<T>(path: string, body: unknown) {
    return this.call<T>("PATCH", path, body);
  }

  delete<T>(path: string) {
    return this.call<T>("DELETE", path);
  }

  call<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    return this.callText<T>(method, path, body === undefined ? undefined : JSON.stringify(body));
  }

  /**
   * Sends a JSON body already serialised: a form's JSON text goes in as typed, so a big number
   * in a filter or a sample payload reaches the API unrounded.
   */
  async callText<T>(method: string, path: string, payload?: string): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (payload !== undefined) headers["content-type"] = "application/json";
    const request = actAs(
      new Request(new URL(path, this.c.req.url), { method, headers, body: payload }),
      this.actor,
    );
    const res = await this.c.var.api.fetch(request, this.c.env, this.c.executionCtx);
    const text = await res.text();
    const parsed = text === "" ? null : safeJson(text);
    if (res.ok)
      return { ok: true, status: res.status, data: parsed as T, headers: res.headers, text };
    const problem =
      parsed && typeof parsed === "object" && "title" in parsed
        ? (parsed as Problem)
        : { status: res.status, title: res.statusText || `HTTP ${res.status}` };
    return { ok: false, status: res.status, problem, headers: res.headers };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** `path?k=v&...`, leaving out empty values. */
export function withQuery(
  path: string,
  query?: Record<string, string | number | undefined | null>,
): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** The path of an app's API resource, with every id segment escaped. */
export function appPath(appId: string, ...rest: string[]): string {
  return ["/v1/apps", appId, ...rest]
    .map((s, i) => (i === 0 ? s : encodeURIComponent(s)))
    .join("/");
}
