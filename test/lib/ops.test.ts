import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { type OpsCounters, readOps } from "../../src/lib/ops";
import { spyOnDeliveries } from "../api/support";
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

/** The counters as GET /__ops serves them. */
async function served(): Promise<OpsCounters> {
  const res = await fetchCounting("/__ops");
  expect(res.status).toBe(200);
  return (await res.json()) as OpsCounters;
}

const ZERO: OpsCounters = {
  d1Queries: 0,
  d1RowsRead: 0,
  d1RowsWritten: 0,
  queueSent: 0,
  queueReceived: 0,
  queueAcked: 0,
  queueRetried: 0,
  doRequests: 0,
  subrequests: 0,
};

describe("ops counters", () => {
  it("counts D1 rows and queue sends of an ingest, and resets", async () => {
    spyOnDeliveries({ stub: true });
    const { appId } = await newApp();
    await newEndpoint(appId);
    const ingest = (headers: Record<string, string> = {}) =>
      fetchCounting(`/v1/apps/${appId}/messages`, {
        method: "POST",
        headers,
        body: JSON.stringify({ eventType: "a.b", payload: {} }),
      });
    expect((await fetchCounting("/__ops/reset", { method: "POST" })).status).toBe(204);
    expect(await served()).toEqual(ZERO);

    expect((await ingest()).status).toBe(202);
    const plain = readOps();
    expect(plain.queueSent).toBe(1);
    expect(plain.d1Queries).toBeGreaterThanOrEqual(1);
    // The message row, which names its one delivery.
    expect(plain.d1RowsWritten).toBeGreaterThanOrEqual(1);
    expect(await served()).toEqual(plain);

    // Counting goes on from there: a keyed message also writes its idempotency key's row.
    expect((await ingest({ "idempotency-key": "ops-1" })).status).toBe(202);
    const keyed = readOps();
    expect(keyed.queueSent).toBe(2);
    expect(keyed.d1RowsWritten - plain.d1RowsWritten).toBeGreaterThan(plain.d1RowsWritten);

    expect((await fetchCounting("/__ops/reset", { method: "POST" })).status).toBe(204);
    expect(await served()).toEqual(ZERO);
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
