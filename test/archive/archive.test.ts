import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  gunzip,
  hourOf,
  hourOfMessage,
  hourStart,
  linesOf,
  markerKey,
  parseLine,
  partKey,
} from "../../src/archive/format";
import { hourParts } from "../../src/archive/store";
import { archiveShard, type RetentionCounts } from "../../src/archive/sweep";
import { insertLogStatement } from "../../src/db/attempt-log";
import { acceptStatements, fanOutColumn, type StoredMessage } from "../../src/db/messages";
import worker from "../../src/index";
import { idFloor, newId } from "../../src/lib/ids";
import { sweep } from "../../src/sweeper/sweep";
import { receiver, runConsumer, type SeededTask } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

const DAY = 86_400_000;
const MINUTE = 60_000;
/** A payload as a sender might write it: a big integer no double holds, and line breaks. */
const RAW = '{\n  "amount": 12345678901234567890123,\n  "rate": 0.10000000000000000001\n}';

/** Ten minutes into the hour that began `days` days ago, so a few messages share one hour. */
function inHourDaysAgo(days: number): number {
  return hourStart(hourOf(Date.now() - days * DAY)) + 10 * MINUTE;
}

/**
 * A message with ingest's own statements, its payload exactly `raw`, created at `at` (its id
 * carries that time); returns the first tries ingest would have queued.
 */
async function seedRaw(
  appId: string,
  endpointIds: string[],
  at: number,
  raw = RAW,
  idempotencyKey: string | null = null,
): Promise<SeededTask[]> {
  const id = `${idFloor("msg", at)}${newId("msg").slice(-16)}`;
  const msg: StoredMessage = {
    id,
    app_id: appId,
    event_type: "invoice.paid",
    payload: raw,
    event_id: null,
    idempotency_key: idempotencyKey,
    endpoints: fanOutColumn(endpointIds),
  };
  await env.DB.batch(acceptStatements(env.DB, msg, [], at));
  return endpointIds.map((endpointId) => ({
    kind: "delivery" as const,
    appId,
    messageId: id,
    endpointId,
    eventType: msg.event_type,
    createdAt: at,
    payload: raw,
    deliveryId: `dlv_${id.slice(4)}${endpointId.slice(3)}`,
  }));
}

/** Rows an app's messages hold in D1, by table. */
async function d1Rows(appId: string) {
  return env.DB.prepare(
    `SELECT (SELECT COUNT(*) FROM messages WHERE app_id = ?1) AS messages,
            (SELECT COUNT(*) FROM attempt_log WHERE app_id = ?1) AS log,
            (SELECT COUNT(*) FROM dead_letters WHERE app_id = ?1) AS letters,
            (SELECT COUNT(*) FROM idempotency_keys WHERE app_id = ?1) AS keys`,
  )
    .bind(appId)
    .first<Record<string, number>>();
}

async function inD1(messageId: string): Promise<boolean> {
  const row = await env.DB.prepare("SELECT 1 AS x FROM messages WHERE id = ?")
    .bind(messageId)
    .first();
  return row !== null;
}

/** The lines of an archive object, or null. */
async function objectLines(key: string): Promise<string[] | null> {
  const obj = await env.ARCHIVE.get(key);
  return obj ? linesOf(await gunzip(obj.body)) : null;
}

/** An API answer's text as sent (the helpers parse it, which would round big integers). */
async function rawAnswer(path: string, token: string): Promise<string> {
  const res = await worker.fetch(
    new Request(`https://hooklane.test${path}`, { headers: { authorization: `Bearer ${token}` } }),
    env,
    createExecutionContext(),
  );
  return res.text();
}

/** The local database's size as D1 reports it (bytes of its pages; SQLite's PRAGMAs are not allowed). */
async function dbSize(): Promise<number> {
  const { meta } = await env.DB.prepare("SELECT 1").run();
  return (meta as { size_after: number }).size_after;
}

function zeroCounts(): RetentionCounts {
  return {
    messages: 0,
    logRows: 0,
    deadLetters: 0,
    idempotencyKeys: 0,
    archived: 0,
    archiveHoursExpired: 0,
  };
}

interface ArchivedBody {
  id: string;
  archived?: boolean;
  payload?: Record<string, unknown>;
  deliveries: { endpointId: string; status: string; attempts: number }[];
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("archive to R2", () => {
  it("round trip: past D1_RETENTION_DAYS messages leave D1 for R2, are read back through the API, and go after ARCHIVE_RETENTION_DAYS", async () => {
    const { appId, key } = await newApp("archived");
    const ok = await newEndpoint(appId, { url: "https://ok.example.com/hook" });
    const gone = await newEndpoint(appId, { url: "https://gone.example.com/hook" });
    const at = inHourDaysAgo(8);
    const first = await seedRaw(appId, [ok.id, gone.id], at, RAW, "invoice-1");
    const second = await seedRaw(appId, [ok.id], at + 1000, '{"n":2}');
    const recent = await seedRaw(appId, [ok.id], Date.now(), '{"n":3}');
    receiver((req) =>
      req.url.includes("gone") ? new Response("gone", { status: 410 }) : new Response("ok"),
    );
    await runConsumer([...first, ...second, ...recent]);
    const oldId = first[0]?.messageId ?? "";
    const secondId = second[0]?.messageId ?? "";
    const recentId = recent[0]?.messageId ?? "";
    const before = await d1Rows(appId);
    expect(before).toMatchObject({ messages: 3, letters: 1, keys: 1 });

    const report = await sweep(env);

    // Out of D1: the messages, their log rows, their dead letter, their idempotency key.
    expect(report.purged.archived).toBeGreaterThanOrEqual(2);
    expect(await inD1(oldId)).toBe(false);
    expect(await inD1(secondId)).toBe(false);
    expect(await inD1(recentId)).toBe(true);
    expect(await d1Rows(appId)).toMatchObject({ messages: 1, letters: 0, keys: 0 });
    expect((await d1Rows(appId))?.log).toBeLessThan(before?.log ?? 0);

    // In R2: one object for the app's hour, each line a message with its payload byte for byte.
    const hour = hourOfMessage(oldId);
    const key0 = partKey(appId, hour, 1);
    expect(key0).toBe(`apps/${appId}/${hour}.ndjson.gz`);
    const lines = (await objectLines(key0)) ?? [];
    expect(lines).toHaveLength(2);
    expect(lines.join("\n")).toContain("12345678901234567890123");
    const line = parseLine(lines[0] ?? "");
    expect(line.id).toBe(oldId);
    expect(line.payload).toBe(RAW);
    expect(line.idempotencyKey).toBe("invoice-1");
    expect(line.deadLetters).toEqual([
      expect.objectContaining({ endpointId: gone.id, reason: expect.any(String) }),
    ]);
    expect(line.log.map((e) => [e.endpointId, e.attempt, e.status]).sort()).toEqual(
      [
        [ok.id, 1, "succeeded"],
        [gone.id, 1, "dead"],
      ].sort(),
    );
    expect(await env.ARCHIVE.head(markerKey(hour, appId))).not.toBeNull();

    // Through the API, with the app's own key: the same shape, marked as archived.
    const got = await call<ArchivedBody>("GET", `/v1/apps/${appId}/messages/${oldId}`, {
      token: key,
    });
    expect(got.status).toBe(200);
    expect(got.headers.get("hooklane-archived")).toBe("true");
    expect(got.body.archived).toBe(true);
    expect(got.body.deliveries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ endpointId: ok.id, status: "succeeded", attempts: 1 }),
        expect.objectContaining({ endpointId: gone.id, status: "dead", attempts: 1 }),
      ]),
    );
    // The payload spliced in as the sender wrote it.
    const text = await rawAnswer(`/v1/apps/${appId}/messages/${oldId}`, key);
    expect(text).toContain(`"payload":${RAW}`);
    // A message still in D1 answers as before, unmarked.
    const live = await call<ArchivedBody>("GET", `/v1/apps/${appId}/messages/${recentId}`);
    expect(live.status).toBe(200);
    expect(live.headers.get("hooklane-archived")).toBeNull();
    expect(live.body.archived).toBeUndefined();

    // Its attempts too.
    const attempts = await call<{ data: { endpointId: string; attempt: number }[] }>(
      "GET",
      `/v1/apps/${appId}/messages/${oldId}/attempts`,
    );
    expect(attempts.status).toBe(200);
    expect(attempts.headers.get("hooklane-archived")).toBe("true");
    expect(attempts.body.data).toHaveLength(2);

    // The app's archive, listed by hour, and the hour's messages.
    const hours = await call<{ data: { hour: string; messages: number; parts: number }[] }>(
      "GET",
      `/v1/apps/${appId}/archive`,
      { token: key },
    );
    expect(hours.status).toBe(200);
    expect(hours.body.data).toEqual([
      expect.objectContaining({ hour, messages: 2, parts: 1, startsAt: `${hour}:00:00.000Z` }),
    ]);
    const inHour = await call<{ data: ArchivedBody[] }>("GET", `/v1/apps/${appId}/archive/${hour}`);
    expect(inHour.status).toBe(200);
    expect(inHour.body.data.map((m) => [m.id, m.archived])).toEqual([
      [oldId, true],
      [secondId, true],
    ]);

    // Another app's key, and another app's path, find nothing.
    const other = await newApp("other");
    const foreign = await call("GET", `/v1/apps/${other.appId}/messages/${oldId}`, {
      token: other.key,
    });
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get("content-type")).toBe("application/problem+json");
    expect((await call("GET", `/v1/apps/${appId}/archive`, { token: other.key })).status).toBe(404);
    expect(
      (await call("GET", `/v1/apps/${other.appId}/archive`, { token: other.key })).body,
    ).toEqual({ data: [], nextCursor: null });

    // ARCHIVE_RETENTION_DAYS (90) later the hour is deleted from R2; a younger one stays.
    const later = Date.now() + 83 * DAY;
    const expired = await sweep(env, later);
    expect(expired.purged.archiveHoursExpired).toBeGreaterThanOrEqual(1);
    expect(await env.ARCHIVE.head(key0)).toBeNull();
    expect(await env.ARCHIVE.head(markerKey(hour, appId))).toBeNull();
    expect((await call("GET", `/v1/apps/${appId}/messages/${oldId}`)).status).toBe(404);
    // The recent message went to the archive in that sweep (76 days past D1 retention) and stays.
    expect(await inD1(recentId)).toBe(false);
    const left = await call<{ data: { hour: string }[] }>("GET", `/v1/apps/${appId}/archive`);
    expect(left.body.data.map((h) => h.hour)).toEqual([hourOfMessage(recentId)]);
    expect((await call("GET", `/v1/apps/${appId}/messages/${recentId}`)).status).toBe(200);
  });

  it("the database stops growing: each hour archived gives its pages back, by the size D1 reports", async () => {
    const { appId } = await newApp("size");
    const ep = await newEndpoint(appId, { url: "https://ok.example.com/size" });
    const n = 300;
    /** `n` messages of ~4 KB with a log row each, created at `at`, already checked by the sweeper. */
    const bulk = async (at: number) => {
      const floor = idFloor("msg", at);
      await env.DB.batch([
        env.DB.prepare(
          `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?3)
           INSERT INTO messages (app_id, id, event_type, payload, endpoints)
           SELECT ?1, ?2 || printf('%016d', i), 'invoice.paid',
             '{"pad":"' || printf('%.4000c', 'x') || '"}', json_array(substr(?4, 4)) FROM s`,
        ).bind(appId, floor, n, ep.id),
        env.DB.prepare(
          `INSERT INTO attempt_log (app_id, bucket, id, endpoint_id, entries)
           SELECT app_id, substr(id, 1, 12), 'att_' || substr(id, 5), ?3,
             json_array(json_array(substr(id, 5), 1, 's', 10, 5, 200)) FROM messages
           WHERE app_id = ?1 AND id > ?2 AND id < ?2 || '~'`,
        ).bind(appId, floor, ep.id),
        env.DB.prepare("UPDATE apps SET swept_to = ?2 WHERE id = ?1").bind(appId, `${floor}~`),
      ]);
    };
    // Whatever else in this file is past retention goes first.
    await sweep(env);
    const start = await dbSize();
    const sizes: { full: number; archived: number }[] = [];
    // Three hours of traffic, each archived once it is past D1_RETENTION_DAYS.
    for (let hour = 0; hour < 3; hour++) {
      await bulk(inHourDaysAgo(9) + hour * 3_600_000);
      const full = await dbSize();
      const report = await sweep(env);
      expect(report.purged.archived).toBeGreaterThanOrEqual(n);
      expect(await d1Rows(appId)).toMatchObject({ messages: 0, log: 0 });
      sizes.push({ full, archived: await dbSize() });
    }
    console.log(JSON.stringify({ msg: "D1 size (bytes)", start, sizes }));
    for (const { full, archived } of sizes) {
      // Each hour's 300 x 4 KB grew the database by over a megabyte...
      expect(full - start).toBeGreaterThan(n * 4000);
      // ...and archiving it gave that back: the size does not creep up hour after hour.
      expect(archived - start).toBeLessThan((full - start) * 0.1);
    }
  });

  it("never archives a message with an open delivery; the rest of its hour waits, then follows as a second part", async () => {
    const { appId } = await newApp("open");
    const ep = await newEndpoint(appId, { url: "https://ok.example.com/open" });
    const at = inHourDaysAgo(10);
    const tasks = [
      ...(await seedRaw(appId, [ep.id], at, '{"n":1}')),
      ...(await seedRaw(appId, [ep.id], at + 1000, '{"n":2}')),
      ...(await seedRaw(appId, [ep.id], at + 2000, '{"n":3}')),
    ];
    receiver(() => new Response("ok"));
    await runConsumer(tasks);
    const [m1, m2, m3] = tasks.map((t) => t.messageId);
    // The second one was replayed just now: open again, due in an hour.
    await env.DB.prepare(
      `INSERT INTO open_deliveries (endpoint_id, message_id, app_id, state, due_at, created_at)
       VALUES (?, ?, ?, 'waiting', ?, ?)`,
    )
      .bind(ep.id, m2, appId, Date.now() + 3_600_000, Date.now())
      .run();

    await sweep(env);

    expect(await inD1(m1 ?? "")).toBe(false);
    expect(await inD1(m2 ?? "")).toBe(true);
    expect(await inD1(m3 ?? "")).toBe(true);
    const hour = hourOfMessage(m1 ?? "");
    expect((await hourParts(env.ARCHIVE, appId, hour)).map((p) => p.meta)).toEqual([
      { first: m1, last: m1, messages: 1 },
    ]);
    // Still read from D1 meanwhile, with its open delivery.
    const open = await call<ArchivedBody>("GET", `/v1/apps/${appId}/messages/${m2}`);
    expect(open.body.archived).toBeUndefined();
    expect(open.body.deliveries[0]?.status).toBe("pending");

    // The delivery ends; the next sweep takes the rest of the hour, as the hour's second part.
    await env.DB.prepare("DELETE FROM open_deliveries WHERE message_id = ?").bind(m2).run();
    await sweep(env);

    expect(await inD1(m2 ?? "")).toBe(false);
    expect(await inD1(m3 ?? "")).toBe(false);
    const parts = await hourParts(env.ARCHIVE, appId, hour);
    expect(parts.map((p) => [p.key, p.meta])).toEqual([
      [partKey(appId, hour, 1), { first: m1, last: m1, messages: 1 }],
      [partKey(appId, hour, 2), { first: m2, last: m3, messages: 2 }],
    ]);
    expect(partKey(appId, hour, 2)).toBe(`apps/${appId}/${hour}.part-0002.ndjson.gz`);
    for (const id of [m1, m2, m3]) {
      const got = await call<ArchivedBody>("GET", `/v1/apps/${appId}/messages/${id}`);
      expect([got.status, got.body.id, got.body.archived]).toEqual([200, id, true]);
    }
    const hours = await call<{ data: { hour: string; messages: number; parts: number }[] }>(
      "GET",
      `/v1/apps/${appId}/archive`,
    );
    expect(hours.body.data).toEqual([expect.objectContaining({ hour, messages: 3, parts: 2 })]);
  });

  it("a second sweep writes nothing again, and an hour too big for one pass is written in parts, paged in order", async () => {
    const { appId } = await newApp("parts");
    const ep = await newEndpoint(appId, { url: "https://ok.example.com/parts" });
    const at = inHourDaysAgo(11);
    const tasks: SeededTask[] = [];
    for (let i = 0; i < 5; i++) tasks.push(...(await seedRaw(appId, [ep.id], at + i * 1000)));
    receiver(() => new Response("ok"));
    await runConsumer(tasks);
    await sweep(env, Date.now()); // checks the first tries (and archives, in one pass)
    const hour = hourOfMessage(tasks[0]?.messageId ?? "");
    const once = await hourParts(env.ARCHIVE, appId, hour);
    expect(once).toHaveLength(1);
    const firstUpload = (await env.ARCHIVE.head(partKey(appId, hour, 1)))?.uploaded.getTime();

    const again = await sweep(env);

    // Nothing left in D1 for that hour: nothing is written again.
    expect((await hourParts(env.ARCHIVE, appId, hour)).map((p) => p.meta)).toEqual(
      once.map((p) => p.meta),
    );
    expect((await env.ARCHIVE.head(partKey(appId, hour, 1)))?.uploaded.getTime()).toBe(firstUpload);
    expect(again.purged.archived).toBe(0);

    // Another app's hour, archived in passes of two messages: three parts.
    const big = await newApp("big-hour");
    const bigEp = await newEndpoint(big.appId, { url: "https://ok.example.com/big" });
    const bigTasks: SeededTask[] = [];
    for (let i = 0; i < 5; i++)
      bigTasks.push(...(await seedRaw(big.appId, [bigEp.id], at + i * 1000, `{"i":${i}}`)));
    await runConsumer(bigTasks);
    const bigHour = hourOfMessage(bigTasks[0]?.messageId ?? "");
    // As the sweeper's first-try check leaves it: every first try accounted for.
    await env.DB.prepare("UPDATE apps SET swept_to = ? WHERE id = ?")
      .bind(bigTasks[4]?.messageId, big.appId)
      .run();
    const counts = zeroCounts();
    await archiveShard(env, env.ARCHIVE, env.DB, Date.now(), () => true, counts, [], {
      messages: 2,
      payloadBytes: 1 << 20,
      deliveries: 100,
    });
    expect(counts.archived).toBe(5);
    const parts = await hourParts(env.ARCHIVE, big.appId, bigHour);
    expect(parts.map((p) => [p.part, p.meta?.messages])).toEqual([
      [1, 2],
      [2, 2],
      [3, 1],
    ]);
    const ids = bigTasks.map((t) => t.messageId);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page = await call<{ data: ArchivedBody[]; nextCursor: string | null }>(
        "GET",
        `/v1/apps/${big.appId}/archive/${bigHour}${q}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((m) => m.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    const last = await call<ArchivedBody>("GET", `/v1/apps/${big.appId}/messages/${ids[4]}`);
    expect(last.body.payload).toEqual({ i: 4 });
  });

  it("a D1 failure after the R2 write loses nothing: the rows stay, and the next sweep finishes without duplicates", async () => {
    const { appId } = await newApp("crash");
    const ep = await newEndpoint(appId, { url: "https://ok.example.com/crash" });
    const at = inHourDaysAgo(12);
    const tasks = [
      ...(await seedRaw(appId, [ep.id], at)),
      ...(await seedRaw(appId, [ep.id], at + 1000, '{"n":2}')),
    ];
    receiver(() => new Response("ok"));
    await runConsumer(tasks);
    const ids = tasks.map((t) => t.messageId);
    const hour = hourOfMessage(ids[0] ?? "");
    // D1 fails on the transaction that would remove the archived rows.
    const batch = env.DB.batch.bind(env.DB);
    let failed = 0;
    vi.spyOn(env.DB, "batch").mockImplementation(async (statements) => {
      const sql = (statements[0] as unknown as { statement?: string }).statement ?? "";
      if (sql.includes("DELETE FROM messages WHERE app_id = ?1 AND id IN")) {
        failed++;
        throw new Error("D1_ERROR: simulated outage");
      }
      return batch(statements);
    });

    const report = await sweep(env);

    expect(failed).toBe(1);
    expect(report.purged.archived).toBe(0);
    // Written to R2, and still all in D1: nothing lost, still readable.
    expect((await objectLines(partKey(appId, hour, 1)))?.length).toBe(2);
    for (const id of ids) expect(await inD1(id)).toBe(true);
    const meanwhile = await call<ArchivedBody>("GET", `/v1/apps/${appId}/messages/${ids[0]}`);
    expect([meanwhile.status, meanwhile.body.archived]).toEqual([200, undefined]);

    vi.mocked(env.DB.batch).mockRestore();
    const next = await sweep(env);

    expect(next.purged.archived).toBeGreaterThanOrEqual(2);
    for (const id of ids) expect(await inD1(id)).toBe(false);
    // The same object, each message once.
    const parts = await hourParts(env.ARCHIVE, appId, hour);
    expect(parts.map((p) => p.part)).toEqual([1]);
    const lines = (await objectLines(partKey(appId, hour, 1))) ?? [];
    expect(lines.map((l) => parseLine(l).id)).toEqual(ids);
    const got = await call<ArchivedBody>("GET", `/v1/apps/${appId}/messages/${ids[1]}`);
    expect([got.status, got.body.archived, got.body.payload]).toEqual([200, true, { n: 2 }]);
  });

  it("a delivery reopened between the read and the delete keeps its message in D1; it is archived again later, merged, once", async () => {
    const { appId } = await newApp("race");
    const ep = await newEndpoint(appId, { url: "https://ok.example.com/race" });
    const at = inHourDaysAgo(14);
    const tasks = [
      ...(await seedRaw(appId, [ep.id], at, '{"n":1}')),
      ...(await seedRaw(appId, [ep.id], at + 1000, '{"n":2}')),
      ...(await seedRaw(appId, [ep.id], at + 2000, '{"n":3}')),
    ];
    receiver(() => new Response("ok"));
    await runConsumer(tasks);
    const [m1, m2, m3] = tasks.map((t) => t.messageId);
    const hour = hourOfMessage(m1 ?? "");
    // A replay of the second lands while its hour is being written to R2.
    const put = env.ARCHIVE.put.bind(env.ARCHIVE);
    vi.spyOn(env.ARCHIVE, "put").mockImplementation(async (key, value, options) => {
      if (key === partKey(appId, hour, 1))
        await env.DB.prepare(
          `INSERT OR IGNORE INTO open_deliveries (endpoint_id, message_id, app_id, state, due_at, created_at)
           VALUES (?, ?, ?, 'waiting', ?, ?)`,
        )
          .bind(ep.id, m2, appId, Date.now() + 3_600_000, Date.now())
          .run();
      return put(key, value, options);
    });

    await sweep(env);

    expect([await inD1(m1 ?? ""), await inD1(m2 ?? ""), await inD1(m3 ?? "")]).toEqual([
      false,
      true,
      false,
    ]);
    // Its dead letters and log stay with it; the API reads it from D1 meanwhile.
    const meanwhile = await call<ArchivedBody>("GET", `/v1/apps/${appId}/messages/${m2}`);
    expect(meanwhile.body.archived).toBeUndefined();
    expect(meanwhile.body.deliveries[0]?.status).toBe("pending");
    vi.mocked(env.ARCHIVE.put).mockRestore();

    // The replay succeeds (a second attempt) and the delivery ends; the next sweep archives it again.
    await env.DB.batch([
      env.DB.prepare("DELETE FROM open_deliveries WHERE message_id = ?").bind(m2),
      insertLogStatement(
        env.DB,
        [
          {
            appId,
            endpointId: ep.id,
            entries: [[m2 ?? "", 2, "succeeded", Date.now(), 5, 200, null, "ok"]],
          },
        ],
        () => newId("att"),
      ) ?? env.DB.prepare("SELECT 1"),
    ]);
    await sweep(env);

    expect(await inD1(m2 ?? "")).toBe(false);
    // Merged into the part that covers it, not a second copy elsewhere.
    const parts = await hourParts(env.ARCHIVE, appId, hour);
    expect(parts.map((p) => p.meta)).toEqual([{ first: m1, last: m3, messages: 3 }]);
    const lines = (await objectLines(partKey(appId, hour, 1))) ?? [];
    expect(lines.map((l) => parseLine(l).id)).toEqual([m1, m2, m3]);
    const got = await call<ArchivedBody>("GET", `/v1/apps/${appId}/messages/${m2}`);
    expect([
      got.body.archived,
      got.body.deliveries[0]?.status,
      got.body.deliveries[0]?.attempts,
    ]).toEqual([true, "succeeded", 2]);
  });

  it("measures what an archived delivery weighs in R2 (the bench's event, one first-try success)", async () => {
    const { appId } = await newApp("weight");
    const ep = await newEndpoint(appId, { url: "https://ok.example.com/weight" });
    const n = 2000;
    const floor = idFloor("msg", inHourDaysAgo(13));
    // The bench's ~190-byte order event, with the ids, amounts and emails varying per message.
    const payload = `'{"orderId":"ord_' || printf('%06d', i * 7919 % 1000003) || '","amount":' || (i * 37 % 9000 + 100) ||
      ',"currency":"EUR","customer":{"id":"cus_' || (i * 13 % 5000) || '","email":"buyer' || (i * 13 % 5000) ||
      '@example.com"},"items":[{"sku":"sku-' || (i % 40) || '","qty":' || (i % 3 + 1) || ',"price":1500},{"sku":"sku-' ||
      (i % 17) || '","qty":1,"price":1200}]}'`;
    await env.DB.batch([
      env.DB.prepare(
        `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?3)
         INSERT INTO messages (app_id, id, event_type, payload, endpoints)
         SELECT ?1, ?2 || printf('%016d', i), 'order.created', ${payload}, json_array(substr(?4, 4)) FROM s`,
      ).bind(appId, floor, n, ep.id),
      // One log row per 50 messages (a consumer batch), each entry a success answered "ok".
      env.DB.prepare(
        `INSERT INTO attempt_log (app_id, bucket, id, endpoint_id, entries)
         SELECT ?1, substr(min(id), 1, 12), 'att_' || substr(min(id), 5), ?3,
           json_group_array(json_array(substr(id, 5), 1, 's', 40 + CAST(substr(id, -3) AS INTEGER), 85, 200, NULL, 'ok'))
         FROM messages WHERE app_id = ?1 AND id > ?2 AND id < ?2 || '~'
         GROUP BY CAST(substr(id, -6) AS INTEGER) / 50`,
      ).bind(appId, floor, ep.id),
      env.DB.prepare("UPDATE apps SET swept_to = ?2 WHERE id = ?1").bind(appId, `${floor}~`),
    ]);
    const stored = await env.DB.prepare(
      "SELECT sum(length(payload)) AS bytes FROM messages WHERE app_id = ?",
    )
      .bind(appId)
      .first<{ bytes: number }>();

    const counts = zeroCounts();
    await archiveShard(env, env.ARCHIVE, env.DB, Date.now(), () => true, counts);

    expect(counts.archived).toBe(n);
    const parts = await hourParts(env.ARCHIVE, appId, hourOfMessage(`${floor}0`));
    const bytes = parts.reduce((sum, p) => sum + p.size, 0);
    const payloadBytes = (stored?.bytes ?? 0) / n;
    let lineBytes = 0;
    for (const p of parts) lineBytes += ((await objectLines(p.key)) ?? []).join("\n").length + 1;
    console.log(
      JSON.stringify({
        msg: "R2 bytes per archived delivery",
        messages: n,
        parts: parts.length,
        objectBytes: bytes,
        perDelivery: Math.round(bytes / n),
        uncompressedPerDelivery: Math.round(lineBytes / n),
        payloadBytes: Math.round(payloadBytes),
      }),
    );
    // Compressed, a whole archived delivery (payload, log entry, statuses) weighs less than its
    // payload did in D1.
    expect(bytes / n).toBeLessThan(payloadBytes);
  });

  it("answers problem+json for an hour that is not archived or not an hour", async () => {
    const { appId } = await newApp("problems");
    const missing = await call("GET", `/v1/apps/${appId}/archive/2020-01-01T00`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    const bad = await call("GET", `/v1/apps/${appId}/archive/yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
    const badCursor = await call("GET", `/v1/apps/${appId}/archive?cursor=bm90LWFuLWhvdXI`);
    expect(badCursor.status).toBe(400);
    // A deployment without an archive bucket says so; retention there deletes instead.
    const none = await call<{ detail: string }>("GET", `/v1/apps/${appId}/archive`, {
      vars: { ARCHIVE: undefined } as unknown as Partial<Record<keyof Env, string>>,
    });
    expect(none.status).toBe(404);
    expect(none.body.detail).toMatch(/no archive/);
  });
});
