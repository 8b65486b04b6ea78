import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { placeNewApp } from "../../src/lib/spread";
import {
  type ApiResponse,
  type Hooklane,
  type Received,
  type Receiver,
  startHooklane,
  startReceiver,
} from "./harness";

/**
 * Two D1 shards and two delivery queues, end to end (`npm run dev -- --shards 2
 * --delivery-queues 2` under `wrangler dev`, a real receiver verifying every signature): 20 apps
 * spread over both shards by a hash of their ids, each app's key kept to its own app whatever
 * shard the other app is on, the admin list of apps merged across shards page by page, and one
 * app moved to the other shard while a client keeps sending to it (503 with Retry-After for the
 * length of the move, the same idempotency key sent again): no message lost, none ingested
 * twice, every one delivered to both endpoints and read from the new shard afterwards.
 */

const APPS = 20;
const PAGE = 7;
/** Pause between two new messages of the sender (its retries wait for Retry-After instead). */
const SEND_GAP_MS = 100;
/** Messages accepted before the move is asked for, and after it is done. */
const BEFORE_MOVE = 15;
const AFTER_MOVE = 10;
/** Fence (DIRECTORY_CACHE_S 1 + REQUEST_TIMEOUT_MS 3 s + a 30 s lease margin) plus the copy. */
const MOVE_WAIT_MS = 150_000;
const WAIT_MS = 60_000;
/** What the sender does when a send fails without an answer (a dropped connection). */
const NETWORK_RETRY_MS = 1_000;
const MAX_TRIES = 8;

type Json = Record<string, unknown>;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isRecord(x: unknown): x is Json {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The body of an answer as an object, failing with the answer when it is not one. */
function record(res: ApiResponse, what: string): Json {
  if (!isRecord(res.body))
    throw new Error(`${what}: answered ${res.status}, not a JSON object: ${String(res.body)}`);
  return res.body;
}

function str(o: Json, key: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new Error(`expected string ${key} in ${JSON.stringify(o)}`);
  return v;
}

function num(o: Json, key: string): number {
  const v = o[key];
  if (typeof v !== "number") throw new Error(`expected number ${key} in ${JSON.stringify(o)}`);
  return v;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface AppInfo {
  id: string;
  shard: number;
}

/** One message the sender sent: its key, every answer's id, and when it was accepted. */
interface Sent {
  key: string;
  n: number;
  /** Message ids of every 202 for this key (one, when ingest is idempotent). */
  ids: string[];
  acceptedAt: number;
  tries: number;
}

describe("e2e shards: 2 D1 shards, 2 delivery queues, isolation, merged list, a live move", () => {
  let hooklane: Hooklane | undefined;
  let receiver: Receiver | undefined;
  /** The 20 apps, in the order they were created. */
  const apps: AppInfo[] = [];
  /** Every message id any ingest in this file answered with. */
  const acceptedAnywhere = new Set<string>();

  beforeAll(async () => {
    receiver = await startReceiver();
    hooklane = await startHooklane({
      topology: { shards: 2, deliveryQueues: 2 },
      vars: {
        // The move's fence is DIRECTORY_CACHE_S plus a delivery lease (the request timeout plus
        // 30 s): about 34 s here instead of 75 s by default.
        DIRECTORY_CACHE_S: "1",
        REQUEST_TIMEOUT_MS: "3000",
        // wrangler dev drops the queue's delayed messages when it reloads (a source file edited
        // during the run); the sweeper hands such lost deliveries out again after this grace.
        SWEEP_GRACE_S: "10",
      },
    });
  });

  afterAll(async () => {
    await hooklane?.stop();
    await receiver?.close();
  });

  const started = (): { h: Hooklane; r: Receiver } => {
    if (!hooklane || !receiver) throw new Error("not started");
    return { h: hooklane, r: receiver };
  };

  /** The Worker's own JSON log lines by kind (ids and numbers masked), then the raw tail. */
  const recentLogs = (): string => {
    const logs = hooklane?.logs() ?? "";
    const counts = new Map<string, number>();
    for (const line of logs.split("\n")) {
      if (!line.startsWith('{"msg"')) continue;
      const kind = line
        .replace(/_[0-9A-Z]{26}/g, "_*")
        .replace(/\d+/g, "N")
        .slice(0, 300);
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    const kinds = [...counts].map(([k, n]) => `  ${n} x ${k}`).join("\n") || "  (none)";
    return `--- Worker log lines ---\n${kinds}\n--- hooklane logs (tail) ---\n${logs.slice(-6000)}`;
  };

  /** Polls `check` every 250 ms until it holds; on timeout the error shows `status()` and logs. */
  const waitUntil = async (
    what: string,
    timeoutMs: number,
    check: () => Promise<boolean> | boolean,
    status: () => Promise<string> | string,
  ): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${timeoutMs / 1000} s waiting for ${what}: ${await status()}\n${recentLogs()}`,
        );
      await sleep(250);
    }
  };

  /** Every page of a list, following `nextCursor`; each page's ids, in order. */
  const walk = async (h: Hooklane, path: string, limit: number): Promise<Json[][]> => {
    const pages: Json[][] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const q = new URLSearchParams({ limit: String(limit) });
      if (cursor !== null) q.set("cursor", cursor);
      const res = await h.api(`${path}?${q}`);
      expect(res.status, `GET ${path}?${q}: ${JSON.stringify(res.body)}`).toBe(200);
      const body = record(res, `GET ${path}`);
      if (!Array.isArray(body.data)) throw new Error(`no data: ${JSON.stringify(body)}`);
      const page = body.data.filter(isRecord);
      expect(page.length, "a page holds at most `limit` items").toBeLessThanOrEqual(limit);
      pages.push(page);
      if (body.nextCursor === null) return pages;
      if (typeof body.nextCursor !== "string") throw new Error(`bad cursor in ${path}`);
      cursor = body.nextCursor;
    }
    throw new Error(`${path}: more than 100 pages`);
  };

  const newApp = async (h: Hooklane, name: string): Promise<AppInfo> => {
    const res = await h.api("/v1/apps", { body: { name } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const body = record(res, "create app");
    return { id: str(body, "id"), shard: num(body, "shard") };
  };

  const newEndpoint = async (h: Hooklane, r: Receiver, appId: string, path: string) => {
    const res = await h.api(`/v1/apps/${appId}/endpoints`, { body: { url: r.url(path) } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const body = record(res, "create endpoint");
    r.setSecret(path, str(body, "secret"));
    return str(body, "id");
  };

  it("spreads 20 apps over both shards by a hash of their ids", async () => {
    const { h } = started();
    // One after another: ids sort in creation order, which the merged list must keep.
    for (let i = 0; i < APPS; i++) apps.push(await newApp(h, `spread-${i}`));
    const perShard = [0, 1].map((k) => apps.filter((a) => a.shard === k).length);
    expect(perShard[0], `apps per shard: ${perShard.join(" / ")}`).toBeGreaterThan(0);
    expect(perShard[1], `apps per shard: ${perShard.join(" / ")}`).toBeGreaterThan(0);
    expect((perShard[0] ?? 0) + (perShard[1] ?? 0)).toBe(APPS);
    // Placement is the documented hash of the id (nothing pinned them).
    expect(apps.filter((a) => a.shard !== placeNewApp(a.id, 2))).toEqual([]);
    // Each app reads back from its shard.
    for (const app of apps) {
      const got = await h.api(`/v1/apps/${app.id}`);
      expect(got.status).toBe(200);
      expect(record(got, "get app")).toMatchObject({ id: app.id, shard: app.shard });
    }
    console.log(`[e2e shards] ${APPS} apps: ${perShard[0]} on shard 0, ${perShard[1]} on shard 1`);
  });

  it("keeps each app's key to its own app: other apps' ids answer 404 on either shard", async () => {
    const { h, r } = started();
    const on = (k: number) => apps.filter((a) => a.shard === k);
    const a = on(0)[0];
    const b = on(1)[0];
    // A third app on A's shard: the same database as A, still out of A's reach.
    const c = on(0)[1] ?? on(1)[1];
    if (!a || !b || !c) throw new Error(`needs apps on both shards, got ${JSON.stringify(apps)}`);

    /** An API key, an endpoint and a message in each app. */
    const setUp = async (app: AppInfo, name: string) => {
      const key = await h.api(`/v1/apps/${app.id}/api-keys`, { body: { name: `key ${name}` } });
      expect(key.status, JSON.stringify(key.body)).toBe(201);
      const endpointId = await newEndpoint(h, r, app.id, `/iso-${name}`);
      const msg = await h.api(`/v1/apps/${app.id}/messages`, {
        body: { eventType: "iso.check", payload: { app: name } },
      });
      expect(msg.status, JSON.stringify(msg.body)).toBe(202);
      const messageId = str(record(msg, "ingest"), "id");
      acceptedAnywhere.add(messageId);
      return { ...app, token: str(record(key, "create key"), "token"), endpointId, messageId };
    };
    const A = await setUp(a, "a");
    const B = await setUp(b, "b");
    const C = await setUp(c, "c");

    /** What one key gets for each path, as "status path" lines (compared as a whole). */
    const statuses = async (token: string, paths: string[]): Promise<string[]> =>
      Promise.all(paths.map(async (p) => `${(await h.api(p, { token })).status} ${p}`));
    const ownPaths = (x: typeof A) => [
      `/v1/apps/${x.id}/endpoints`,
      `/v1/apps/${x.id}/endpoints/${x.endpointId}`,
      `/v1/apps/${x.id}/messages`,
      `/v1/apps/${x.id}/messages/${x.messageId}`,
    ];
    /** Another app's ids: under its own path, and slipped under the caller's own app. */
    const foreignPaths = (own: typeof A, other: typeof A) => [
      `/v1/apps/${other.id}`,
      ...ownPaths(other),
      `/v1/apps/${own.id}/endpoints/${other.endpointId}`,
      `/v1/apps/${own.id}/messages/${other.messageId}`,
    ];

    for (const [own, others] of [
      [A, [B, C]],
      [B, [A, C]],
    ] as const) {
      const mine = ownPaths(own);
      expect(await statuses(own.token, mine), `app ${own.id}'s key on its own app`).toEqual(
        mine.map((p) => `200 ${p}`),
      );
      for (const other of others) {
        const theirs = foreignPaths(own, other);
        expect(
          await statuses(own.token, theirs),
          `app ${own.id}'s key (shard ${own.shard}) on app ${other.id}'s ids (shard ${other.shard})`,
        ).toEqual(theirs.map((p) => `404 ${p}`));
        // Sending to another app is refused the same way, and writes nothing there.
        const send = await h.api(`/v1/apps/${other.id}/messages`, {
          token: own.token,
          body: { eventType: "iso.check", payload: { from: own.id } },
        });
        expect(send.status, JSON.stringify(send.body)).toBe(404);
      }
    }
    // The ids are real: the operator reaches all of them, on their own shards.
    for (const x of [A, B, C]) {
      const paths = ownPaths(x);
      expect(await statuses(h.adminToken, paths)).toEqual(paths.map((p) => `200 ${p}`));
      const list = await h.api(`/v1/apps/${x.id}/messages`);
      const ids = (record(list, "messages").data as Json[]).map((m) => m.id);
      expect(ids, `app ${x.id} holds only its own message`).toEqual([x.messageId]);
    }
  });

  it("lists every app once, newest first, merged across both shards with working cursors", async () => {
    const { h } = started();
    expect(apps.length, "needs the apps of the first test").toBe(APPS);
    const pages = await walk(h, "/v1/apps", PAGE);
    expect(
      pages.map((p) => p.length),
      "pages of 7",
    ).toEqual([7, 7, 6]);
    const listed = pages.flat().map((a) => ({ id: str(a, "id"), shard: num(a, "shard") }));
    // Newest first is creation order reversed, which is also the ids' order.
    expect(listed).toEqual([...apps].reverse());
    expect(listed.map((a) => a.id)).toEqual(
      listed
        .map((a) => a.id)
        .slice()
        .sort()
        .reverse(),
    );
    // Interleaved, as ids placed by hash are: not one shard's apps and then the other's.
    const sequence = listed.map((a) => a.shard).join("");
    const switches = listed.filter((a, i) => i > 0 && a.shard !== listed[i - 1]?.shard).length;
    expect(switches, `shards in list order: ${sequence}`).toBeGreaterThanOrEqual(2);
    expect(
      pages.some((p) => new Set(p.map((a) => a.shard)).size === 2),
      `shards per page: ${pages.map((p) => p.map((a) => a.shard).join("")).join(" | ")}`,
    ).toBe(true);
    console.log(`[e2e shards] admin list, ${PAGE} a page: shards in order ${sequence}`);
  }, 30_000);

  it("moves an app to the other shard while messages keep arriving: 0 lost, no duplicate ingest", async () => {
    const { h, r } = started();
    const t0 = Date.now();
    const secs = (at = Date.now()) => ((at - t0) / 1000).toFixed(1);
    const mover = await newApp(h, "mover");
    const from = mover.shard;
    const to = 1 - from;
    const PATHS = ["/move-a", "/move-b"] as const;
    const endpointIds: string[] = [];
    for (const p of PATHS) endpointIds.push(await newEndpoint(h, r, mover.id, p));

    // ---- the sender: one message after another, each under its own idempotency key ----
    const sent: Sent[] = [];
    /** 503s with Retry-After (the move), wrangler's own 503s, dropped connections. */
    const refusals: { at: number; key: string; retryAfter: string | null; body: string }[] = [];
    let reloads503 = 0;
    let networkErrors = 0;
    const failures: string[] = [];
    let stopSending = false;
    const ingestPath = `/v1/apps/${mover.id}/messages`;
    const sendOne = async (n: number): Promise<void> => {
      const key = `mover-${n}`;
      const entry: Sent = { key, n, ids: [], acceptedAt: 0, tries: 0 };
      for (;;) {
        entry.tries++;
        if (entry.tries > MAX_TRIES) {
          failures.push(`${key}: not accepted after ${MAX_TRIES} tries`);
          return;
        }
        let res: ApiResponse;
        try {
          res = await h.api(ingestPath, {
            body: { eventType: "order.created", payload: { n } },
            headers: { "idempotency-key": key },
          });
        } catch {
          // No answer: it may or may not have been written; the same key again tells.
          networkErrors++;
          await sleep(NETWORK_RETRY_MS);
          continue;
        }
        if (res.status === 202) {
          const id = str(record(res, `ingest ${key}`), "id");
          entry.ids.push(id);
          entry.acceptedAt = Date.now();
          sent.push(entry);
          acceptedAnywhere.add(id);
          return;
        }
        if (res.status === 503) {
          const retryAfter = res.headers.get("retry-after");
          if (retryAfter === null && String(res.body).includes("restarted mid-request")) {
            // wrangler dev reloading after a source file changed: not Hooklane's answer.
            reloads503++;
            await sleep(NETWORK_RETRY_MS);
            continue;
          }
          refusals.push({ at: Date.now(), key, retryAfter, body: JSON.stringify(res.body) });
          const wait = Number(retryAfter);
          if (!Number.isInteger(wait) || wait <= 0 || wait > 120) {
            failures.push(`${key}: 503 with an unusable Retry-After ${String(retryAfter)}`);
            return;
          }
          // A client honouring Retry-After, then sending the same message with the same key.
          await sleep(wait * 1000);
          continue;
        }
        failures.push(`${key}: ${res.status} ${JSON.stringify(res.body)}`);
        return;
      }
    };
    const sender = (async () => {
      for (let n = 0; !stopSending; n++) {
        await sendOne(n);
        await sleep(SEND_GAP_MS);
      }
    })().catch((err: unknown) => {
      failures.push(`sender crashed: ${String(err)}`);
    });
    // A failed assertion must not leave the sender posting until the service stops.
    onTestFinished(() => {
      stopSending = true;
    });

    /** Ids accepted so far. */
    const acceptedIds = (): string[] => sent.flatMap((s) => s.ids);
    const senderStatus = () =>
      `${sent.length} accepted, ${refusals.length} refused with Retry-After, ` +
      `${networkErrors} network errors, ${reloads503} wrangler reload 503s; failures: ${failures.join("; ") || "none"}`;
    /** Distinct verified webhook-ids that got a 200 at `path`. */
    const okIds = (path: string): Set<string> =>
      new Set(
        r.requests
          .filter((q) => q.path === path && q.responseStatus === 200 && q.verified === true)
          .map((q) => q.webhookId),
      );
    const delivered = (id: string) => PATHS.every((p) => okIds(p).has(id));

    // ---- before: some messages in and delivered, more still coming ----
    await waitUntil(
      `${BEFORE_MOVE} messages accepted and delivered before the move`,
      WAIT_MS,
      () => failures.length > 0 || (sent.length >= BEFORE_MOVE && acceptedIds().some(delivered)),
      senderStatus,
    );
    expect(failures, "the sender before the move").toEqual([]);

    // ---- the move, mid-stream ----
    const moveAskedAt = Date.now();
    const move = await h.api(`/v1/apps/${mover.id}/move`, { body: { shard: to } });
    expect(move.status, JSON.stringify(move.body)).toBe(202);
    expect(record(move, "move")).toMatchObject({
      appId: mover.id,
      shard: from,
      moving: true,
      to,
      state: "fencing",
    });
    const beforeMove = sent.filter((s) => s.acceptedAt < moveAskedAt);
    expect(beforeMove.length).toBeGreaterThanOrEqual(BEFORE_MOVE);
    const firstBefore = beforeMove[0] as Sent;
    const firstBeforeId = firstBefore.ids[0] as string;

    // Reads keep working while it moves, from the old shard.
    const during = await h.api(`/v1/apps/${mover.id}`);
    expect(during.status).toBe(200);
    expect(record(during, "app during the move").shard).toBe(from);
    expect((await h.api(`/v1/apps/${mover.id}/messages/${firstBeforeId}`)).status).toBe(200);

    const states = new Set<string>();
    const listGlitches: string[] = [];
    let lastStatus = "";
    await waitUntil(
      `the move of ${mover.id} from shard ${from} to shard ${to} to finish`,
      MOVE_WAIT_MS,
      async () => {
        const res = await h.api(`/v1/apps/${mover.id}/move`);
        lastStatus = `${res.status} ${JSON.stringify(res.body)}`;
        // The admin list shows the app once at every moment of its move, copy included.
        const list = await h.api("/v1/apps?limit=250");
        const seen = isRecord(list.body) && Array.isArray(list.body.data) ? list.body.data : [];
        const shards = seen.filter((a) => isRecord(a) && a.id === mover.id).map((a) => a.shard);
        if (list.status !== 200 || shards.length !== 1)
          listGlitches.push(`${secs()} s: ${list.status}, listed on shards [${shards.join(",")}]`);
        if (res.status !== 200 || !isRecord(res.body)) return false;
        if (typeof res.body.state === "string") states.add(res.body.state);
        return res.body.moving === false && res.body.shard === to;
      },
      () => `last GET /move: ${lastStatus}; sender: ${senderStatus()}`,
    );
    const moveDoneAt = Date.now();
    expect(listGlitches, "the admin list while the app moved").toEqual([]);

    // ---- after: the sender gets through again and keeps going a little ----
    await waitUntil(
      `${AFTER_MOVE} messages accepted after the move`,
      WAIT_MS,
      () =>
        failures.length > 0 || sent.filter((s) => s.acceptedAt > moveDoneAt).length >= AFTER_MOVE,
      senderStatus,
    );
    stopSending = true;
    await sender;
    expect(failures, `the sender: ${senderStatus()}`).toEqual([]);
    const ids = acceptedIds();

    // ---- every accepted message reaches both endpoints ----
    await waitUntil(
      `all ${ids.length} accepted messages delivered, verified, to ${PATHS.join(" and ")}`,
      WAIT_MS,
      () => ids.every(delivered),
      () => {
        const missing = PATHS.map(
          (p) => `${p}: ${ids.filter((id) => !okIds(p).has(id)).join(" ") || "none"}`,
        );
        return `missing ${missing.join("; ")}; sender: ${senderStatus()}`;
      },
    );
    const deliveredAt = Date.now();

    // 0 lost: every accepted message went to both endpoints, with a valid signature.
    for (const p of PATHS)
      expect([...okIds(p)].filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
    const atMover: Received[] = r.requests.filter((q) =>
      (PATHS as readonly string[]).includes(q.path),
    );
    expect(
      atMover
        .filter((q) => q.verified !== true)
        .map((q) => `${q.path} ${q.webhookId}: ${q.verifyError}`),
      "every delivery verifies with standardwebhooks",
    ).toEqual([]);
    // Nothing was delivered that was never accepted (a refused send wrote nothing).
    expect(
      atMover.filter((q) => !ids.includes(q.webhookId)).map((q) => `${q.path} ${q.webhookId}`),
      "deliveries of messages never accepted",
    ).toEqual([]);
    expect(
      r.requests.filter((q) => !acceptedAnywhere.has(q.webhookId)).map((q) => q.webhookId),
    ).toEqual([]);

    // No duplicate ingest: one key per id (and one id per key: the re-sends below).
    expect(new Set(ids).size, "distinct message ids").toBe(sent.length);

    // The move was visible to the sender as 503 + Retry-After, and it sent those messages again.
    expect(refusals.length, "ingest refused while the app moved").toBeGreaterThan(0);
    expect(
      refusals.filter((x) => x.at < moveAskedAt || x.at > moveDoneAt + 5_000),
      "503s only while moving",
    ).toEqual([]);
    const refusedKeys = new Set(refusals.map((x) => x.key));
    expect(
      [...refusedKeys].filter((k) => !sent.some((s) => s.key === k)),
      "every refused message accepted when sent again",
    ).toEqual([]);

    // ---- the app now lives on the new shard, with its whole history ----
    const app = await h.api(`/v1/apps/${mover.id}`);
    expect(app.status).toBe(200);
    expect(record(app, "app after the move")).toMatchObject({ id: mover.id, shard: to });
    expect((await h.api(`/v1/apps/${mover.id}/move`)).body).toEqual({
      appId: mover.id,
      shard: to,
      moving: false,
    });
    // Exactly the accepted messages, each once: nothing from a refused send, no copy twice.
    const listed = (await walk(h, `/v1/apps/${mover.id}/messages`, 250))
      .flat()
      .map((m) => str(m, "id"));
    expect([...listed].sort(), "the app's messages after the move").toEqual([...ids].sort());
    // Every message, from before the move or after, shows both deliveries succeeded.
    let notYet: string[] = [];
    await waitUntil(
      "every message's deliveries to read succeeded",
      20_000,
      async () => {
        const results = await mapLimit(ids, 8, async (id) => {
          const got = await h.api(`/v1/apps/${mover.id}/messages/${id}`);
          const deliveries =
            isRecord(got.body) && Array.isArray(got.body.deliveries) ? got.body.deliveries : [];
          const statuses = deliveries
            .filter(isRecord)
            .map((d) => `${String(d.endpointId)}=${String(d.status)}`)
            .sort();
          const want = endpointIds.map((e) => `${e}=succeeded`).sort();
          return got.status === 200 && JSON.stringify(statuses) === JSON.stringify(want)
            ? null
            : `${id}: ${got.status} ${statuses.join(" ")}`;
        });
        notYet = results.filter((x): x is string => x !== null);
        return notYet.length === 0;
      },
      () => notYet.slice(0, 10).join("; "),
    );
    // Every message, from before the move or after, sent again with its key: the first id,
    // answered from the new shard (idempotency keys moved with the app), never a second message.
    const replays = await mapLimit(sent, 8, async (s) => {
      const res = await h.api(ingestPath, {
        body: { eventType: "order.created", payload: { n: s.n } },
        headers: { "idempotency-key": s.key },
      });
      if (res.status === 202) s.ids.push(str(record(res, `re-send ${s.key}`), "id"));
      return res.status === 202 && res.headers.get("idempotent-replayed") === "true"
        ? null
        : `${s.key}: ${res.status} replayed=${res.headers.get("idempotent-replayed")}`;
    });
    expect(
      replays.filter((x) => x !== null),
      "re-sends answered as replays",
    ).toEqual([]);
    expect(
      sent.filter((s) => new Set(s.ids).size !== 1).map((s) => `${s.key}: ${s.ids.join(" ")}`),
      "one message id per idempotency key",
    ).toEqual([]);
    expect(
      (await walk(h, `/v1/apps/${mover.id}/messages`, 250)).flat().length,
      "no message written by the re-sends",
    ).toBe(ids.length);
    // The admin list has it once, on its new shard, next to the other apps.
    const all = (await walk(h, "/v1/apps", PAGE))
      .flat()
      .map((a) => ({ id: str(a, "id"), shard: num(a, "shard") }));
    expect(all.filter((a) => a.id === mover.id)).toEqual([{ id: mover.id, shard: to }]);
    expect(all.length).toBe(APPS + 1);

    /** Messages accepted before the move whose deliveries were held until it was done. */
    const heldThrough = beforeMove.filter((s) =>
      r.requests.some((q) => q.webhookId === s.ids[0] && q.receivedAt > moveDoneAt),
    ).length;
    const duplicates = PATHS.map(
      (p) => r.requests.filter((q) => q.path === p).length - okIds(p).size,
    );
    console.log(
      `[e2e shards] move of ${mover.id} shard ${from} -> ${to}: asked at ${secs(moveAskedAt)} s, ` +
        `done at ${secs(moveDoneAt)} s (${((moveDoneAt - moveAskedAt) / 1000).toFixed(1)} s; states seen: ` +
        `${[...states].join(", ")}); ${ids.length} messages accepted (${beforeMove.length} before the move, ` +
        `${sent.filter((s) => s.acceptedAt > moveDoneAt).length} after), ${refusals.length} 503s with ` +
        `Retry-After ${[...new Set(refusals.map((x) => x.retryAfter))].join(",")} s, ${networkErrors} network errors, ` +
        `${reloads503} wrangler reload 503s; ${heldThrough} accepted before the move delivered after it; all delivered to both endpoints at ${secs(deliveredAt)} s ` +
        `(extra requests beyond one 200 per message: ${duplicates.join(" / ")})`,
    );
  }, 150_000);
});
