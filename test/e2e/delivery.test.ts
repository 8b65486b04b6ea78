import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueIndexOf } from "../../src/lib/spread";
import {
  type ApiResponse,
  type Hooklane,
  type Received,
  type Receiver,
  startHooklane,
  startReceiver,
} from "./harness";

/**
 * The delivery pipeline end to end: `wrangler dev` as the README starts it, with the product's
 * flow control (the default breaker rules and in-flight cap), a real receiver verifying every
 * request with `standardwebhooks`, 200 events to three endpoints (healthy, flaky, down),
 * retries, a breaker holding the down endpoint to its probes, dead letters, a bulk replay, and
 * every `webhook-id` accounted for.
 */

const EVENTS = 200;
const IN_FLIGHT = 10;
/** 3 retries, 4 attempts: seconds where production has minutes. */
const RETRY_SCHEDULE = "1,1,2";
const ATTEMPTS = 4;
/**
 * The breaker's cool-down, scaled like the retry schedule (production: 30 s doubling to 600 s);
 * its rules (5 failures in a row, the failure rate) and the in-flight cap stay the defaults.
 */
const COOLDOWN_S = 2;
const COOLDOWN_MAX_S = 4;
/** Default BREAKER_FAILURES: what an endpoint that never answered gets before the breaker opens. */
const BREAKER_FAILURES = 5;
const WAIT_MS = 120_000;

/** /flaky fails the first try of about 30% of the messages (the same ones every run), then answers. */
function flakyFails(webhookId: string, attempt: number): boolean {
  let h = 0;
  for (const ch of webhookId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return attempt === 1 && h % 10 < 3;
}
const PATHS = ["/healthy", "/flaky", "/failing"] as const;
type Path = (typeof PATHS)[number];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The body of an API answer as an object, failing the test with the answer when it is not. */
function record(res: ApiResponse, what: string): Record<string, unknown> {
  if (!isRecord(res.body)) throw new Error(`${what}: not a JSON object: ${String(res.body)}`);
  return res.body;
}

function str(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new Error(`expected string ${key} in ${JSON.stringify(o)}`);
  return v;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface DeadLetter {
  deliveryId: string;
  messageId: string;
  endpointId: string;
  reason: string;
  attempts: number;
}

describe("e2e delivery: healthy, flaky and failing endpoints, dead letters, bulk replay", () => {
  let hooklane: Hooklane | undefined;
  let receiver: Receiver | undefined;
  /** Flipped once the dead letters are in: /failing then answers 200. */
  let failingHealthy = false;

  beforeAll(async () => {
    receiver = await startReceiver(({ path, attempt, webhookId }) => {
      if (path === "/flaky") return { status: flakyFails(webhookId, attempt) ? 500 : 200 };
      if (path === "/failing") return { status: failingHealthy ? 200 : 500 };
      return { status: 200, body: "ok" };
    });
    // Two D1 shards and two delivery queues: the app lives on the second shard and its
    // endpoints' deliveries cross both queues.
    hooklane = await startHooklane({
      topology: { shards: 2, deliveryQueues: 2 },
      vars: {
        RETRY_SCHEDULE,
        // Receivers answer at once; a 5 s deadline keeps the retry window (the schedule at its
        // longest plus each attempt's deadline: 26 s) in proportion to the schedule.
        REQUEST_TIMEOUT_MS: "5000",
        BREAKER_COOLDOWN_S: String(COOLDOWN_S),
        BREAKER_COOLDOWN_MAX_S: String(COOLDOWN_MAX_S),
        // wrangler dev reloads the Worker when a source file changes and drops the queue's
        // delayed messages then; the sweeper re-sends such lost deliveries after this grace
        // (default 120 s, longer than this test waits). Far above the 1-2 s retry delays.
        SWEEP_GRACE_S: "10",
      },
    });
  });

  afterAll(async () => {
    await hooklane?.stop();
    await receiver?.close();
  });

  it("delivers 200 events to 3 endpoints, dead-letters, replays, and loses nothing", async () => {
    if (!hooklane || !receiver) throw new Error("not started");
    const h = hooklane;
    const r = receiver;
    const started = Date.now();
    const secs = () => ((Date.now() - started) / 1000).toFixed(1);
    const logTail = () => h.logs().slice(-6000);
    /** The Worker's own JSON log lines (not wrangler's request lines), each kind counted once. */
    const notable = (): string => {
      const counts = new Map<string, number>();
      for (const line of h.logs().split("\n")) {
        if (!line.startsWith('{"msg"')) continue;
        // Ids and counts differ from line to line; the kind of line is what matters here.
        const kind = line
          .replace(/_[0-9A-Z]{26}/g, "_*")
          .replace(/\d+/g, "N")
          .slice(0, 300);
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
      }
      return [...counts].map(([k, n]) => `  ${n} x ${k}`).join("\n") || "  (none)";
    };

    // ---- setup: one app, three endpoints, each with its own signing secret ----
    const app = await h.api("/v1/apps", { body: { name: "e2e delivery", shard: 1 } });
    expect(app.status, JSON.stringify(app.body)).toBe(201);
    const appId = str(record(app, "create app"), "id");
    expect(record(app, "create app").shard).toBe(1);

    const endpointIds = new Map<Path, string>();
    const createEndpoint = async (path: Path) => {
      const res = await h.api(`/v1/apps/${appId}/endpoints`, {
        body: { url: r.url(path), description: path },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const ep = record(res, `create endpoint ${path}`);
      const secret = str(ep, "secret");
      expect(secret).toMatch(/^whsec_/);
      r.setSecret(path, secret);
      endpointIds.set(path, str(ep, "id"));
    };
    for (const path of PATHS) await createEndpoint(path);
    // Both delivery queues carry some of the endpoints (each endpoint stays in one).
    const last = PATHS[PATHS.length - 1] as Path;
    for (let i = 0; i < 20; i++) {
      const queues = new Set([...endpointIds.values()].map((id) => queueIndexOf(id, 2)));
      if (queues.size === 2) break;
      const drop = await h.api(`/v1/apps/${appId}/endpoints/${endpointIds.get(last)}`, {
        method: "DELETE",
      });
      expect(drop.status).toBe(204);
      await createEndpoint(last);
    }
    expect(new Set([...endpointIds.values()].map((id) => queueIndexOf(id, 2))).size).toBe(2);
    const epId = (path: Path): string => {
      const id = endpointIds.get(path);
      if (id === undefined) throw new Error(`no endpoint for ${path}`);
      return id;
    };
    const pathOfEndpoint = new Map([...endpointIds].map(([p, id]) => [id, p]));

    // ---- ingest 200 events, 10 in flight ----
    const ns = Array.from({ length: EVENTS }, (_, i) => i);
    // Each event carries an Idempotency-Key, so a request cut by a wrangler reload (a source
    // file edited during the run: wrangler answers 503 "restarted mid-request") is sent again
    // as a client would, and can never become a second message.
    let ingestRetries = 0;
    const restarted = (res: ApiResponse): boolean =>
      res.status === 503 && String(res.body).includes("restarted mid-request");
    const ingested = await mapLimit(ns, IN_FLIGHT, async (n) => {
      const send = () =>
        h.api(`/v1/apps/${appId}/messages`, {
          body: { eventType: "order.created", payload: { n } },
          headers: { "idempotency-key": `e2e-delivery-${n}` },
        });
      let res = await send();
      for (let i = 0; i < 5 && restarted(res); i++) {
        ingestRetries++;
        await sleep(1_000);
        res = await send();
      }
      return { n, res };
    });
    const bad = ingested.filter((x) => x.res.status !== 202);
    expect(
      bad.map((x) => `${x.n}: ${x.res.status} ${JSON.stringify(x.res.body)}`),
      "every ingest answers 202",
    ).toEqual([]);
    /** message id -> n */
    const sent = new Map<string, number>();
    for (const { n, res } of ingested) {
      const msg = record(res, `ingest ${n}`);
      const deliveries = msg.deliveries;
      expect(Array.isArray(deliveries) ? deliveries.length : -1, `deliveries of event ${n}`).toBe(
        3,
      );
      sent.set(str(msg, "id"), n);
    }
    expect(sent.size, "distinct message ids").toBe(EVENTS);
    const ingestS = secs();

    // ---- helpers over what the receiver saw ----
    const at = (path: Path): Received[] => r.requests.filter((q) => q.path === path);
    /** Distinct verified webhook-ids that got a 200 at `path`. */
    const okIds = (path: Path): Set<string> =>
      new Set(
        at(path)
          .filter((q) => q.responseStatus === 200 && q.verified === true)
          .map((q) => q.webhookId),
      );
    const deadLetters = async (endpointId: string): Promise<DeadLetter[]> => {
      const all: DeadLetter[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 100; page++) {
        const q = new URLSearchParams({ endpointId, limit: "100" });
        if (cursor !== null) q.set("cursor", cursor);
        const res = await h.api(`/v1/apps/${appId}/dead-letters?${q}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const body = record(res, "dead letters");
        const data = body.data;
        if (!Array.isArray(data)) throw new Error(`dead letters: no data: ${JSON.stringify(body)}`);
        for (const d of data) {
          if (!isRecord(d)) throw new Error(`dead letter not an object: ${JSON.stringify(d)}`);
          all.push({
            deliveryId: str(d, "deliveryId"),
            messageId: str(d, "messageId"),
            endpointId: str(d, "endpointId"),
            reason: str(d, "reason"),
            attempts: typeof d.attempts === "number" ? d.attempts : Number.NaN,
          });
        }
        const next = body.nextCursor;
        if (typeof next !== "string" || next === "") return all;
        cursor = next;
      }
      throw new Error("dead letters: more than 100 pages");
    };
    /** Polls `check` (true when done) until `WAIT_MS`; the error shows `status()` and the logs. */
    const waitUntil = async (
      what: string,
      check: () => Promise<boolean> | boolean,
      status: () => Promise<string> | string,
    ): Promise<void> => {
      const deadline = Date.now() + WAIT_MS;
      while (!(await check())) {
        if (Date.now() > deadline) {
          throw new Error(
            `timed out after ${WAIT_MS / 1000} s waiting for ${what}: ${await status()}\n` +
              `--- Worker log lines ---\n${notable()}\n--- hooklane logs (tail) ---\n${logTail()}`,
          );
        }
        await sleep(250);
      }
    };

    // ---- phase 1: healthy and flaky all delivered, failing held to probes, all dead ----
    let failingDead: DeadLetter[] = [];
    /** Dead letters per endpoint path and reason, e.g. "/failing:expired=190". */
    const deadSummary = async (): Promise<string> => {
      const counts = new Map<string, number>();
      for (const path of PATHS) {
        for (const d of await deadLetters(epId(path))) {
          const key = `${path}:${d.reason}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
      return [...counts].map(([k, n]) => `${k}=${n}`).join(" ") || "none";
    };
    const phase1 = async (): Promise<string> =>
      `healthy ok=${okIds("/healthy").size}, flaky ok=${okIds("/flaky").size}, ` +
      `failing requests=${at("/failing").length}; dead letters: ${await deadSummary()}`;
    await waitUntil(
      `${EVENTS} verified deliveries to /healthy and /flaky and ${EVENTS} dead letters for /failing`,
      async () => {
        if (okIds("/healthy").size < EVENTS || okIds("/flaky").size < EVENTS) return false;
        failingDead = await deadLetters(epId("/failing"));
        return failingDead.length >= EVENTS;
      },
      phase1,
    );
    const phase1S = secs();
    // Let stragglers (a duplicate, an extra attempt) arrive before judging exact counts.
    await sleep(3_000);
    failingDead = await deadLetters(epId("/failing"));

    const ids = [...sent.keys()].sort();
    expect([...okIds("/healthy")].sort(), "/healthy got every message, verified").toEqual(ids);
    expect([...okIds("/flaky")].sort(), "/flaky got every message, verified").toEqual(ids);

    // What each webhook-id got at a path, e.g. "500,200". Without a reload of wrangler (a
    // source file edited during the run) the sequence must be exact; a reload can cut an
    // attempt between the POST and its record, so Hooklane may re-send it (at least once,
    // never lost): then only the pattern is judged.
    const reloads = (): number => (h.logs().match(/Reloading local server/g) ?? []).length;
    const shapes = (path: Path): Map<string, string> => {
      const m = new Map<string, string>();
      for (const q of at(path)) {
        const prev = m.get(q.webhookId);
        const status = String(q.responseStatus ?? "-");
        m.set(q.webhookId, prev === undefined ? status : `${prev},${status}`);
      }
      return m;
    };
    const expectShapes = (
      path: Path,
      exact: (id: string) => string,
      pattern: (id: string) => RegExp,
      what: string,
    ): void => {
      const got = shapes(path);
      const reloaded = reloads();
      const bad = ids
        .map((id) => ({ id, seq: got.get(id) ?? "" }))
        .filter(({ id, seq }) => (reloaded === 0 ? seq !== exact(id) : !pattern(id).test(seq)))
        .map(({ id, seq }) => `${id}:${seq}`);
      expect(bad, `${path}: ${what} (wrangler reloads: ${reloaded})`).toEqual([]);
    };
    const flakyShape = (id: string) => (flakyFails(id, 1) ? "500,200" : "200");
    expectShapes(
      "/healthy",
      () => "200",
      () => /^200(,200)*$/,
      "one 200 per message",
    );
    expectShapes(
      "/flaky",
      flakyShape,
      (id) => new RegExp(`^${flakyShape(id)}(,200)*$`),
      "a failed first try for the flaky ones, then 200; one 200 for the rest",
    );
    // Held to its probes: the breaker opened after BREAKER_FAILURES failures, then let one
    // probe through per cool-down; every other delivery waited without a request until its
    // retry window closed.
    const failingRequests = at("/failing").length;
    const bound = BREAKER_FAILURES + Math.ceil(Number(phase1S) / COOLDOWN_S) + 1;
    expect(failingRequests, "/failing held to its probes").toBeLessThanOrEqual(bound);
    expect(failingRequests, "/failing was tried").toBeGreaterThanOrEqual(BREAKER_FAILURES);

    expect(failingDead.length, "dead letters of /failing").toBe(EVENTS);
    expect([...new Set(failingDead.map((d) => d.messageId))].sort()).toEqual(ids);
    expect(new Set(failingDead.map((d) => d.deliveryId)).size).toBe(EVENTS);
    const tries = shapes("/failing");
    const oddDead = failingDead.filter((d) => {
      const made = (tries.get(d.messageId) ?? "").split(",").filter(Boolean).length;
      const reason =
        d.reason === "exhausted" ? made === ATTEMPTS : d.reason === "expired" && made < ATTEMPTS;
      return !reason || d.attempts !== made || d.endpointId !== epId("/failing");
    });
    expect(
      oddDead,
      'every dead letter: "exhausted" after 4 attempts, or "expired" waiting behind the breaker',
    ).toEqual([]);
    for (const path of ["/healthy", "/flaky"] as const) {
      expect(await deadLetters(epId(path)), `no dead letters for ${path}`).toEqual([]);
    }

    // ---- phase 2: /failing recovers, bulk replay, all 200 arrive ----
    failingHealthy = true;
    const replay = await h.api(`/v1/apps/${appId}/dead-letters/replay`, {
      body: { endpointId: epId("/failing"), limit: 1000 },
    });
    expect(replay.status, JSON.stringify(replay.body)).toBe(202);
    expect(replay.body).toEqual({ restarted: EVENTS, more: false, replayId: expect.any(String) });

    await waitUntil(
      `${EVENTS} verified 200s at /failing after the replay`,
      () => okIds("/failing").size >= EVENTS,
      async () =>
        `failing ok=${okIds("/failing").size}, requests=${at("/failing").length}; ` +
        `dead letters: ${await deadSummary()}`,
    );
    const phase2S = secs();
    await sleep(3_000);
    expect([...okIds("/failing")].sort(), "/failing got every message after the replay").toEqual(
      ids,
    );
    expectShapes(
      "/failing",
      (id) => [...(tries.get(id) ?? "").split(",").filter(Boolean), "200"].join(","),
      () => /^(500,)*200(,200)*$/,
      "its failures before the dead letter, then one 200 after the replay",
    );
    expect(await deadLetters(epId("/failing")), "no dead letters left after the replay").toEqual(
      [],
    );

    // ---- accounting: signatures, bodies, per-message status and attempt log ----
    const unverified = r.requests
      .filter((q) => q.verified !== true)
      .map((q) => `${q.path} ${q.webhookId}: ${q.verifyError ?? "no secret"}`);
    expect(unverified, "every request verifies with standardwebhooks").toEqual([]);
    const parse = (text: string): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    };
    const wrongBody = r.requests.filter((q) => {
      const body = parse(q.body);
      return !(
        isRecord(body) &&
        body.type === "order.created" &&
        typeof body.timestamp === "string" &&
        isRecord(body.data) &&
        body.data.n === sent.get(q.webhookId)
      );
    });
    expect(
      wrongBody.map((q) => `${q.path} ${q.webhookId}: ${q.body}`),
      "body is {type, timestamp, data} of the message sent",
    ).toEqual([]);
    expect(r.requests.filter((q) => !sent.has(q.webhookId)).length, "unknown webhook-ids").toBe(0);

    /** Requests each path got per message: each must be logged as one attempt. */
    const received = (path: Path, id: string): number =>
      at(path).filter((q) => q.webhookId === id).length;
    const reloaded = reloads();
    const problems = (
      await mapLimit(ids, IN_FLIGHT, async (id): Promise<string[]> => {
        const out: string[] = [];
        const got = await h.api(`/v1/apps/${appId}/messages/${id}`);
        const msg = record(got, `GET message ${id}`);
        const deliveries = Array.isArray(msg.deliveries) ? msg.deliveries : [];
        const statuses = deliveries
          .filter(isRecord)
          .map((d) => `${pathOfEndpoint.get(String(d.endpointId)) ?? d.endpointId}=${d.status}`)
          .sort();
        const want = ["/failing=succeeded", "/flaky=succeeded", "/healthy=succeeded"];
        if (got.status !== 200 || JSON.stringify(statuses) !== JSON.stringify(want))
          out.push(`${id}: GET ${got.status} deliveries ${statuses.join(" ")}`);

        const log = await h.api(`/v1/apps/${appId}/messages/${id}/attempts?limit=50`);
        const data = record(log, `attempts of ${id}`).data;
        /** Per path, the logged attempts oldest first, as "#<attempt>:<status or error>". */
        const logged = new Map<string, string[]>();
        for (const a of Array.isArray(data) ? data.filter(isRecord).reverse() : []) {
          const p = pathOfEndpoint.get(String(a.endpointId)) ?? String(a.endpointId);
          const what = `#${String(a.attempt)}:${String(a.statusCode ?? a.error)}`;
          logged.set(p, [...(logged.get(p) ?? []), what]);
        }
        for (const path of PATHS) {
          const list = logged.get(path) ?? [];
          // A reload can cut an attempt between its POST and its record (see shapes above).
          const ok =
            reloaded === 0
              ? list.length === received(path, id)
              : list.length >= 1 && (list[list.length - 1] ?? "").endsWith(":200");
          if (!ok) out.push(`${id}: ${list.length} attempts logged for ${path}: ${list.join(" ")}`);
        }
        return out;
      })
    ).flat();
    expect(
      problems,
      `every message: 3 deliveries succeeded, every attempt logged (wrangler reloads: ${reloaded}); ` +
        `Worker log lines:\n${notable()}`,
    ).toEqual([]);

    const requeued = [...h.logs().matchAll(/"msg":"sweep","requeued":(\d+)/g)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    console.log(
      `[e2e delivery] ${EVENTS} events x 3 endpoints: ingest ${ingestS} s; healthy ` +
        `${okIds("/healthy").size}, flaky ${okIds("/flaky").size}, ` +
        `failing ${failingDead.length} dead letters (${failingRequests} requests) at ${phase1S} s; replayed ${EVENTS}, ` +
        `failing ${okIds("/failing").size} delivered at ${phase2S} s; ` +
        `${r.requests.length} requests, all verified; sweeper requeued ${requeued}, ` +
        `wrangler reloads ${reloads()}, ingest retries ${ingestRetries}; total ${secs()} s`,
    );
  });
});
