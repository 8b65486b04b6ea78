/**
 * The typed client (packages/client) against a scripted fake `fetch`, inside workerd: retries
 * and their idempotency key, Retry-After, problem parsing, URLs. The end-to-end test against a
 * running service is test/e2e/client.test.ts.
 */
import { type FetchLike, Hooklane, HooklaneError, paginate } from "@hooklane/client";
import { afterEach, describe, expect, it, vi } from "vitest";

type Step = Response | Error;
interface Sent {
  url: string;
  method: string;
  headers: Headers;
  body: string | undefined;
  at: number;
}

/** A fetch answering `steps` in order (the last one again once they run out), recording each call. */
function scripted(...steps: (() => Step)[]): { fetch: FetchLike; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetch: FetchLike = async (url, init) => {
    sent.push({
      url,
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body: typeof init.body === "string" ? init.body : undefined,
      at: Date.now(),
    });
    const step = steps[Math.min(sent.length, steps.length) - 1];
    const answer = step?.() ?? new Error("no step scripted");
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { fetch, sent };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });
const problem =
  (status: number, title: string, extra: object = {}, headers = {}) =>
  () =>
    new Response(JSON.stringify({ type: "about:blank", title, status, ...extra }), {
      status,
      headers: { "content-type": "application/problem+json", ...headers },
    });
const networkError = () => () => new TypeError("fetch failed");

const MESSAGE = { id: "msg_1", eventType: "invoice.paid", createdAt: "2026-01-01T00:00:00Z" };
const SEND = { eventType: "invoice.paid", payload: { invoice: "1001" } };

function client(fetch: FetchLike, retries = 3): Hooklane {
  return new Hooklane({
    baseUrl: "https://hooklane.test/",
    token: "tok",
    fetch,
    retries,
    retryDelayMs: 1,
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("messages.send and idempotency", () => {
  it("makes one key and sends it on every retry (network error, 503, 500)", async () => {
    const { fetch, sent } = scripted(
      networkError(),
      problem(503, "Service Unavailable"),
      problem(500, "Internal Server Error"),
      json(202, MESSAGE),
    );
    const hooklane = client(fetch);
    await expect(hooklane.messages.send("app_1", SEND)).resolves.toEqual(MESSAGE);
    expect(sent).toHaveLength(4);
    const keys = sent.map((s) => s.headers.get("idempotency-key"));
    expect(keys[0]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(new Set(keys).size).toBe(1);
    expect(sent.every((s) => s.body === JSON.stringify(SEND))).toBe(true);

    // Another send is another message: a new key.
    await hooklane.messages.send("app_1", SEND);
    expect(sent[4]?.headers.get("idempotency-key")).not.toBe(keys[0]);
  });

  it("sends the caller's key as is", async () => {
    const { fetch, sent } = scripted(networkError(), json(202, MESSAGE));
    await client(fetch).messages.send("app_1", SEND, { idempotencyKey: "invoice-1001-paid" });
    expect(sent.map((s) => s.headers.get("idempotency-key"))).toEqual([
      "invoice-1001-paid",
      "invoice-1001-paid",
    ]);
  });

  it("lets an eventId be the key (no header that would replace it), and still retries", async () => {
    const { fetch, sent } = scripted(problem(502, "Bad Gateway"), json(202, MESSAGE));
    await client(fetch).messages.send("app_1", { ...SEND, eventId: "evt_1" });
    expect(sent).toHaveLength(2);
    expect(sent.map((s) => s.headers.get("idempotency-key"))).toEqual([null, null]);
  });

  it("stops after `retries` retries and throws the last answer's problem", async () => {
    const { fetch, sent } = scripted(problem(503, "Service Unavailable", { detail: "moving" }));
    const err = await client(fetch, 2)
      .messages.send("app_1", SEND)
      .catch((e: unknown) => e);
    expect(sent).toHaveLength(3);
    expect(err).toBeInstanceOf(HooklaneError);
    expect((err as HooklaneError).status).toBe(503);
    expect((err as HooklaneError).message).toBe("503 Service Unavailable: moving");
  });

  it("rethrows the network error when the retries run out", async () => {
    const { fetch, sent } = scripted(networkError());
    await expect(client(fetch, 1).messages.send("app_1", SEND)).rejects.toThrow("fetch failed");
    expect(sent).toHaveLength(2);
  });
});

describe("what is retried", () => {
  it("retries a GET on network errors and 5xx", async () => {
    const { fetch, sent } = scripted(
      networkError(),
      problem(504, "Gateway Timeout"),
      json(200, {}),
    );
    await client(fetch).apps.get("app_1");
    expect(sent).toHaveLength(3);
  });

  it("never repeats a POST without a key after a network error or a 5xx", async () => {
    const lost = scripted(networkError(), json(201, { id: "app_1" }));
    await expect(client(lost.fetch).apps.create({ name: "Acme" })).rejects.toThrow("fetch failed");
    expect(lost.sent).toHaveLength(1);

    const failed = scripted(problem(500, "Internal Server Error"), json(201, { id: "app_1" }));
    await expect(client(failed.fetch).apps.create({ name: "Acme" })).rejects.toBeInstanceOf(
      HooklaneError,
    );
    expect(failed.sent).toHaveLength(1);
  });

  it("retries any request on 429: it was refused before any work", async () => {
    const { fetch, sent } = scripted(problem(429, "Too Many Requests"), json(201, { id: "app_1" }));
    await expect(client(fetch).apps.create({ name: "Acme" })).resolves.toEqual({ id: "app_1" });
    expect(sent).toHaveLength(2);
  });

  it("does not retry other 4xx answers", async () => {
    const { fetch, sent } = scripted(problem(404, "Not Found"));
    await expect(client(fetch).apps.get("app_1")).rejects.toBeInstanceOf(HooklaneError);
    expect(sent).toHaveLength(1);
  });
});

describe("Retry-After", () => {
  it("waits the seconds the answer asks for", async () => {
    vi.useFakeTimers();
    const { fetch, sent } = scripted(
      problem(429, "Too Many Requests", {}, { "retry-after": "3" }),
      json(202, MESSAGE),
    );
    const sending = client(fetch).messages.send("app_1", SEND);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(sending).resolves.toEqual(MESSAGE);
    expect(sent).toHaveLength(2);
    expect((sent[1]?.at ?? 0) - (sent[0]?.at ?? 0)).toBe(3_000);
  });

  it("reads an HTTP date", async () => {
    vi.useFakeTimers({ now: Date.parse("2026-01-01T00:00:00Z") });
    const later = new Date(Date.parse("2026-01-01T00:00:05Z")).toUTCString();
    const { fetch, sent } = scripted(
      problem(503, "Service Unavailable", {}, { "retry-after": later }),
      json(200, {}),
    );
    const getting = client(fetch).apps.get("app_1");
    await vi.advanceTimersByTimeAsync(5_000);
    await getting;
    expect((sent[1]?.at ?? 0) - (sent[0]?.at ?? 0)).toBe(5_000);
  });

  it("gives up at once when asked to wait longer than maxRetryAfterMs", async () => {
    const { fetch, sent } = scripted(
      problem(429, "Too Many Requests", {}, { "retry-after": "120" }),
      json(202, MESSAGE),
    );
    const hooklane = new Hooklane({ baseUrl: "https://h.test", token: "t", fetch });
    const err = await hooklane.messages.send("app_1", SEND).catch((e: unknown) => e);
    expect(sent).toHaveLength(1);
    expect((err as HooklaneError).headers.get("retry-after")).toBe("120");
  });

  it("stops waiting when the signal aborts", async () => {
    const { fetch, sent } = scripted(problem(503, "Busy", {}, { "retry-after": "30" }));
    const controller = new AbortController();
    const hooklane = client(fetch);
    const sending = hooklane.messages.send("app_1", SEND, { signal: controller.signal });
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    controller.abort(new Error("caller gave up"));
    await expect(sending).rejects.toThrow("caller gave up");
    expect(sent).toHaveLength(1);
  });
});

describe("problems", () => {
  it("parses a 422 with its errors", async () => {
    const answer = {
      type: "https://hooklane.dev/problems/validation",
      title: "Unprocessable Content",
      status: 422,
      detail: "The request body is invalid.",
      instance: "/v1/apps",
      errors: [{ field: "name", detail: "Expected string, received number" }],
    };
    const { fetch } = scripted(problem(422, "", answer));
    const err = await client(fetch)
      .apps.create({ name: "" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HooklaneError);
    const e = err as HooklaneError;
    expect(e.problem).toEqual(answer);
    expect([e.status, e.type, e.title, e.detail, e.instance]).toEqual([
      422,
      answer.type,
      answer.title,
      answer.detail,
      answer.instance,
    ]);
    expect(e.errors).toEqual(answer.errors);
    expect(e.name).toBe("HooklaneError");
  });

  it("makes a problem of an answer that is not one", async () => {
    const { fetch } = scripted(
      () => new Response("<h1>Bad gateway</h1>", { status: 502, statusText: "Bad Gateway" }),
    );
    const err = (await client(fetch, 0)
      .apps.get("app_1")
      .catch((e: unknown) => e)) as HooklaneError;
    expect(err.problem).toEqual({
      type: "about:blank",
      title: "Bad Gateway",
      status: 502,
      detail: "<h1>Bad gateway</h1>",
    });
    expect(err.errors).toEqual([]);
  });
});

describe("requests", () => {
  it("builds the URL, headers and body from the operation", async () => {
    const { fetch, sent } = scripted(json(200, { data: [], nextCursor: null }));
    const hooklane = client(fetch);
    await hooklane.messages.list("app/1", { limit: 5, status: "dead", cursor: undefined });
    await hooklane.endpoints.update("app_1", "ep 2", { disabled: true });
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      "GET https://hooklane.test/v1/apps/app%2F1/messages?limit=5&status=dead",
      "PATCH https://hooklane.test/v1/apps/app_1/endpoints/ep%202",
    ]);
    expect(sent[0]?.headers.get("authorization")).toBe("Bearer tok");
    expect(sent[0]?.headers.get("content-type")).toBeNull();
    expect(sent[1]?.headers.get("content-type")).toBe("application/json");
    expect(sent[1]?.body).toBe('{"disabled":true}');
  });

  it("refuses ids that would name another route", async () => {
    const { fetch, sent } = scripted(json(200, {}));
    await expect(client(fetch).apps.get("..")).rejects.toThrow(TypeError);
    await expect(client(fetch).apps.get("")).rejects.toThrow(TypeError);
    expect(sent).toHaveLength(0);
  });

  it("answers undefined for 204", async () => {
    const { fetch } = scripted(() => new Response(null, { status: 204 }));
    await expect(client(fetch).apps.delete("app_1")).resolves.toBeUndefined();
  });

  it("walks every page with paginate", async () => {
    const { fetch, sent } = scripted(
      json(200, { data: [{ id: "a" }, { id: "b" }], nextCursor: "c1" }),
      json(200, { data: [{ id: "c" }], nextCursor: null }),
    );
    const hooklane = client(fetch);
    const ids: string[] = [];
    for await (const app of paginate((cursor) => hooklane.apps.list({ limit: 2, cursor }))) {
      ids.push(app.id);
    }
    expect(ids).toEqual(["a", "b", "c"]);
    expect(sent[1]?.url).toBe("https://hooklane.test/v1/apps?limit=2&cursor=c1");
  });
});
