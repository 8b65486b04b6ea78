import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bucketOf, minuteOf } from "../../src/gate/latency";
import {
  flatten,
  mergeSeries,
  type SeriesCell,
  seriesRange,
  toPoints,
} from "../../src/gate/series";
import type { GateOutcome } from "../../src/gate/types";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function gate(name: string = crypto.randomUUID()) {
  return env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(`ep_${name}`));
}

function outcome(ok: boolean, latencyMs: number): GateOutcome {
  return { leaseId: crypto.randomUUID(), ok, countsAsFailure: !ok, latencyMs };
}

describe("seriesRange", () => {
  it("ends with the step now is in, UTC-aligned, 24 hourly or 28 six-hourly steps", () => {
    const now = Date.parse("2026-11-27T21:17:00Z");
    expect(seriesRange("24h", now)).toEqual({
      from: Date.parse("2026-11-26T22:00:00Z"),
      stepMs: HOUR_MS,
      points: 24,
    });
    expect(seriesRange("7d", now)).toEqual({
      from: Date.parse("2026-11-21T00:00:00Z"),
      stepMs: 6 * HOUR_MS,
      points: 28,
    });
  });
});

describe("mergeSeries and toPoints", () => {
  const at = Date.parse("2026-11-27T20:00:00Z");
  const a: SeriesCell[] = [
    { at, bucket: bucketOf(100), n: 90, ok: 90, sumMs: 9000 },
    { at, bucket: bucketOf(1000), n: 2, ok: 0, sumMs: 2000 },
  ];
  const b: SeriesCell[] = [
    { at, bucket: bucketOf(1000), n: 8, ok: 8, sumMs: 8000 },
    { at: at + HOUR_MS, bucket: bucketOf(50), n: 1, ok: 1, sumMs: 50 },
  ];

  it("sums the cells of the same step and bucket, and leaves the inputs alone", () => {
    const merged = mergeSeries([a, b]);
    expect(merged).toEqual([
      { at, bucket: bucketOf(100), n: 90, ok: 90, sumMs: 9000 },
      { at, bucket: bucketOf(1000), n: 10, ok: 8, sumMs: 10_000 },
      { at: at + HOUR_MS, bucket: bucketOf(50), n: 1, ok: 1, sumMs: 50 },
    ]);
    expect(a[1]?.n).toBe(2);
  });

  it("gives the merged p95 of all endpoints, not an average of theirs", () => {
    // a alone has p95 100 ms; b alone 1000 ms; together 100 requests with 10 at 1000 ms.
    const range = seriesRange("24h", at + 30 * 60_000);
    const points = toPoints(mergeSeries([a, b]), range);
    expect(points).toHaveLength(24);
    const last = points[23];
    expect(last).toEqual({
      at: new Date(at).toISOString(),
      requests: 100,
      successes: 98,
      successRate: 0.98,
      p95Ms: 1000,
    });
    // Steps with nothing in them are points too, and cells outside the range are dropped.
    expect(points[0]).toMatchObject({ requests: 0, successRate: null, p95Ms: null });
    expect(points.reduce((sum, p) => sum + p.requests, 0)).toBe(100);
    expect(flatten(mergeSeries([a, b])).reduce((sum, c) => sum + c.n, 0)).toBe(101);
  });
});

describe("EndpointGate.series", () => {
  it("answers the last day from its minutes, in hourly steps", async () => {
    const stub = gate();
    const now = Date.now();
    await stub.report([outcome(true, 100), outcome(true, 100), outcome(false, 2000)], now);
    await stub.report([outcome(true, 40)], now - 3 * HOUR_MS);
    const series = await stub.series("24h", now);
    expect(series.breaker).toBe("closed");
    const points = toPoints(series.cells, seriesRange("24h", now));
    expect(points[23]).toMatchObject({ requests: 3, successes: 2, p95Ms: 2000 });
    expect(points[20]).toMatchObject({ requests: 1, successes: 1, p95Ms: 40 });
    expect(points.reduce((sum, p) => sum + p.requests, 0)).toBe(4);
  });

  it("rolls minutes older than a day into hours on its alarm, for the 7-day series", async () => {
    const stub = gate();
    const now = Date.now();
    await stub.report([outcome(true, 100), outcome(false, 300)], now);
    await stub.report([outcome(true, 80)], now - 1000);
    // Age the first report by three days and the second by ten: the purge keeps the one,
    // rolled into its hour, and drops the other.
    await runInDurableObject(stub, async (_, state) => {
      state.storage.sql.exec(
        "UPDATE latency SET minute = CASE WHEN sum_ms = 80 THEN ? ELSE ? END",
        minuteOf(now - 10 * DAY_MS),
        minuteOf(now - 3 * DAY_MS),
      );
      const s = state.storage.kv.get<{ purgeAt: number | null }>("gate");
      if (!s) throw new Error("no state");
      s.purgeAt = Date.now() - 1;
      state.storage.kv.put("gate", s);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tables = await runInDurableObject(stub, (_, state) => ({
      minutes: state.storage.sql.exec("SELECT * FROM latency").toArray().length,
      hours: state.storage.sql
        .exec<{ hour: number; n: number; ok: number }>("SELECT hour, n, ok FROM latency_hourly")
        .toArray(),
    }));
    expect(tables.minutes).toBe(0);
    expect(tables.hours.reduce((sum, h) => sum + h.n, 0)).toBe(2);
    expect(tables.hours.every((h) => h.hour === Math.floor((now - 3 * DAY_MS) / HOUR_MS))).toBe(
      true,
    );

    const week = toPoints((await stub.series("7d", now)).cells, seriesRange("7d", now));
    expect(week.reduce((sum, p) => sum + p.requests, 0)).toBe(2);
    expect(week.find((p) => p.requests > 0)).toMatchObject({ successes: 1, p95Ms: 300 });
    // The 24-hour series does not reach back three days.
    const day = (await stub.series("24h", now)).cells;
    expect(day).toEqual([]);
    // Hours remain: the next purge is when the oldest of them is a week old, not in an hour.
    const oldest = Math.floor((now - 3 * DAY_MS) / HOUR_MS);
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBe(
      (oldest + 1) * HOUR_MS + 7 * DAY_MS,
    );
    // New traffic brings the purge back within the hour, for its minutes.
    const later = Date.now();
    await stub.report([outcome(true, 10)], later);
    const alarm = await runInDurableObject(stub, (_, state) => state.storage.getAlarm());
    expect(alarm).toBeLessThanOrEqual(later + HOUR_MS);
  });

  it("counts a minute rolled in part into its hour once, from both tables", async () => {
    const stub = gate();
    const now = Date.now();
    await stub.report([outcome(true, 100)], now);
    await stub.report([outcome(true, 100)], now + 60_000);
    const hourOfFirst = await runInDurableObject(stub, (_, state) => {
      // Move the first minute into the hourly table by hand, as a purge cutting an hour would.
      const first = minuteOf(now);
      state.storage.sql.exec(
        "INSERT INTO latency_hourly SELECT minute / 60, bucket, n, ok, sum_ms FROM latency WHERE minute = ?",
        first,
      );
      state.storage.sql.exec("DELETE FROM latency WHERE minute = ?", first);
      return Math.floor(first / 60);
    });
    expect(hourOfFirst).toBeGreaterThan(0);
    const cells = (await stub.series("7d", now + 60_000)).cells;
    expect(cells.reduce((sum, c) => sum + c.n, 0)).toBe(2);
  });

  it("forgets its history when reset (an endpoint re-enabled starts over)", async () => {
    const stub = gate();
    await stub.report([outcome(false, 100)]);
    await stub.reset();
    expect((await stub.series("24h")).cells).toEqual([]);
  });
});
