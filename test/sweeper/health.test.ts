import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SweeperState } from "../../src/db/sweep";
import { STALLED_RUNS, serviceHealth } from "../../src/sweeper/health";
import { sweep } from "../../src/sweeper/sweep";
import { seedDeliveries } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

const HOUR = 3_600_000;
const WINDOW = 30 * HOUR;
const GRACE = 120_000;
const NOW = Date.UTC(2026, 10, 27, 12);

function state(over: Partial<SweeperState>): SweeperState {
  return {
    swept_at: NOW - 30_000,
    oldest_open_at: null,
    open_count: 0,
    stalled_runs: 0,
    behind: 0,
    report: "{}",
    ...over,
  };
}

describe("service health", () => {
  it("is ok before the first sweep and when the last one saw nothing wrong", () => {
    expect(serviceHealth(null, NOW, WINDOW, GRACE)).toEqual({
      status: "ok",
      reasons: [],
      sweptAt: null,
    });
    const fine = serviceHealth(state({ oldest_open_at: NOW - HOUR }), NOW, WINDOW, GRACE);
    expect(fine).toEqual({
      status: "ok",
      reasons: [],
      sweptAt: new Date(NOW - 30_000).toISOString(),
    });
  });

  it("is degraded once the oldest open delivery is past its window and the grace, not a moment before", () => {
    const edge = NOW - WINDOW - GRACE;
    expect(serviceHealth(state({ oldest_open_at: edge }), NOW, WINDOW, GRACE).status).toBe("ok");
    const late = serviceHealth(state({ oldest_open_at: edge - 1 }), NOW, WINDOW, GRACE);
    expect(late.status).toBe("degraded");
    expect(late.reasons).toEqual(["the oldest open delivery is 30.0 h old, past its retry window"]);
  });

  it(`is degraded after ${STALLED_RUNS} sweeps in a row that handed out again without progress`, () => {
    const two = serviceHealth(state({ stalled_runs: STALLED_RUNS - 1 }), NOW, WINDOW, GRACE);
    expect(two.status).toBe("ok");
    const three = serviceHealth(state({ stalled_runs: STALLED_RUNS }), NOW, WINDOW, GRACE);
    expect(three.status).toBe("degraded");
    expect(three.reasons[0]).toMatch(/sweeps handed deliveries out again/);
  });

  it("is degraded when the sweeper could not check every new message in its budget", () => {
    const h = serviceHealth(state({ behind: 1 }), NOW, WINDOW, GRACE);
    expect(h).toMatchObject({ status: "degraded" });
  });

  it("counts sweeps that hand out again while the backlog stays, and /healthz answers 503 then", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://health.example.com/hook" });
    // A first try the queue lost, long enough ago for the sweeper to hand it out (and keep
    // handing it out: nothing in this test consumes its wake).
    const now = Date.now() + 10 * 60_000;
    await seedDeliveries(appId, [ep.id], { n: 1 }, now - 5 * 60_000);
    await env.DB.prepare("DELETE FROM sweeper_state").run();
    let last = 0;
    for (let run = 0; run <= STALLED_RUNS; run++) {
      // Each sweep a few minutes later: the open row is overdue again, so its endpoint is woken.
      await sweep(env, now + run * 5 * 60_000);
      const row = await env.DB.prepare("SELECT stalled_runs FROM sweeper_state").first<{
        stalled_runs: number;
      }>();
      last = row?.stalled_runs ?? -1;
    }
    expect(last).toBeGreaterThanOrEqual(STALLED_RUNS);
    const res = await call<{ ok: boolean; status: string; reasons: string[] }>("GET", "/healthz", {
      token: null,
    });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ ok: false, status: "degraded" });
    await env.DB.prepare("DELETE FROM sweeper_state").run();
  });
});
