import { LIMITS } from "../config";

/** Why an attempt got no usable response. */
export type AttemptError = "timeout" | "dns" | "connect" | "tls" | "reset" | "other";

/** What one HTTP try produced, as recorded in the attempt log. */
export interface AttemptOutcome {
  durationMs: number;
  statusCode?: number;
  error?: AttemptError;
  excerpt?: string;
  retryAfter: string | null;
}

/** One signed POST to an endpoint. */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

// First match wins, so the more specific kinds come first: "connection reset" must not
// read as a connect failure, nor "TLS connection closed" as a reset.
const ERROR_PATTERNS: [RegExp, AttemptError][] = [
  [/AbortError|TimeoutError|timed? ?out/i, "timeout"],
  [/dns|resolve|ENOTFOUND|EAI_AGAIN/i, "dns"],
  [/tls|ssl|certificate|handshake/i, "tls"],
  [/reset|ECONNRESET|EPIPE|closed|connection lost/i, "reset"],
  [/refused|ECONNREFUSED|connect|unreachable/i, "connect"],
];

function describe(err: unknown, depth = 0): string {
  if (!(err instanceof Error) || depth > 3) return String(err);
  const code = (err as { code?: unknown }).code;
  const parts = [err.name, err.message, typeof code === "string" ? code : ""];
  // Node-style fetch hides the socket error in `cause` behind a generic "fetch failed".
  if (err.cause !== undefined) parts.push(describe(err.cause, depth + 1));
  return parts.join(" ");
}

/** Maps a thrown fetch error to an attempt error kind by its name, message, code and cause. */
export function classifyFetchError(err: unknown): AttemptError {
  const text = describe(err);
  for (const [pattern, kind] of ERROR_PATTERNS) if (pattern.test(text)) return kind;
  return "other";
}

/** Whether a status counts as delivered under an endpoint's success rule. */
export function isSuccess(status: number, rule: "2xx" | "200"): boolean {
  return rule === "200" ? status === 200 : status >= 200 && status <= 299;
}

const TIMED_OUT = Symbol("timed out");

/** POSTs once under one deadline for connect, headers and body; never follows redirects. */
export async function postWebhook(
  req: WebhookRequest,
  fetcher: typeof fetch = fetch,
): Promise<AttemptOutcome> {
  const started = Date.now();
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Racing every await against one deadline covers a receiver that answers headers and then
  // stalls the body, which the fetch signal alone does not bound for every body source.
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(TIMED_OUT);
    }, req.timeoutMs);
  });
  const elapsed = () => Date.now() - started;
  try {
    let response: Response | typeof TIMED_OUT;
    try {
      response = await Promise.race([
        fetcher(req.url, {
          method: "POST",
          headers: req.headers,
          body: req.body,
          redirect: "manual",
          signal: controller.signal,
        }),
        deadline,
      ]);
    } catch (err) {
      return { durationMs: elapsed(), error: classifyFetchError(err), retryAfter: null };
    }
    if (response === TIMED_OUT) {
      return { durationMs: elapsed(), error: "timeout", retryAfter: null };
    }
    const base = { statusCode: response.status, retryAfter: response.headers.get("retry-after") };
    const read = await readExcerpt(response.body, deadline);
    return { durationMs: elapsed(), ...base, ...read };
  } finally {
    clearTimeout(timer);
  }
}

async function readExcerpt(
  body: ReadableStream<Uint8Array> | null,
  deadline: Promise<typeof TIMED_OUT>,
): Promise<{ excerpt?: string; error?: AttemptError }> {
  if (body === null) return {};
  const limit = LIMITS.responseExcerptBytes;
  const reader = body.getReader();
  const bytes = new Uint8Array(limit);
  let filled = 0;
  let error: AttemptError | undefined;
  try {
    while (filled < limit) {
      const chunk = await Promise.race([reader.read(), deadline]);
      if (chunk === TIMED_OUT) {
        error = "timeout";
        break;
      }
      if (chunk.done) break;
      const take = Math.min(chunk.value.byteLength, limit - filled);
      bytes.set(chunk.value.subarray(0, take), filled);
      filled += take;
    }
  } catch (err) {
    error = classifyFetchError(err);
  }
  // The rest of the body is of no use; cancelling stops the transfer instead of draining it.
  await reader.cancel().catch(() => undefined);
  // `stream: true` drops a character cut in half at the limit instead of emitting U+FFFD.
  const excerpt =
    filled > 0 ? new TextDecoder().decode(bytes.subarray(0, filled), { stream: true }) : undefined;
  return {
    ...(excerpt === undefined ? {} : { excerpt }),
    ...(error === undefined ? {} : { error }),
  };
}
