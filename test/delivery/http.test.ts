import { afterEach, describe, expect, it, vi } from "vitest";
import { classifyFetchError, isSuccess, postWebhook } from "../../src/delivery/http";

const REQ = {
  url: "https://receiver.example/hook",
  headers: { "content-type": "application/json", "webhook-id": "msg_1" },
  body: '{"type":"ping"}',
  timeoutMs: 2_000,
};

afterEach(() => {
  vi.restoreAllMocks();
});

/** A body of `total` bytes served in 64 KiB pulls, counting what was actually pulled. */
function countingStream(total: number) {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const counter = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.pulled >= total) {
        controller.close();
        return;
      }
      counter.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
    cancel() {
      counter.cancelled = true;
    },
  });
  return { stream, counter };
}

/** A body that sends `first` and then never another byte. */
function stallingStream(first: string) {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
    },
    pull() {
      return new Promise<void>(() => {});
    },
  });
}

describe("postWebhook", () => {
  it("posts the body and headers and reports status, excerpt and Retry-After", async () => {
    const fetcher = vi.fn<typeof fetch>(
      async () => new Response("slow down", { status: 429, headers: { "retry-after": "30" } }),
    );
    const outcome = await postWebhook(REQ, fetcher);
    expect(outcome).toMatchObject({ statusCode: 429, excerpt: "slow down", retryAfter: "30" });
    expect(outcome.error).toBeUndefined();
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    expect(outcome.durationMs).toBeLessThan(1_000);
    const [url, init] = fetcher.mock.calls[0] ?? [];
    expect(url).toBe(REQ.url);
    expect(init).toMatchObject({ method: "POST", body: REQ.body, headers: REQ.headers });
  });

  it("never follows a redirect", async () => {
    const fetcher = vi.fn<typeof fetch>(
      async () => new Response(null, { status: 302, headers: { location: "https://elsewhere/" } }),
    );
    const outcome = await postWebhook(REQ, fetcher);
    expect(fetcher).toHaveBeenCalledTimes(1);
    expect(fetcher.mock.calls[0]?.[1]?.redirect).toBe("manual");
    expect(outcome.statusCode).toBe(302);
    expect(outcome.excerpt).toBeUndefined();
    expect(isSuccess(outcome.statusCode ?? 0, "2xx")).toBe(false);
  });

  it("uses the global fetch by default", async () => {
    const spy = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("ok"));
    const outcome = await postWebhook(REQ);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]?.[1]?.redirect).toBe("manual");
    expect(outcome).toMatchObject({ statusCode: 200, excerpt: "ok", retryAfter: null });
  });

  it("reads at most 4 KiB of a 10 MB body and cancels the rest", async () => {
    const { stream, counter } = countingStream(10 * 1024 * 1024);
    const outcome = await postWebhook(REQ, async () => new Response(stream, { status: 500 }));
    expect(outcome.statusCode).toBe(500);
    expect(outcome.error).toBeUndefined();
    expect(outcome.excerpt?.length).toBe(4096);
    expect(counter.pulled).toBeLessThan(512 * 1024);
    expect(counter.cancelled).toBe(true);
  });

  it("drops a multi-byte character cut at the 4 KiB limit instead of garbling it", async () => {
    const body = `${"a".repeat(4095)}é tail`;
    const outcome = await postWebhook(REQ, async () => new Response(body));
    expect(outcome.excerpt).toBe("a".repeat(4095));
  });

  it("times out when the receiver never answers", async () => {
    let signal: AbortSignal | undefined;
    const fetcher: typeof fetch = (_url, init) => {
      signal = init?.signal ?? undefined;
      return new Promise<Response>(() => {});
    };
    const outcome = await postWebhook({ ...REQ, timeoutMs: 100 }, fetcher);
    expect(outcome.error).toBe("timeout");
    expect(outcome.statusCode).toBeUndefined();
    expect(outcome.durationMs).toBeGreaterThanOrEqual(90);
    expect(outcome.durationMs).toBeLessThan(1_000);
    expect(signal?.aborted).toBe(true);
  });

  it("times out a body that stalls after the headers, keeping the status", async () => {
    const outcome = await postWebhook(
      { ...REQ, timeoutMs: 100 },
      async () => new Response(stallingStream("partial"), { status: 200 }),
    );
    expect(outcome).toMatchObject({ statusCode: 200, error: "timeout", excerpt: "partial" });
    expect(outcome.durationMs).toBeLessThan(1_000);
  });

  it("classifies a thrown connection error", async () => {
    const outcome = await postWebhook(REQ, async () => {
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 10.0.0.1") });
    });
    expect(outcome).toEqual({ durationMs: expect.any(Number), error: "connect", retryAfter: null });
  });
});

describe("classifyFetchError", () => {
  const abort = new Error("The operation was aborted");
  abort.name = "AbortError";
  const timeout = new Error("signal timed out");
  timeout.name = "TimeoutError";
  const refused = Object.assign(new Error("socket failure"), { code: "ECONNREFUSED" });

  it.each([
    [abort, "timeout"],
    [timeout, "timeout"],
    [new Error("DNS lookup failed"), "dns"],
    [new Error("getaddrinfo ENOTFOUND receiver.example"), "dns"],
    [new Error("connect ECONNREFUSED 127.0.0.1:443"), "connect"],
    [new Error("Connection refused"), "connect"],
    [refused, "connect"],
    [new Error("TLS handshake failed"), "tls"],
    [new Error("certificate has expired"), "tls"],
    [new Error("read ECONNRESET"), "reset"],
    [new Error("Connection reset by peer"), "reset"],
    [new Error("Network connection lost."), "reset"],
    [new Error("socket closed unexpectedly"), "reset"],
    [new TypeError("Invalid URL"), "other"],
    ["a string", "other"],
    [undefined, "other"],
  ] as const)("classifies %s as %s", (err, kind) => {
    expect(classifyFetchError(err)).toBe(kind);
  });
});

describe("isSuccess", () => {
  it("accepts any 2xx under the 2xx rule", () => {
    expect([200, 201, 204, 299].every((s) => isSuccess(s, "2xx"))).toBe(true);
    expect([199, 300, 302, 404, 500].some((s) => isSuccess(s, "2xx"))).toBe(false);
  });

  it("accepts only 200 under the 200 rule", () => {
    expect(isSuccess(200, "200")).toBe(true);
    expect(isSuccess(204, "200")).toBe(false);
  });
});
