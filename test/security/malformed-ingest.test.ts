import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { countFor, streamOf } from "../api/support";
import { call, ingestCounts, newApp, newEndpoint } from "../helpers";

/**
 * Property: whatever is malformed about an ingest request (media type, JSON text, shape, field
 * values, nesting, size, idempotency header), the answer is a 4xx problem+json and nothing is
 * written. Every generated case is malformed by construction; `valid()` double-checks the
 * generators never produce an acceptable body.
 */

const RUNS = 1000;
const MAX_BODY = 256 * 1024;
/** Event type names: ASCII letters, digits, `_`, `-`, dot-separated, at most 128 chars. */
const EVENT_TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

interface Case {
  kind: string;
  /** Body bytes: a string (UTF-8), raw bytes, or a stream (no content-length). */
  body: string | Uint8Array | { stream: string };
  /** undefined: no content-type header at all. */
  contentType: string | undefined;
  headers?: Record<string, string>;
}

const validEventType = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join("."));
const validPayload = fc.dictionary(
  fc.stringMatching(/^[a-z]{1,8}$/),
  fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null)),
  { maxKeys: 4 },
);
const validBody = fc.record({ eventType: validEventType, payload: validPayload });
/** Everything JSON can hold except an object (arrays, strings, numbers, null, booleans). */
const nonObject = fc.oneof(
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.string({ maxLength: 30 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
);

/** Would the API accept this JSON value as an ingest body (ignoring the Idempotency-Key)? */
function valid(value: unknown): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  if (depth(value) > 32) return false;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v);
  if (keys.some((k) => !["eventType", "payload", "eventId"].includes(k))) return false;
  const et = v.eventType;
  if (typeof et !== "string" || et.length < 1 || et.length > 128 || !EVENT_TYPE.test(et)) {
    return false;
  }
  const p = v.payload;
  if (p === null || typeof p !== "object" || Array.isArray(p)) return false;
  if ("eventId" in v) {
    const id = v.eventId;
    if (typeof id !== "string" || id.length > 256 || !VISIBLE_ASCII.test(id)) return false;
  }
  return true;
}

/** Nesting depth of a parsed value, counting no further than `cap` (bodies nest thousands deep). */
function depth(value: unknown, cap = 40): number {
  if (value === null || typeof value !== "object" || cap === 0) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map((v) => depth(v, cap - 1)));
}

/**
 * POSTs straight to the Worker's fetch handler. (`exports.default.fetch`, which `call()` uses,
 * gets slower with every request in one test, roughly quadratically: 1,000 calls would not fit.)
 */
async function post(
  appId: string,
  key: string,
  body: BodyInit,
  headers: Record<string, string>,
): Promise<{ status: number; contentType: string | null; body: unknown }> {
  const req = new Request(`https://hooklane.test/v1/apps/${appId}/messages`, {
    method: "POST",
    headers: { ...headers, authorization: `Bearer ${key}` },
    body,
  });
  const res = await worker.fetch(req, env, createExecutionContext());
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // reported as is
  }
  return { status: res.status, contentType: res.headers.get("content-type"), body: parsed };
}

const json = (value: unknown, kind: string): Case => ({
  kind,
  body: JSON.stringify(value),
  contentType: "application/json",
});

// --- media type -------------------------------------------------------------------------
const wrongContentType = fc
  .record({
    body: validBody,
    contentType: fc.constantFrom(
      "text/plain",
      "text/plain;charset=UTF-8",
      "text/json",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      "application/jsonx",
      "application/json-patch",
      "json",
      "application/octet-stream",
      "*/*",
      "",
    ),
  })
  .map(
    ({ body, contentType }): Case => ({
      kind: "wrong content-type",
      body: JSON.stringify(body),
      contentType,
    }),
  );
// A byte body gets no default content-type from Request (a string would get text/plain).
const missingContentType = validBody.map(
  (body): Case => ({
    kind: "missing content-type",
    body: new TextEncoder().encode(JSON.stringify(body)),
    contentType: undefined,
  }),
);

// --- JSON text ----------------------------------------------------------------------------
const brokenJson = fc.oneof(
  fc.constantFrom(
    '{"eventType":"a.b","payload":{}',
    '{"eventType":"a.b","payload":{},}',
    "{'eventType':'a.b','payload':{}}",
    '{eventType:"a.b",payload:{}}',
    '{"eventType":"a.b","payload":NaN}',
    '{"eventType":"a.b","payload":{"n":01}}',
    '{"eventType":"a.b","payload":{"n":Infinity}}',
    '{"eventType":"a.b","payload":undefined}',
    '{"eventType":"a.b","payload":{}}garbage',
    '{"eventType":"a.b","payload":{}}{"eventType":"a.b","payload":{}}',
    '{"eventType":"a.b" "payload":{}}',
    '{"eventType":"a\u0001.b","payload":{}}',
    "[",
    "}",
    "nul",
    "tru",
    "\u0000",
  ),
  fc.string({ minLength: 1, maxLength: 60, unit: "binary" }).filter((s) => {
    if (s.trim() === "") return false;
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
  // A valid body cut short somewhere.
  validBody.chain((body) => {
    const text = JSON.stringify(body);
    return fc.integer({ min: 1, max: text.length - 1 }).map((n) => text.slice(0, n));
  }),
);
const invalidJson = brokenJson.map(
  (body): Case => ({ kind: "invalid JSON", body, contentType: "application/json" }),
);
// Bytes that are not UTF-8 at all, inside an otherwise valid document.
const invalidUtf8 = fc
  .constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80])
  .map((bad): Case => {
    const enc = new TextEncoder();
    const head = enc.encode('{"eventType":"a.b","payload":{"s":"');
    const tail = enc.encode('"}}');
    return {
      kind: "invalid UTF-8",
      body: new Uint8Array([...head, ...bad, ...tail]),
      contentType: "application/json",
    };
  });

// --- shape ----------------------------------------------------------------------------------
const nonObjectBody = nonObject.map((v) => json(v, "non-object body"));
const nonObjectPayload = fc
  .record({ eventType: validEventType, payload: nonObject })
  .map((v) => json(v, "non-object payload"));
const missingFields = fc
  .oneof(
    fc.constant({}),
    validEventType.map((eventType) => ({ eventType })),
    validPayload.map((payload) => ({ payload })),
    fc.string({ maxLength: 20 }).map((eventId) => ({ eventId })),
    validBody.map(({ eventType, payload }) => ({ event_type: eventType, payload })),
    validBody.map(({ eventType, payload }) => ({ type: eventType, data: payload })),
  )
  .map((v) => json(v, "missing field"));
// Built as text so a key like "__proto__" stays an own property, as JSON.parse would make it.
const extraField = fc
  .record({
    body: validBody,
    key: fc.oneof(
      fc.constantFrom("__proto__", "constructor", "id", "EventType", "eventtype", "data", ""),
      fc.string({ maxLength: 16 }),
    ),
    value: fc.jsonValue({ maxDepth: 2 }),
  })
  .filter(({ key }) => !["eventType", "payload", "eventId"].includes(key))
  .map(({ body, key, value }): Case => {
    const text = JSON.stringify(body);
    return {
      kind: "extra field",
      body: `${text.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value ?? null)}}`,
      contentType: "application/json",
    };
  });

// --- event type names -----------------------------------------------------------------------
const badEventTypeName = fc
  .oneof(
    fc.constant(""),
    fc.stringMatching(/^[a-z]{129,200}$/),
    validEventType.map((s) => `${s}.${"x".repeat(130)}`),
    fc.tuple(validEventType, validEventType).map(([a, b]) => `${a} ${b}`),
    fc.tuple(validEventType, validEventType).map(([a, b]) => `${a}/${b}`),
    fc
      .tuple(validEventType, fc.constantFrom("é", "ü", "ß", "中", "🙂", "\u00a0", "ı", "K"))
      .map(([a, c]) => `${a}${c}`),
    validEventType.map((s) => `.${s}`),
    validEventType.map((s) => `${s}.`),
    fc.tuple(validEventType, validEventType).map(([a, b]) => `${a}..${b}`),
    fc.constantFrom(
      ".",
      "..",
      " ",
      "a b",
      "a/b",
      "a\tb",
      "a\nb",
      "a*",
      "*",
      "a.*",
      "a:b",
      "a\u0000b",
    ),
    fc.string({ minLength: 1, maxLength: 40 }),
  )
  .filter((s) => !(s.length >= 1 && s.length <= 128 && EVENT_TYPE.test(s)));
const badEventType = fc
  .record({
    eventType: fc.oneof(
      { weight: 4, arbitrary: badEventTypeName },
      { weight: 1, arbitrary: nonObject.filter((v) => typeof v !== "string") },
    ),
    payload: validPayload,
  })
  .map((v) => json(v, "bad eventType"));

// --- eventId --------------------------------------------------------------------------------
const badEventIdValue = fc.oneof(
  fc.constant(""),
  fc.stringMatching(/^[A-Za-z0-9]{257,400}$/),
  fc.constantFrom("a b", " a", "a ", "a\tb", "é", "id-\u0000", "id\n", "🙂", "\u007f"),
  fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !VISIBLE_ASCII.test(s)),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.constant({ id: "x" }),
);
const badEventId = fc
  .record({ body: validBody, eventId: badEventIdValue })
  .map(({ body, eventId }) => json({ ...body, eventId }, "bad eventId"));

// --- nesting --------------------------------------------------------------------------------
// The body itself is depth 1 and `payload` depth 2, so `inner` more levels make 2 + inner > 32.
const tooDeep = fc
  .record({
    eventType: validEventType,
    inner: fc.oneof(fc.integer({ min: 31, max: 40 }), fc.integer({ min: 41, max: 5000 })),
    brackets: fc.constantFrom("object", "array", "mixed"),
  })
  .map(({ eventType, inner, brackets }): Case => {
    let open = "";
    let close = "";
    for (let i = 0; i < inner; i++) {
      const obj = brackets === "object" || (brackets === "mixed" && i % 2 === 0);
      open += obj ? '{"k":' : "[";
      close = (obj ? "}" : "]") + close;
    }
    return {
      kind: "nesting > 32",
      body: `{"eventType":${JSON.stringify(eventType)},"payload":{"deep":${open}1${close}}}`,
      contentType: "application/json",
    };
  });

// --- size -------------------------------------------------------------------------------------
const oversize = fc
  .record({
    extra: fc.integer({ min: 1, max: 64 * 1024 }),
    streamed: fc.boolean(),
  })
  .map(({ extra, streamed }): Case => {
    const head = '{"eventType":"a.b","payload":{"blob":"';
    const tail = '"}}';
    const text = `${head}${"a".repeat(MAX_BODY - head.length - tail.length + extra)}${tail}`;
    return {
      kind: streamed ? "oversize, streamed" : "oversize",
      body: streamed ? { stream: text } : text,
      contentType: "application/json",
    };
  });

// --- Idempotency-Key header (the body is valid: only the header is wrong) ----------------------
const badIdempotencyKey = fc
  .record({
    body: validBody,
    key: fc.oneof(
      fc.constant(""),
      fc.stringMatching(/^[A-Za-z0-9]{257,400}$/),
      fc.constantFrom("a b", "a\tb", "key with spaces", "é", "clé-1", "a\u00a0b", "\u00ff"),
      // Latin-1 is all a header value can carry beyond ASCII; inner spaces are kept by Headers.
      fc
        .tuple(
          fc.stringMatching(/^[A-Za-z0-9]{1,10}$/),
          fc.constantFrom(" ", "\t", " ", "\t", "é", "\u00a0"),
          fc.stringMatching(/^[A-Za-z0-9]{1,10}$/),
        )
        .map(([a, c, b]) => `${a}${c}${b}`),
    ),
  })
  .map(
    ({ body, key }): Case => ({
      kind: "bad Idempotency-Key",
      body: JSON.stringify(body),
      contentType: "application/json",
      headers: { "idempotency-key": key },
    }),
  );

const malformed: fc.Arbitrary<Case> = fc.oneof(
  { weight: 8, arbitrary: wrongContentType },
  { weight: 5, arbitrary: missingContentType },
  { weight: 10, arbitrary: invalidJson },
  { weight: 2, arbitrary: invalidUtf8 },
  { weight: 8, arbitrary: nonObjectBody },
  { weight: 8, arbitrary: nonObjectPayload },
  { weight: 6, arbitrary: missingFields },
  { weight: 6, arbitrary: extraField },
  { weight: 14, arbitrary: badEventType },
  { weight: 8, arbitrary: badEventId },
  { weight: 6, arbitrary: tooDeep },
  { weight: 1, arbitrary: oversize },
  { weight: 8, arbitrary: badIdempotencyKey },
);

describe("malformed ingest (property-based)", () => {
  let appId: string;
  let key: string;

  beforeAll(async () => {
    ({ appId, key } = await newApp("fuzz"));
    // Endpoints that take every event type: an accepted message would be fanned out, and the
    // FIFO one would get an open row as well.
    await newEndpoint(appId, { eventTypes: [] });
    await newEndpoint(appId, {
      url: "https://fifo.example.com/hook",
      eventTypes: [],
      ordering: "fifo",
    });
  });

  it("the generators only make bodies the API must refuse", () => {
    fc.assert(
      fc.property(malformed, (c) => {
        if (c.kind === "bad Idempotency-Key" || typeof c.body !== "string") return;
        if (c.body.length > MAX_BODY) return; // refused for its size alone
        if (!c.kind.includes("content-type")) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(c.body);
          } catch {
            return;
          }
          expect(valid(parsed), `${c.kind}: ${c.body.slice(0, 200)}`).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it(`answers ${RUNS} malformed requests with 4xx problem+json and writes nothing`, async () => {
    const before = await ingestCounts();
    const kinds = new Map<string, number>();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(malformed, async (c) => {
        kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
        const headers: Record<string, string> = { ...c.headers };
        if (c.contentType !== undefined) headers["content-type"] = c.contentType;
        const raw =
          typeof c.body === "object" && "stream" in c.body ? streamOf(c.body.stream) : c.body;
        const res = await post(appId, key, raw, headers);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const what = `${c.kind} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
        expect(res.status, what).toBeGreaterThanOrEqual(400);
        expect(res.status, what).toBeLessThan(500);
        expect(res.contentType, what).toBe("application/problem+json");
        expect((res.body as { status?: number }).status, what).toBe(res.status);
      }),
      { numRuns: RUNS },
    );
    expect(await ingestCounts()).toEqual(before);
    expect(await countFor("messages", appId)).toBe(0);
    expect(await countFor("open_deliveries", appId)).toBe(0);
    expect(await countFor("idempotency_keys", appId)).toBe(0);
    // Every family was exercised (weights make each near-certain in 1,000 runs).
    expect([...kinds.keys()].sort()).toEqual(
      [
        "bad Idempotency-Key",
        "bad eventId",
        "bad eventType",
        "extra field",
        "invalid JSON",
        "invalid UTF-8",
        "missing content-type",
        "missing field",
        "nesting > 32",
        "non-object body",
        "non-object payload",
        "wrong content-type",
        ...(kinds.has("oversize") ? ["oversize"] : []),
        ...(kinds.has("oversize, streamed") ? ["oversize, streamed"] : []),
      ].sort(),
    );
    console.info(
      `malformed ingest: ${JSON.stringify(Object.fromEntries(kinds))}; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  }, 120_000);

  it("the same app still accepts a well-formed message (the refusals were not blanket)", async () => {
    const res = await call("POST", `/v1/apps/${appId}/messages`, {
      token: key,
      body: { eventType: "a.b", payload: {} },
      headers: { "idempotency-key": "fine-key" },
    });
    expect(res.status).toBe(202);
    // The counts above would have seen a write: this one shows up in each of them.
    expect(await countFor("messages", appId)).toBe(1);
    expect(await countFor("idempotency_keys", appId)).toBe(1);
    expect((res.body as { deliveries: unknown[] }).deliveries).toHaveLength(2);
  });
});
