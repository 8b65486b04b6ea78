import { describe, expect, it } from "vitest";
import { call, ingestCounts } from "../helpers";

async function appWithLimit(limit?: number) {
  const app = await call<{ id: string; ingestRateLimit?: number }>("POST", "/v1/apps", {
    body: { name: "limited", ...(limit ? { ingestRateLimit: limit } : {}) },
  });
  expect(app.status).toBe(201);
  return app.body;
}

const send = (appId: string, n: number) =>
  call("POST", `/v1/apps/${appId}/messages`, { body: { eventType: "a.b", payload: { n } } });

describe("per-app ingest rate limit", () => {
  it("answers 429 with Retry-After past the limit and writes nothing", async () => {
    const app = await appWithLimit(3);
    expect(app.ingestRateLimit).toBe(3);
    for (let i = 0; i < 3; i++) expect((await send(app.id, i)).status).toBe(202);
    const before = await ingestCounts();
    const refused = await send(app.id, 3);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await ingestCounts()).messages).toBe(before.messages);
  });

  it("leaves apps without a limit alone, and a limit can be lifted", async () => {
    const free = await appWithLimit();
    for (let i = 0; i < 10; i++) expect((await send(free.id, i)).status).toBe(202);
    const limited = await appWithLimit(1);
    expect((await send(limited.id, 0)).status).toBe(202);
    expect((await send(limited.id, 1)).status).toBe(429);
    const lifted = await call("PATCH", `/v1/apps/${limited.id}`, {
      body: { ingestRateLimit: null },
    });
    expect(lifted.status).toBe(200);
    expect(lifted.body).not.toHaveProperty("ingestRateLimit");
    expect((await send(limited.id, 2)).status).toBe(202);
  });

  it("refuses a limit that is not a positive integer", async () => {
    for (const ingestRateLimit of [0, -1, 1.5, "10"]) {
      const res = await call("POST", "/v1/apps", { body: { name: "x", ingestRateLimit } });
      expect(res.status).toBe(422);
    }
  });
});
