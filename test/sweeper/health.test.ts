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
    const [task] = await seedDeliveries(appId, [ep.id], { n: 1 });
    if (!task) throw new Error("seeding failed");
    await env.DB.prepare("DELETE FROM sweeper_state").run();
    const now = Date.now();
    let last = 0;
    for (let run = 0; run <= STALLED_RUNS; run++) {
      // A consumer takes the delivery and dies holding it, every time: each sweep finds the
      // hand-out lost and hands it out again, and the backlog never falls.
      await env.DB.prepare(
        `INSERT INTO open_deliveries (endpoint_id, message_id, app_id, state, due_at, created_at)
         VALUES (?1, ?2, ?3, 'queued', ?4, ?4)
         ON CONFLICT (endpoint_id, message_id) DO UPDATE SET state = 'queued', due_at = ?4`,
      )
        .bind(ep.id, task.messageId, appId, now)
        .run();
      const report = await sweep(env, now + (run + 1) * 5 * 60_000);
      expect(report.lost).toBe(1);
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

  it("does not count wakes of a backlog that is still draining as a stall", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://health.example.com/hook" });
    const [task] = await seedDeliveries(appId, [ep.id], { n: 1 });
    if (!task) throw new Error("seeding failed");
    await env.DB.prepare("DELETE FROM sweeper_state").run();
    // Parked and waiting for its gate, long overdue: every sweep wakes its endpoint.
    await env.DB.prepare(
      `INSERT INTO open_deliveries (endpoint_id, message_id, app_id, state, due_at, created_at)
       VALUES (?, ?, ?, 'waiting', ?, ?)`,
    )
      .bind(ep.id, task.messageId, appId, Date.now(), Date.now())
      .run();
    for (let run = 0; run <= STALLED_RUNS; run++) {
      const report = await sweep(env, Date.now() + (run + 1) * 5 * 60_000);
      expect(report.woken).toBeGreaterThanOrEqual(1);
    }
    const row = await env.DB.prepare("SELECT stalled_runs FROM sweeper_state").first<{
      stalled_runs: number;
    }>();
    expect(row?.stalled_runs).toBe(0);
    await env.DB.prepare("DELETE FROM sweeper_state").run();
  });
});
