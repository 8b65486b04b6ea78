import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fanOutColumn } from "../../src/db/messages";
import { idFloor, newId } from "../../src/lib/ids";
import { receiver, runConsumer, seedDeliveries } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

interface SearchBody {
  data: { id: string; eventType: string; deliveries: { endpointId: string; status: string }[] }[];
  nextCursor: string | null;
  scanned?: { rows: number; through: string };
}

function search(appId: string, query: Record<string, string>) {
  const qs = new URLSearchParams(query).toString();
  return call<SearchBody>("GET", `/v1/apps/${appId}/messages?${qs}`);
}

/** Writes `n` messages of one event type at `at` + i ms in one statement (no deliveries run). */
async function bulkMessages(
  appId: string,
  n: number,
  at: number,
  eventType: string,
  ep: string | string[],
) {
  const rows = Array.from({ length: n }, (_, i) => [
    `${idFloor("msg", at + i)}${newId("msg").slice(-16)}`,
    eventType,
  ]);
  await env.DB.prepare(
    `INSERT INTO messages (app_id, id, event_type, payload, endpoints)
     SELECT ?1, value ->> 0, value ->> 1, '{}', ?2 FROM json_each(?3)`,
  )
    .bind(appId, fanOutColumn(Array.isArray(ep) ? ep : [ep]), JSON.stringify(rows))
    .run();
}

beforeEach(() => {
  vi.spyOn(env.DELIVERIES, "send").mockResolvedValue({
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("GET /v1/apps/{appId}/messages filters", () => {
  it("takes a time range as an id range, newest first, paged by cursor", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const t0 = Date.parse("2026-11-20T10:00:00Z");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const [task] = await seedDeliveries(appId, [ep.id], { i }, t0 + i * 60_000);
      ids.push(task?.messageId ?? "");
    }
    const range = {
      after: new Date(t0 + 60_000).toISOString(),
      before: new Date(t0 + 4 * 60_000).toISOString(),
    };
    const first = await search(appId, { ...range, limit: "2" });
    expect(first.status).toBe(200);
    expect(first.body.data.map((m) => m.id)).toEqual([ids[3], ids[2]]);
    expect(first.body.scanned).toBeUndefined();
    const second = await search(appId, {
      ...range,
      limit: "2",
      cursor: first.body.nextCursor ?? "",
    });
    expect(second.body.data.map((m) => m.id)).toEqual([ids[1]]);
    expect(second.body.nextCursor).toBeNull();
  });

  it("filters by endpoint and by delivery status", async () => {
    const { appId } = await newApp();
    const good = await newEndpoint(appId, { url: "https://good.example.com/h" });
    const bad = await newEndpoint(appId, { url: "https://bad.example.com/h" });
    receiver((req) => new Response("x", { status: req.url.includes("bad") ? 500 : 200 }));
    const [toGood] = await seedDeliveries(appId, [good.id]);
    const [toBad] = await seedDeliveries(appId, [bad.id]);
    const both = await seedDeliveries(appId, [good.id, bad.id]);
    await runConsumer([toGood, toBad, ...both]);
    const messageOf = (t: { messageId: string } | undefined) => t?.messageId ?? "";

    const byEndpoint = await search(appId, { endpointId: good.id });
    expect(byEndpoint.body.data.map((m) => m.id)).toEqual([messageOf(both[0]), messageOf(toGood)]);

    const failed = await search(appId, { status: "failed" });
    expect(failed.body.data.map((m) => m.id)).toEqual([messageOf(both[0]), messageOf(toBad)]);
    // Both filters: the status is that endpoint's delivery's.
    const goodFailed = await search(appId, { status: "failed", endpointId: good.id });
    expect(goodFailed.body.data).toEqual([]);
    expect(goodFailed.body.nextCursor).toBeNull();
    const succeeded = await search(appId, { status: "succeeded", endpointId: good.id });
    expect(succeeded.body.data).toHaveLength(2);

    const invalid = await search(appId, { status: "lost" });
    expect(invalid.status).toBe(400);
  });

  it("reads a bounded number of rows per page and says where to continue", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const t0 = Date.parse("2026-11-21T10:00:00Z");
    // One match, then 600 newer messages that do not match: more than one page's scan.
    await bulkMessages(appId, 1, t0, "invoice.paid", ep.id);
    await bulkMessages(appId, 600, t0 + 1000, "order.created", ep.id);
    const first = await search(appId, { eventType: "invoice.paid" });
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual([]);
    expect(first.body.scanned?.rows).toBe(500);
    expect(Date.parse(first.body.scanned?.through ?? "")).toBe(t0 + 1000 + 100);
    expect(first.body.nextCursor).not.toBeNull();
    const next = await search(appId, {
      eventType: "invoice.paid",
      cursor: first.body.nextCursor ?? "",
    });
    expect(next.body.data.map((m) => m.eventType)).toEqual(["invoice.paid"]);
    expect(next.body.scanned).toBeUndefined();
    expect(next.body.nextCursor).toBeNull();
  });

  it("stops a status search at a budget of deliveries looked at, and says where", async () => {
    const { appId } = await newApp();
    // A fan-out of 50 (endpoints that no longer exist: their deliveries read as cancelled).
    const wide = Array.from({ length: 50 }, () => newId("ep"));
    const t0 = Date.parse("2026-11-22T10:00:00Z");
    await bulkMessages(appId, 120, t0, "order.created", wide);
    const first = await search(appId, { status: "succeeded" });
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual([]);
    // 5,000 deliveries: two chunks of 50 messages with 50 each.
    expect(first.body.scanned?.rows).toBe(100);
    expect(Date.parse(first.body.scanned?.through ?? "")).toBe(t0 + 20);
    const rest = await search(appId, { status: "succeeded", cursor: first.body.nextCursor ?? "" });
    expect(rest.body.data).toEqual([]);
    expect(rest.body.nextCursor).toBeNull();
    const cancelled = await search(appId, { status: "cancelled", limit: "3" });
    expect(cancelled.body.data).toHaveLength(3);
  });

  it("declares the filters in the OpenAPI contract", async () => {
    const res = await call<{
      paths: Record<string, { get?: { parameters?: { name: string; in: string }[] } }>;
    }>("GET", "/openapi.json", { token: null });
    const names = (res.body.paths["/v1/apps/{appId}/messages"]?.get?.parameters ?? [])
      .filter((p) => p.in === "query")
      .map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining(["eventType", "status", "endpointId", "after", "before", "cursor"]),
    );
    expect(
      res.body.paths["/v1/apps/{appId}/messages/{messageId}/attempts/{attemptId}/request"]?.get,
    ).toBeDefined();
    expect(res.body.paths["/v1/apps/{appId}/dead-letters/replays/{replayId}"]?.get).toBeDefined();
    expect(res.body.paths["/v1/apps/{appId}/dead-letters/count"]?.get).toBeDefined();
  });
});
