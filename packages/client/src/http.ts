/**
 * The transport under every call: builds the URL from the operation's path template, sends
 * with `fetch`, retries what may be repeated, and turns error answers into HooklaneError. Uses
 * only `fetch`, `Headers`, `URLSearchParams`, `AbortSignal` and timers, so it runs in Node 20+,
 * browsers and Workers alike.
 */
import { problemError } from "./errors.js";
import type {
  Method,
  MethodOf,
  OperationAt,
  PathParams,
  paths,
  QueryParams,
  RequestBody,
  SuccessBody,
} from "./types.js";

/** The slice of `fetch` the client calls. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** The service's origin, e.g. `https://hooklane.example.com` (the paths start at `/v1`). */
  baseUrl: string;
  /** The operator's admin token or an app's API key (`hk_...`). */
  token: string;
  /** Used instead of the global `fetch` (tests, proxies, a Worker's service binding). */
  fetch?: FetchLike;
  /** Retries after the first try (default 3); 0 turns retrying off. */
  retries?: number;
  /** The first retry's delay without `Retry-After`, in ms (default 500): doubled each time, jittered, at most 8 s. */
  retryDelayMs?: number;
  /** The longest `Retry-After` waited for, in ms (default 60,000); a longer one ends the retries. */
  maxRetryAfterMs?: number;
}

/** Options every call takes. */
export interface RequestOptions {
  signal?: AbortSignal;
}

type HeaderParams<O> = O extends { parameters: { header?: infer T } }
  ? Exclude<T, undefined>
  : never;

/** Drops the fields an operation has no use for and requires the ones it needs. */
type Field<Name extends string, T, Optional extends boolean = false> = [T] extends [never]
  ? { [K in Name]?: undefined }
  : Optional extends true
    ? { [K in Name]?: T }
    : { [K in Name]: T };

/** What a call to operation `O` takes. */
export type CallInit<O> = RequestOptions &
  Field<"path", PathParams<O>> &
  Field<"query", QueryParams<O>, true> &
  Field<"header", HeaderParams<O>, true> &
  Field<"body", RequestBody<O>> & {
    /**
     * Whether sending it twice has the effect of sending it once, so network errors and 5xx
     * answers may be retried: true by default except for POST (429 is retried for all).
     */
    repeatable?: boolean;
  };

interface LooseInit extends RequestOptions {
  path?: Record<string, string>;
  query?: Record<string, string | number | boolean | null | undefined>;
  header?: Record<string, string | undefined>;
  body?: unknown;
  repeatable?: boolean;
}

const MAX_BACKOFF_MS = 8_000;

/** A `Retry-After` value (seconds or an HTTP date) in ms from now; undefined when absent or unreadable. */
function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function segment(name: string, value: string | undefined): string {
  // "" "." and ".." would change which route the URL names.
  if (value === undefined || value === "" || value === "." || value === "..") {
    throw new TypeError(
      `path parameter ${name} must be a non-empty id, got ${JSON.stringify(value)}`,
    );
  }
  return encodeURIComponent(value);
}

export class Transport {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #fetch: FetchLike;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryAfterMs: number;

  constructor(options: ClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#token = options.token;
    // Called as a plain function: Workers refuse a `fetch` called on another `this`.
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#retries = Math.max(0, Math.floor(options.retries ?? 3));
    this.#retryDelayMs = options.retryDelayMs ?? 500;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  }

  /** Calls the operation at `method` `path`; resolves to its success answer or throws HooklaneError. */
  async call<P extends keyof paths, M extends MethodOf<P>>(
    method: M,
    path: P,
    init: CallInit<OperationAt<P, M>>,
  ): Promise<SuccessBody<OperationAt<P, M>>> {
    const { path: params, query, header, body, signal, repeatable } = init as LooseInit;
    const url = this.#url(path, params, query);
    const headers = new Headers({
      accept: "application/json, application/problem+json",
      authorization: `Bearer ${this.#token}`,
    });
    for (const [name, value] of Object.entries(header ?? {})) {
      if (value !== undefined) headers.set(name, value);
    }
    if (body !== undefined) headers.set("content-type", "application/json");
    const res = await this.#send(
      url,
      {
        method: (method as Method).toUpperCase(),
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      },
      repeatable ?? method !== "post",
    );
    if (!res.ok) throw await problemError(res);
    const text = await res.text();
    return (text === "" ? undefined : JSON.parse(text)) as SuccessBody<OperationAt<P, M>>;
  }

  #url(template: string, params: LooseInit["path"], query: LooseInit["query"]): string {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => segment(name, params?.[name]));
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) search.append(name, String(value));
    }
    const qs = search.toString();
    return `${this.#baseUrl}${path}${qs === "" ? "" : `?${qs}`}`;
  }

  /**
   * Sends, retrying up to `retries` times: 429 always (the request was refused before any
   * work), network errors and 5xx only when the request is repeatable. The wait is the answer's
   * `Retry-After` when it has one (a longer one than `maxRetryAfterMs` is not waited for), an
   * exponential backoff with jitter otherwise.
   */
  async #send(url: string, init: RequestInit, repeatable: boolean): Promise<Response> {
    const signal = init.signal ?? undefined;
    for (let retry = 0; ; retry++) {
      const last = retry >= this.#retries;
      let res: Response;
      try {
        res = await this.#fetch(url, init);
      } catch (err) {
        if (last || !repeatable || signal?.aborted) throw err;
        await sleep(this.#backoff(retry), signal);
        continue;
      }
      if (last || !(res.status === 429 || (repeatable && res.status >= 500))) return res;
      const wait = retryAfterMs(res.headers.get("retry-after")) ?? this.#backoff(retry);
      if (wait > this.#maxRetryAfterMs) return res;
      await res.body?.cancel().catch(() => undefined);
      await sleep(wait, signal);
    }
  }

  #backoff(retry: number): number {
    const ceiling = Math.min(MAX_BACKOFF_MS, this.#retryDelayMs * 2 ** retry);
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  }
}
