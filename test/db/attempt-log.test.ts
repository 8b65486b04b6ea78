import { describe, expect, it } from "vitest";
import {
  attemptId,
  type LogEntry,
  packEntry,
  parseAttemptId,
  unpackEntry,
} from "../../src/db/attempt-log";
import { newId } from "../../src/lib/ids";

describe("attempt-log entries", () => {
  const created = Date.UTC(2026, 10, 27, 12, 0, 0);
  const messageId = newId("msg", created);

  it("stores a first-try success in about 50 bytes and reads it back whole", () => {
    const entry: LogEntry = [messageId, 1, "succeeded", created + 1234, 7, 200, null, null];
    const packed = packEntry(entry);
    expect(packed).toEqual([messageId, 1, "s", 1234, 7, 200]);
    expect(JSON.stringify(packed).length).toBeLessThanOrEqual(52);
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
    expect(packEntry(dead)).toEqual([messageId, 0, "d", 5, 0, null, "expired"]);
    expect(unpackEntry(packEntry(dead))).toEqual(dead);
  });

  it("also reads the long form (full status names, absolute times)", () => {
    expect(unpackEntry([messageId, 1, "failed", created + 10, 3, 500])).toEqual([
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
