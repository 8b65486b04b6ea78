import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { APP_STATS_MAX_ENDPOINTS } from "../../src/api/routes/stats";
import type { GateOutcome } from "../../src/gate/types";
import { call, newApp, newEndpoint } from "../helpers";
import { expectProblem } from "./support";

interface Point {
  at: string;
  requests: number;
  successes: number;
  successRate: number | null;
  p95Ms: number | null;
}
interface SeriesBody {
  window: string;
  stepSeconds: number;
  from: string;
  total: {
    requests: number;
    successRate: number | null;
    p50Ms: number | null;
    p95Ms: number | null;
  };
  points: Point[];
}
interface EndpointStatsBody extends SeriesBody {
  breaker: string;
  nextProbeAt: string | null;
}
interface AppStatsBody extends SeriesBody {
  endpoints: { asked: number; limit: number; more: boolean };
  byEndpoint: {
    endpointId: string;
    breaker: string;
    disabled: boolean;
    requests: number;
    successRate: number | null;
    p95Ms: number | null;
  }[];
}

/** Reports outcomes to an endpoint's gate, as the delivery consumer does. */
async function deliver(endpointId: string, outcomes: { ok: boolean; latencyMs: number }[]) {
  const gate = env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(endpointId));
  await gate.report(
    outcomes.map(
      (o): GateOutcome => ({ leaseId: crypto.randomUUID(), countsAsFailure: !o.ok, ...o }),
    ),
  );
}

const times = (n: number, ok: boolean, latencyMs: number) =>
  Array.from({ length: n }, () => ({ ok, latencyMs }));

describe("GET /v1/apps/{appId}/endpoints/{endpointId}/stats", () => {
  it("answers 24 hourly points and the window's totals", async () => {
    const { appId, key } = await newApp();
    const ep = await newEndpoint(appId);
    await deliver(ep.id, [...times(19, true, 100), ...times(1, false, 3000)]);
    const res = await call<EndpointStatsBody>("GET", `/v1/apps/${appId}/endpoints/${ep.id}/stats`, {
      token: key,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      window: "24h",
      stepSeconds: 3600,
      breaker: "closed",
      nextProbeAt: null,
      total: { requests: 20, successRate: 0.95, p95Ms: 100 },
    });
    expect(res.body.points).toHaveLength(24);
    expect(res.body.points[23]).toMatchObject({ requests: 20, successes: 19 });
  });

  it("answers 28 six-hourly points for 7d, 404 for an unknown endpoint, 400 for a bad window", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const week = await call<EndpointStatsBody>(
      "GET",
      `/v1/apps/${appId}/endpoints/${ep.id}/stats?window=7d`,
    );
    expect(week.status).toBe(200);
    expect(week.body).toMatchObject({ window: "7d", stepSeconds: 21_600 });
    expect(week.body.points).toHaveLength(28);
    expect(week.body.total).toEqual({ requests: 0, successRate: null, p50Ms: null, p95Ms: null });
    expectProblem(
      await call("GET", `/v1/apps/${appId}/endpoints/ep_01JAAAAAAAAAAAAAAAAAAAAAAA/stats`),
      404,
    );
    expectProblem(
      await call("GET", `/v1/apps/${appId}/endpoints/${ep.id}/stats?window=1y`),
      400,
      "window",
    );
  });
});

describe("GET /v1/apps/{appId}/stats", () => {
  it("merges its endpoints' histograms: the app's p95 is its own, not an average", async () => {
    const { appId, key } = await newApp();
    const fast = await newEndpoint(appId);
    const slow = await newEndpoint(appId);
    await deliver(fast.id, times(90, true, 100));
    await deliver(slow.id, [...times(8, true, 1000), ...times(2, false, 1000)]);
    const res = await call<AppStatsBody>("GET", `/v1/apps/${appId}/stats`, { token: key });
    expect(res.status).toBe(200);
    expect(res.body.total).toMatchObject({ requests: 100, successRate: 0.98, p95Ms: 1000 });
    expect(res.body.points[23]).toMatchObject({ requests: 100, successes: 98, p95Ms: 1000 });
    expect(res.body.endpoints).toEqual({
      asked: 2,
      limit: APP_STATS_MAX_ENDPOINTS,
      more: false,
    });
    const byId = new Map(res.body.byEndpoint.map((e) => [e.endpointId, e]));
    expect(byId.get(fast.id)).toMatchObject({ requests: 90, successRate: 1, p95Ms: 100 });
    expect(byId.get(slow.id)).toMatchObject({
      requests: 10,
      successRate: 0.8,
      breaker: "closed",
      disabled: false,
    });
  });

  it(`asks at most ${APP_STATS_MAX_ENDPOINTS} endpoints' gates and says when there are more`, async () => {
    const { appId } = await newApp();
    const made: string[] = [];
    for (let i = 0; i <= APP_STATS_MAX_ENDPOINTS; i++) made.push((await newEndpoint(appId)).id);
    const res = await call<AppStatsBody>("GET", `/v1/apps/${appId}/stats?window=7d`);
    expect(res.status).toBe(200);
    expect(res.body.endpoints).toEqual({
      asked: APP_STATS_MAX_ENDPOINTS,
      limit: APP_STATS_MAX_ENDPOINTS,
      more: true,
    });
    // The newest are asked: the first one made is left out.
    expect(res.body.byEndpoint.map((e) => e.endpointId)).not.toContain(made[0]);
  });

  it("is app-scoped and documented", async () => {
    const mine = await newApp();
    const other = await newApp();
    expectProblem(await call("GET", `/v1/apps/${other.appId}/stats`, { token: mine.key }), 404);
    const doc = await call<{ paths: Record<string, unknown> }>("GET", "/openapi.json");
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        "/v1/apps/{appId}/stats",
        "/v1/apps/{appId}/endpoints/{endpointId}/stats",
      ]),
    );
  });
});
