import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { ADMIN, call, newApp, newEndpoint } from "../helpers";
import { expectProblem, type MessageBody, spyOnDeliveries } from "./support";

interface FilteredMessage extends MessageBody {
  filtered?: string[];
}

/** An API answer's text as sent (the helpers parse it, which would round big numbers). */
async function rawCall(
  method: string,
  path: string,
  opts: { raw?: string; headers?: Record<string, string> } = {},
) {
  const res = await worker.fetch(
    new Request(`https://hooklane.test${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...opts.headers },
      body: opts.raw,
    }),
    env,
    createExecutionContext(),
  );
  return { status: res.status, text: await res.text() };
}

const GOLD = { "customer.tier": { $in: ["gold"] }, amount: { $gte: 100 } };

async function send(appId: string, key: string, payload: Record<string, unknown> | string) {
  const raw =
    typeof payload === "string"
      ? `{"eventType":"order.created","payload":${payload}}`
      : JSON.stringify({ eventType: "order.created", payload });
  const res = await call<FilteredMessage>("POST", `/v1/apps/${appId}/messages`, {
    token: key,
    raw,
    headers: { "content-type": "application/json" },
  });
  expect(res.status).toBe(202);
  return res.body;
}

describe("endpoint filter: create, read, update", () => {
  it("is stored on create, shown on read, replaced on update and cleared with null", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { filter: GOLD });
    const read = await call("GET", `/v1/apps/${appId}/endpoints/${ep.id}`);
    expect(read.body.filter).toEqual(GOLD);

    const changed = await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, {
      body: { filter: { amount: { $lt: 5 } } },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.filter).toEqual({ amount: { $lt: 5 } });

    // An update that does not name the filter keeps it.
    const other = await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, {
      body: { description: "orders" },
    });
    expect(other.body.filter).toEqual({ amount: { $lt: 5 } });

    const cleared = await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, {
      body: { filter: null },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body).not.toHaveProperty("filter");
    const row = await env.DB.prepare("SELECT filter FROM endpoints WHERE id = ?")
      .bind(ep.id)
      .first<{ filter: string | null }>();
    expect(row?.filter).toBeNull();
  });

  it("refuses a malformed filter with 422 naming the offending part, and stores nothing", async () => {
    const { appId } = await newApp();
    const bad = await call("POST", `/v1/apps/${appId}/endpoints`, {
      body: { url: "https://receiver.example.com/hook", filter: { amount: { $gte: { x: 1 } } } },
    });
    const problem = expectProblem(bad, 422, "/filter/amount/$gte");
    expect(problem.errors?.[0]?.detail).toContain("number or a string");
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM endpoints WHERE app_id = ?")
      .bind(appId)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);

    const ep = await newEndpoint(appId);
    const regex = await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, {
      body: { filter: { $or: [{ a: 1 }, { name: { $regex: "(a+)+$" } }] } },
    });
    expectProblem(regex, 422, "/filter/$or/1/name/$regex");
    const notObject = await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, {
      body: { filter: ["a"] },
    });
    expectProblem(notObject, 422, "filter");
  });

  it("reads back exactly as written, big numbers included", async () => {
    const { appId } = await newApp();
    const filter = '{"n":{"$gt":18446744073709551616},"r":{"$lt":0.10000000000000000001}}';
    const created = await rawCall("POST", `/v1/apps/${appId}/endpoints`, {
      raw: `{"url":"https://receiver.example.com/hook","filter":${filter}}`,
      headers: { "content-type": "application/json" },
    });
    expect(created.status).toBe(201);
    expect(created.text).toContain(`"filter":${filter}`);
    const id = (JSON.parse(created.text) as { id: string }).id;
    for (const path of [`/v1/apps/${appId}/endpoints/${id}`, `/v1/apps/${appId}/endpoints`]) {
      const read = await rawCall("GET", path);
      expect(read.status).toBe(200);
      expect(read.text).toContain(`"filter":${filter}`);
    }
    const patched = await rawCall("PATCH", `/v1/apps/${appId}/endpoints/${id}`, {
      raw: '{"description":"big"}',
      headers: { "content-type": "application/json" },
    });
    expect(patched.text).toContain(`"filter":${filter}`);
  });

  it("is in the OpenAPI document", async () => {
    const doc = await call<{ paths: Record<string, unknown>; components: unknown }>(
      "GET",
      "/openapi.json",
    );
    expect(doc.body.paths).toHaveProperty("/v1/apps/{appId}/endpoints/{endpointId}/filter/test");
    expect(JSON.stringify(doc.body.components)).toContain("MongoDB-style query over the payload");
  });
});

describe("POST .../endpoints/{endpointId}/filter/test", () => {
  it("answers whether a payload matches the saved filter, or a filter to try", async () => {
    const { appId, key } = await newApp();
    const ep = await newEndpoint(appId, { filter: GOLD });
    const path = `/v1/apps/${appId}/endpoints/${ep.id}/filter/test`;
    const yes = await call("POST", path, {
      token: key,
      body: { payload: { customer: { tier: "gold" }, amount: 120 } },
    });
    expect(yes).toMatchObject({ status: 200, body: { matches: true } });
    const no = await call("POST", path, {
      token: key,
      body: { payload: { customer: { tier: "gold" }, amount: 99 } },
    });
    expect(no.body).toEqual({ matches: false });
    const tried = await call("POST", path, {
      token: key,
      body: { payload: { amount: 99 }, filter: { amount: { $lt: 100 } } },
    });
    expect(tried.body).toEqual({ matches: true });
    // Big integers compare exactly: 2^64 + 1 is greater than 2^64.
    const exact = await call("POST", path, {
      token: key,
      raw: '{"payload":{"n":18446744073709551617},"filter":{"n":{"$gt":18446744073709551616}}}',
      headers: { "content-type": "application/json" },
    });
    expect(exact.body).toEqual({ matches: true });
    const malformed = await call("POST", path, {
      token: key,
      body: { payload: {}, filter: { a: { $in: "x" } } },
    });
    expectProblem(malformed, 422, "/filter/a/$in");
  });

  it("matches every payload for an endpoint without a filter", async () => {
    const { appId, key } = await newApp();
    const ep = await newEndpoint(appId);
    const res = await call("POST", `/v1/apps/${appId}/endpoints/${ep.id}/filter/test`, {
      token: key,
      body: { payload: { anything: 1 } },
    });
    expect(res.body).toEqual({ matches: true });
  });
});

describe("ingest with payload filters", () => {
  it("delivers only to endpoints whose filter matches, and lists the others as filtered", async () => {
    const tasks = spyOnDeliveries({ stub: true });
    const { appId, key } = await newApp();
    const gold = await newEndpoint(appId, { filter: GOLD });
    const all = await newEndpoint(appId);
    // Written as text: a JavaScript number would round 2^64 in the request itself.
    const created = await call<{ id: string; filter: unknown }>(
      "POST",
      `/v1/apps/${appId}/endpoints`,
      {
        raw: '{"url":"https://receiver.example.com/hook","filter":{"n":{"$gt":18446744073709551616}}}',
        headers: { "content-type": "application/json" },
      },
    );
    expect(created.status).toBe(201);
    const big = created.body;

    const match = await send(appId, key, { customer: { tier: "gold" }, amount: 150 });
    expect(match.deliveries.map((d) => d.endpointId).sort()).toEqual([all.id, gold.id].sort());
    expect(match.filtered).toEqual([big.id]);

    const miss = await send(appId, key, { customer: { tier: "silver" }, amount: 150 });
    expect(miss.deliveries.map((d) => d.endpointId)).toEqual([all.id]);
    const detail = await call<FilteredMessage>("GET", `/v1/apps/${appId}/messages/${miss.id}`, {
      token: key,
    });
    expect(detail.status).toBe(200);
    expect(detail.body.filtered).toEqual([gold.id, big.id].sort());
    expect(detail.body.deliveries.map((d) => d.endpointId)).toEqual([all.id]);

    // 2^64 + 1 passes a filter that a double would round to equal.
    const exact = await send(appId, key, '{"n":18446744073709551617}');
    expect(exact.deliveries.map((d) => d.endpointId).sort()).toEqual([all.id, big.id].sort());
    const stored = await env.DB.prepare("SELECT endpoints, filtered FROM messages WHERE id = ?")
      .bind(exact.id)
      .first<{ endpoints: string; filtered: string | null }>();
    // Stored without the ep_ prefix, like the fan-out list.
    expect(stored?.filtered).toBe(JSON.stringify([gold.id.slice(3)]));

    // Only matching endpoints got a task.
    const sent = (tasks.sent() as { messageId?: string; endpointId?: string }[]).map(
      (t) => `${t.messageId}:${t.endpointId}`,
    );
    expect(sent).not.toContain(`${miss.id}:${gold.id}`);
    expect(sent).toContain(`${match.id}:${gold.id}`);
  });

  it("leaves the message row's filtered column empty when no filter refused it", async () => {
    spyOnDeliveries({ stub: true });
    const { appId, key } = await newApp();
    await newEndpoint(appId, { filter: { ok: true } });
    const msg = await send(appId, key, { ok: true });
    expect(msg).not.toHaveProperty("filtered");
    const row = await env.DB.prepare("SELECT filtered FROM messages WHERE id = ?")
      .bind(msg.id)
      .first<{ filtered: string | null }>();
    expect(row?.filtered).toBeNull();
  });
});
