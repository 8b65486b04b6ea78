import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  attemptId,
  entriesForMessagesStatement,
  entriesForRefsStatement,
  insertLogStatement,
  type LogEntry,
  loggedEntries,
  packEntry,
  parseAttemptId,
  unpackEntry,
} from "../../src/db/attempt-log";
import { bucketAfter, bucketOf, idFloor, newId, timeOfId } from "../../src/lib/ids";

describe("attempt-log entries", () => {
  const created = Date.UTC(2026, 10, 27, 12, 0, 0);
  const messageId = newId("msg", created);

  it("stores a first-try success in under 50 bytes and reads it back whole", () => {
    const entry: LogEntry = [messageId, 1, "succeeded", created + 1234, 7, 200, null, null];
    const packed = packEntry(entry);
    expect(packed).toEqual([messageId.slice(4), 1, "s", 1234, 7, 200]);
    expect(JSON.stringify(packed).length).toBeLessThanOrEqual(48);
    expect(unpackEntry(packed)).toEqual(entry);
  });

  it("keeps every field of a failure, and settlements without a request", () => {
    const failed: LogEntry = [
      messageId,
      2,
      "failed",
      created + 60_000,
      15_000,
      null,
      "timeout",
      "x",
    ];
    expect(unpackEntry(packEntry(failed))).toEqual(failed);
    const dead: LogEntry = [messageId, 0, "dead", created + 5, 0, null, "expired", null];
    expect(packEntry(dead)).toEqual([messageId.slice(4), 0, "d", 5, 0, null, "expired"]);
    expect(unpackEntry(packEntry(dead))).toEqual(dead);
  });

  it("also reads full status names and absolute times", () => {
    expect(unpackEntry([messageId.slice(4), 1, "failed", created + 10, 3, 500])).toEqual([
      messageId,
      1,
      "failed",
      created + 10,
      3,
      500,
      null,
      null,
    ]);
  });

  it("reads a message's creation time and its neighbouring seconds from its id", () => {
    expect(timeOfId(messageId)).toBe(created);
    const bucket = bucketOf(messageId);
    expect(bucketAfter(bucket, 1)).toBe(bucketOf(idFloor("msg", created + 1024)));
    expect(bucketAfter(bucket, -1)).toBe(bucketOf(idFloor("msg", created - 1024)));
    expect(bucketAfter(bucketAfter(bucket, 1), -1)).toBe(bucket);
  });

  it("writes a batch's entries of two neighbouring seconds in one row, and finds each again", async () => {
    const appId = newId("app");
    const endpointId = newId("ep");
    const second = created - (created % 1024);
    // Messages of seconds 0, 1 and 2 (one row for 0 and 1, one for 2), and of second 4.
    const ids = [0, 1, 1, 2, 4].map(
      (s, i) => `${idFloor("msg", second + s * 1024 + i)}${newId("msg").slice(-16)}`,
    );
    const entries = ids.map(
      (id): LogEntry => [id, 1, "succeeded", created + 5000, 3, 200, null, "ok"],
    );
    const insert = insertLogStatement(env.DB, [{ appId, endpointId, entries }], () => newId("att"));
    if (!insert) throw new Error("nothing to insert");
    await insert.run();
    const { results } = await env.DB.prepare(
      "SELECT bucket, json_array_length(entries) AS n FROM attempt_log WHERE app_id = ? ORDER BY bucket",
    )
      .bind(appId)
      .all<{ bucket: string; n: number }>();
    expect(results).toEqual([
      { bucket: bucketOf(ids[0] ?? ""), n: 3 },
      { bucket: bucketOf(ids[3] ?? ""), n: 1 },
      { bucket: bucketOf(ids[4] ?? ""), n: 1 },
    ]);
    for (const id of ids) {
      const one = loggedEntries(await entriesForMessagesStatement(env.DB, appId, [id]).all());
      expect(one.map((l) => l.entry)).toEqual([
        [id, 1, "succeeded", created + 5000, 3, 200, null, "ok"],
      ]);
    }
    const all = loggedEntries(
      await entriesForRefsStatement(
        env.DB,
        ids.map((messageId) => ({ appId, messageId })),
      ).all(),
    );
    expect(all.map((l) => l.entry[0]).sort()).toEqual([...ids].sort());
  });

  it("finds a wide message's outcomes by its endpoints, reading only their rows", async () => {
    const appId = newId("app");
    const wide = newId("msg");
    const endpoints = Array.from({ length: 30 }, () => newId("ep"));
    // One log row per endpoint (as a fan-out's batches write them), all about the same message.
    for (const endpointId of endpoints) {
      const entries: LogEntry[] = [[wide, 1, "succeeded", timeOfId(wide) + 10, 3, 200, null, null]];
      await insertLogStatement(env.DB, [{ appId, endpointId, entries }], () => newId("att"))?.run();
    }
    const asked = endpoints.slice(0, 3);
    const res = await entriesForRefsStatement(
      env.DB,
      asked.map((endpointId) => ({ appId, messageId: wide, endpointId })),
    ).all();
    expect(
      loggedEntries(res)
        .map((l) => l.endpointId)
        .sort(),
    ).toEqual([...asked].sort());
    // Asked by the message alone, the entries come from its second's thirty rows.
    const second = await entriesForRefsStatement(env.DB, [{ appId, messageId: wide }]).all();
    expect(loggedEntries(second)).toHaveLength(30);
    // Through the endpoints' index, the read stays with their three rows.
    expect(res.meta.rows_read * 3).toBeLessThan(second.meta.rows_read);
  });

  it("names an attempt by its row and index, and reads that back", () => {
    const row = newId("att");
    for (const index of [0, 1, 31, 32, 1023]) {
      const id = attemptId(row, index);
      expect(id).toHaveLength(32);
      expect(parseAttemptId(id)).toEqual({ rowId: row, index });
    }
    // Ids of one row sort like their indexes, and after an older row's.
    expect(attemptId(row, 2) < attemptId(row, 33)).toBe(true);
    expect(parseAttemptId("att_short")).toBeNull();
  });
});
