import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { readOps } from "../../src/lib/ops";
import { ADMIN, newApp, newEndpoint } from "../helpers";

const counting = { ...env, OPS_COUNTERS: "true" } as Env;

function fetchCounting(path: string, init: RequestInit = {}) {
  return worker.fetch(
    new Request(`https://hooklane.test${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${ADMIN}`,
        "content-type": "application/json",
        ...init.headers,
      },
    }),
    counting,
    createExecutionContext(),
  );
}

describe("ops counters", () => {
  it("counts D1 rows and queue sends of an ingest, and resets", async () => {
    const { appId } = await newApp();
    await newEndpoint(appId);
    expect((await fetchCounting("/__ops/reset", { method: "POST" })).status).toBe(204);
    const res = await fetchCounting(`/v1/apps/${appId}/messages`, {
      method: "POST",
      body: JSON.stringify({ eventType: "a.b", payload: {} }),
    });
    expect(res.status).toBe(202);
    const ops = readOps();
    expect(ops.queueSent).toBe(1);
    expect(ops.d1Queries).toBeGreaterThanOrEqual(3);
    // message + delivery rows (and their index entries) were written
    expect(ops.d1RowsWritten).toBeGreaterThanOrEqual(2);
    const served = (await (await fetchCounting("/__ops")).json()) as { queueSent: number };
    expect(served.queueSent).toBe(1);
  });

  it("is not served when counting is off", async () => {
    const res = await worker.fetch(
      new Request("https://hooklane.test/__ops", { headers: { authorization: `Bearer ${ADMIN}` } }),
      env,
      createExecutionContext(),
    );
    expect(res.status).toBe(404);
  });
});
