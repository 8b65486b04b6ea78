import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { minuteOf } from "../../src/gate/latency";
import type { GateLimits, GateOutcome } from "../../src/gate/types";

// Settings come from wrangler.toml: BREAKER_FAILURES 5, BREAKER_COOLDOWN_S 30,
// REQUEST_TIMEOUT_MS 15000 (leases last 45 s), DISABLE_AFTER_S 5 days, DISABLE_MIN_FAILURES 10.
const OPEN = { rateLimit: null, maxConcurrency: 10, fifo: false } satisfies GateLimits;
const LEASE_MS = 45_000;
const DAY_MS = 86_400_000;

function gate(name: string = crypto.randomUUID()) {
  return env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(`ep_${name}`));
}

function failed(leaseId: string, extra: Partial<GateOutcome> = {}): GateOutcome {
  return { leaseId, ok: false, countsAsFailure: true, latencyMs: 100, ...extra };
}

function succeeded(leaseId: string, latencyMs = 50): GateOutcome {
  return { leaseId, ok: true, countsAsFailure: false, latencyMs };
}

/** Reads the gate's stored state the way a debugger would: straight from storage. */
function stored(stub: ReturnType<typeof gate>) {
  return runInDurableObject(stub, (_, state) =>
    state.storage.kv.get<{ leases: { leases: Record<string, number> }; alarmAt: number | null }>(
      "gate",
    ),
  );
}

describe("EndpointGate concurrency", () => {
  it("grants up to maxConcurrency, then refuses with a retry hint", async () => {
    const stub = gate();
    const limits = { ...OPEN, maxConcurrency: 3 };
    const first = await stub.admit(5, limits);
    expect(first.leases).toHaveLength(3);
    expect(first.retryAfterMs).toBeGreaterThan(0);
    expect(first.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(first.breaker).toBe("closed");

    const full = await stub.admit(1, limits);
    expect(full.leases).toEqual([]);
    expect(full.retryAfterMs).toBeGreaterThan(0);

    await stub.report([succeeded(first.leases[0] ?? "")]);
    const again = await stub.admit(2, limits);
    expect(again.leases).toHaveLength(1);
    expect(new Set([...first.leases, ...again.leases]).size).toBe(4);
  });

  it("answers all granted with no wait when capacity suffices", async () => {
    const r = await gate().admit(2, OPEN);
    expect(r).toMatchObject({ retryAfterMs: 0, breaker: "closed" });
    expect(r.leases).toHaveLength(2);
  });

  it("keeps one request in flight for a FIFO endpoint", async () => {
    const stub = gate();
    const fifo = { ...OPEN, fifo: true };
    expect((await stub.admit(5, fifo)).leases).toHaveLength(1);
    expect((await stub.admit(5, fifo)).leases).toHaveLength(0);
  });

  it("frees a slot whose holder never reports once its lease runs out", async () => {
    const stub = gate();
    const one = { ...OPEN, maxConcurrency: 1 };
    const t0 = Date.now();
    const held = await stub.admit(1, one, t0);
    expect(held.leases).toHaveLength(1);
    expect((await stub.admit(1, one, t0 + LEASE_MS - 1)).leases).toEqual([]);
    const next = await stub.admit(1, one, t0 + LEASE_MS);
    expect(next.leases).toHaveLength(1);

    // The late report of the lost lease frees nothing, and the expiry itself counted as neither
    // success nor failure; the outcome it carries still reaches the breaker.
    await stub.report([failed(held.leases[0] ?? "")], t0 + LEASE_MS + 1);
    const h = await stub.health(t0 + LEASE_MS + 2);
    expect(h.inFlight).toBe(1);
    expect(h.consecutiveFailures).toBe(1);
  });

  it("frees expired leases and re-arms itself when its alarm runs", async () => {
    const stub = gate();
    const one = { ...OPEN, maxConcurrency: 1 };
    const held = await stub.admit(1, one);
    expect(held.leases).toHaveLength(1);
    // Age the lease in storage and bring the alarm forward: the consumer "crashed" long ago.
    await runInDurableObject(stub, async (_, state) => {
      const s = state.storage.kv.get<{ leases: { leases: Record<string, number> } }>("gate");
      if (!s) throw new Error("no state");
      for (const id of Object.keys(s.leases.leases)) s.leases.leases[id] = Date.now() - 1;
      state.storage.kv.put("gate", s);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect((await stored(stub))?.leases.leases).toEqual({});
    expect((await stub.health()).inFlight).toBe(0);
    expect((await stub.admit(1, one)).leases).toHaveLength(1);
    // The new lease re-armed the alarm at its expiry.
    const alarm = await runInDurableObject(stub, (_, state) => state.storage.getAlarm());
    expect(alarm).toBe((await stored(stub))?.alarmAt);
    expect(alarm).toBeGreaterThan(Date.now());
  });
});

describe("EndpointGate slow start and breaker", () => {
  it("sends a fresh endpoint at most BREAKER_FAILURES requests until one succeeds", async () => {
    const stub = gate();
    const first = await stub.admit(10, OPEN);
    expect(first.leases).toHaveLength(5);
    expect((await stub.admit(10, OPEN)).leases).toEqual([]);

    // Two failures back: three still out, and 5 - 2 = 3 is the cap, so nothing new goes.
    await stub.report(first.leases.slice(0, 2).map((id) => failed(id)));
    expect((await stub.admit(10, OPEN)).leases).toEqual([]);

    await stub.report(first.leases.slice(2).map((id) => failed(id)));
    const refused = await stub.admit(10, OPEN);
    expect(refused).toMatchObject({ leases: [], breaker: "open" });
    expect(refused.retryAfterMs).toBeGreaterThan(29_000);
  });

  it("lifts the slow-start cap at the first success", async () => {
    const stub = gate();
    const first = await stub.admit(10, OPEN);
    expect(first.leases).toHaveLength(5);
    await stub.report([succeeded(first.leases[0] ?? "")]);
    // 4 still in flight of 10.
    expect((await stub.admit(10, OPEN)).leases).toHaveLength(6);
  });

  it("opens after 5 failures, refuses until the cool-down, lets one probe, doubles on its failure, closes on its success", async () => {
    const stub = gate();
    const t0 = Date.now();
    const first = await stub.admit(10, OPEN, t0);
    await stub.report(
      first.leases.map((id) => failed(id)),
      t0,
    );

    const early = await stub.admit(3, OPEN, t0 + 29_999);
    expect(early).toMatchObject({ leases: [], retryAfterMs: 1, breaker: "open" });
    expect((await stub.health(t0 + 1)).nextProbeAt).toBe(new Date(t0 + 30_000).toISOString());

    const probe = await stub.admit(3, OPEN, t0 + 30_000);
    expect(probe.leases).toHaveLength(1);
    expect(probe.breaker).toBe("half-open");
    expect(probe.retryAfterMs).toBeGreaterThan(0);
    expect((await stub.admit(3, OPEN, t0 + 30_001)).leases).toEqual([]);

    // Probe fails: open again for 60 s.
    await stub.report([failed(probe.leases[0] ?? "")], t0 + 31_000);
    expect(await stub.admit(1, OPEN, t0 + 90_999)).toMatchObject({ leases: [], breaker: "open" });
    const second = await stub.admit(3, OPEN, t0 + 91_000);
    expect(second.leases).toHaveLength(1);

    // Probe succeeds: closed, full concurrency (no slow start after a success).
    await stub.report([succeeded(second.leases[0] ?? "")], t0 + 91_500);
    const open = await stub.admit(10, OPEN, t0 + 91_501);
    expect(open.breaker).toBe("closed");
    expect(open.leases).toHaveLength(10);
    expect((await stub.health(t0 + 91_502)).consecutiveFailures).toBe(0);
  });

  it("sends an always-failing endpoint 5 requests and then one probe per cool-down", async () => {
    const stub = gate();
    const t0 = Date.now();
    let sent = 0;
    // A consumer polling every 100 ms for 60 s, each request failing 50 ms after it went out.
    let pending: string[] = [];
    for (let t = t0; t < t0 + 60_000; t += 50) {
      if (pending.length > 0) {
        await stub.report(
          pending.map((id) => failed(id)),
          t,
        );
        pending = [];
      }
      if ((t - t0) % 100 === 0) {
        const r = await stub.admit(50, OPEN, t);
        sent += r.leases.length;
        pending = r.leases;
      }
    }
    // 5, then probes at +30 s and (cool-down doubled to 60 s) not again within the minute.
    expect(sent).toBe(6);
  });

  it("does not let a request sent before the breaker opened fail the probe", async () => {
    const stub = gate();
    const t0 = Date.now();
    const warm = await stub.admit(1, OPEN, t0);
    await stub.report([succeeded(warm.leases[0] ?? "")], t0);
    const burst = await stub.admit(10, OPEN, t0);
    const [slow, ...rest] = burst.leases;
    await stub.report(
      rest.slice(0, 5).map((id) => failed(id)),
      t0 + 100,
    );
    const probe = await stub.admit(1, OPEN, t0 + 30_100);
    expect(probe.breaker).toBe("half-open");
    await stub.report([failed(slow ?? "")], t0 + 30_200);
    expect((await stub.health(t0 + 30_201)).breaker).toBe("half-open");
    await stub.report([succeeded(probe.leases[0] ?? "")], t0 + 30_300);
    expect((await stub.health(t0 + 30_301)).breaker).toBe("closed");
  });

  it("frees the probe slot at once when the probe gets a neutral answer (a 400)", async () => {
    const stub = gate();
    const t0 = Date.now();
    const first = await stub.admit(5, OPEN, t0);
    await stub.report(
      first.leases.map((id) => failed(id)),
      t0,
    );
    const probe = await stub.admit(1, OPEN, t0 + 30_000);
    expect(probe).toMatchObject({ breaker: "half-open", leases: [expect.any(String)] });
    // While the probe is out, nothing else goes.
    expect((await stub.admit(1, OPEN, t0 + 30_001)).leases).toEqual([]);
    await stub.report([failed(probe.leases[0] ?? "", { countsAsFailure: false })], t0 + 30_100);
    // Neither success nor failure: still half-open, and the next probe may go now.
    const next = await stub.admit(1, OPEN, t0 + 30_101);
    expect(next).toMatchObject({ breaker: "half-open", leases: [expect.any(String)] });
  });

  it("opens on the failure rate without five failures in a row (21 requests, 16 failing)", async () => {
    const stub = gate();
    const t0 = Date.now();
    const warm = await stub.admit(1, OPEN, t0);
    await stub.report([succeeded(warm.leases[0] ?? "")], t0);
    // One success, four failures, four times over: never five failures in a row.
    for (let round = 0; round < 4; round++) {
      const r = await stub.admit(5, OPEN, t0 + round);
      expect(r.leases).toHaveLength(5);
      await stub.report(
        r.leases.map((id, i) => (i === 0 ? succeeded(id) : failed(id))),
        t0 + round,
      );
      const health = await stub.health(t0 + round);
      // The 21st outcome in the window (16 failures of 21) crosses the 0.5 rate.
      expect(health).toMatchObject({
        breaker: round < 3 ? "closed" : "open",
        consecutiveFailures: 4,
      });
    }
    // A straggler's success while open does not close it; the probe after the cool-down does.
    await stub.report([succeeded("straggler")], t0 + 10);
    expect((await stub.health(t0 + 10)).breaker).toBe("open");
    const probe = await stub.admit(5, OPEN, t0 + 3 + 30_000);
    expect(probe).toMatchObject({ breaker: "half-open", leases: [expect.any(String)] });
    await stub.report([succeeded(probe.leases[0] ?? "")], t0 + 3 + 30_100);
    expect((await stub.health(t0 + 3 + 30_100)).breaker).toBe("closed");
  });

  it("keeps neutral failures (a 400) away from the breaker", async () => {
    const stub = gate();
    const r = await stub.admit(5, OPEN);
    await stub.report(r.leases.map((id) => failed(id, { countsAsFailure: false })));
    const h = await stub.health();
    expect(h).toMatchObject({ breaker: "closed", consecutiveFailures: 0 });
    // They were outcomes, and not counted failures, so slow start is over.
    expect((await stub.admit(10, OPEN)).leases).toHaveLength(10);
  });
});

describe("EndpointGate rate limit and pause", () => {
  it("never schedules more than 20 sends in any one-second window over simulated time", async () => {
    const stub = gate();
    const limits = { rateLimit: 20, maxConcurrency: 1000, fifo: false };
    const t0 = Date.now();
    const grants = await runInDurableObject(stub, (gateObject) => {
      const times: number[] = [];
      let seed = 7;
      const random = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed / 2_147_483_648;
      };
      for (let t = t0; t < t0 + 10_000; t += 1 + Math.floor(random() * 60)) {
        const r = gateObject.admit(1 + Math.floor(random() * 15), limits, t);
        // What the receiver sees is bounded by send times: the gate paces by `notBefore`.
        expect(r.notBefore ?? []).toHaveLength(r.leases.length);
        for (const at of r.notBefore ?? []) expect(at).toBeGreaterThanOrEqual(t);
        times.push(...(r.notBefore ?? []));
        if (r.leases.length < 1) expect(r.retryAfterMs).toBeGreaterThan(0);
        gateObject.report(
          r.leases.map((id) => succeeded(id)),
          t,
        );
      }
      return times;
    });
    let most = 0;
    for (const [i, t] of grants.entries()) {
      const inWindow = grants.slice(i).filter((g) => g < t + 1000).length;
      most = Math.max(most, inWindow);
    }
    expect(most).toBeLessThanOrEqual(20);
    // And the limiter is not starving the endpoint: close to 20/s over 10 s.
    expect(grants.length).toBeGreaterThanOrEqual(180);
  });

  it("paces a rate-limited caller by send times, a little ahead, and shows the tokens left", async () => {
    const stub = gate();
    const limits = { rateLimit: 20, maxConcurrency: 100, fifo: false };
    const t0 = Date.now();
    const warm = await stub.admit(1, limits, t0);
    const first = warm.notBefore?.[0] ?? 0;
    // A short lead absorbs the consumer's own work between admit and send.
    expect(first).toBeGreaterThan(t0);
    expect(first).toBeLessThanOrEqual(t0 + 200);
    await stub.report([succeeded(warm.leases[0] ?? "")], t0);
    const tokens = (await stub.health(t0 + 1)).tokens ?? 0;
    const rest = await stub.admit(100, limits, t0 + 1);
    // Up to two seconds of sends are scheduled at once, 50 ms apart, after the first.
    expect(rest.leases).toHaveLength(tokens);
    expect(tokens).toBeGreaterThanOrEqual(38);
    expect(tokens).toBeLessThanOrEqual(40);
    const times = rest.notBefore ?? [];
    // (1000 + 20) / 20 ms: the pacer keeps 20 ms a second for arrival jitter.
    expect((times[0] ?? 0) - first).toBeCloseTo(51, 3);
    for (let i = 1; i < times.length; i++)
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeCloseTo(51, 3);
    expect(rest.reusable).toBe(false);
    // The next slot frees when the first one falls inside the horizon again.
    expect(rest.retryAfterMs).toBeGreaterThan(0);
    expect(rest.retryAfterMs).toBeLessThanOrEqual(200);
    expect((await stub.health(t0 + 2)).tokens).toBe(0);
    expect((await stub.admit(1, limits, t0 + 2)).leases).toEqual([]);
  });

  it("pauses the whole endpoint for a 429's Retry-After", async () => {
    const stub = gate();
    const t0 = Date.now();
    const r = await stub.admit(2, OPEN, t0);
    await stub.report([failed(r.leases[0] ?? "", { retryAfterMs: 10_000 })], t0);
    expect(await stub.admit(1, OPEN, t0 + 9_999)).toMatchObject({ leases: [], retryAfterMs: 1 });
    expect((await stub.health(t0 + 5000)).pausedUntil).toBe(new Date(t0 + 10_000).toISOString());
    expect((await stub.admit(1, OPEN, t0 + 10_000)).leases).toHaveLength(1);
    expect((await stub.health(t0 + 10_000)).pausedUntil).toBeNull();
  });
});

describe("EndpointGate auto-disable and reset", () => {
  it("asks once to disable an endpoint that never succeeded for 5 days with 10 failures", async () => {
    const stub = gate();
    const t0 = Date.now();
    await stub.admit(1, OPEN, t0);
    // Neutral failures (400s) are not successes either.
    const nine = Array.from({ length: 9 }, (_, i) =>
      failed(`gone_${i}`, { countsAsFailure: i % 2 === 0 }),
    );
    expect(await stub.report(nine, t0 + 5 * DAY_MS)).toEqual({});
    expect(await stub.report([failed("gone_9")], t0 + 5 * DAY_MS + 1)).toEqual({
      disable: "No successful delivery for 5 days and 10 failures.",
    });
    expect(await stub.report([failed("gone_10")], t0 + 5 * DAY_MS + 2)).toEqual({});
  });

  it("asks again 10 minutes later when outcomes still come (the disable write was lost)", async () => {
    const stub = gate();
    const t0 = Date.now();
    await stub.admit(1, OPEN, t0);
    const ten = Array.from({ length: 10 }, (_, i) => failed(`lost_${i}`));
    const at = t0 + 5 * DAY_MS;
    expect(await stub.report(ten, at)).toMatchObject({ disable: expect.any(String) });
    expect(await stub.report([failed("lost_10")], at + 599_000)).toEqual({});
    expect(await stub.report([failed("lost_11")], at + 600_000)).toEqual({
      disable: "No successful delivery for 5 days and 12 failures.",
    });
  });

  it("measures the window from the first failure after the last success", async () => {
    const stub = gate();
    const t0 = Date.now();
    await stub.report([succeeded("a")], t0);
    await stub.report([failed("b")], t0 + DAY_MS);
    const many = Array.from({ length: 20 }, (_, i) => failed(`c${i}`));
    expect(await stub.report(many, t0 + 5 * DAY_MS)).toEqual({});
    expect(await stub.report([failed("d")], t0 + 6 * DAY_MS)).toEqual({
      disable: "No successful delivery for 5 days and 22 failures.",
    });
  });

  it("does not disable an endpoint with too few failures, however long", async () => {
    const stub = gate();
    const t0 = Date.now();
    await stub.admit(1, OPEN, t0);
    const few = Array.from({ length: 9 }, (_, i) => failed(`f${i}`));
    expect(await stub.report(few, t0 + 30 * DAY_MS)).toEqual({});
  });

  it("starts over on reset: breaker, counters, leases, pause, samples and the disable window", async () => {
    const stub = gate();
    const t0 = Date.now();
    const r = await stub.admit(5, OPEN, t0);
    const outcomes = r.leases.map((id) => failed(id, { retryAfterMs: 60_000 }));
    await stub.report(outcomes, t0);
    await stub.admit(1, OPEN, t0); // paused; leaves nothing behind
    const held = await stub.admit(1, OPEN, t0 + 61_000);
    expect(held.leases).toHaveLength(1);
    const five = Array.from({ length: 5 }, (_, i) => failed(`x${i}`));
    expect(await stub.report(five, t0 + 5 * DAY_MS)).toMatchObject({ disable: expect.any(String) });

    await stub.reset(t0 + 5 * DAY_MS + 1);
    const h = await stub.health(t0 + 5 * DAY_MS + 2);
    expect(h).toMatchObject({
      breaker: "closed",
      consecutiveFailures: 0,
      nextProbeAt: null,
      pausedUntil: null,
      inFlight: 0,
      lastSuccessAt: null,
    });
    expect(h.lastDay.requests).toBe(0);
    expect((await stub.admit(10, OPEN, t0 + 5 * DAY_MS + 3)).leases).toHaveLength(5);
    // The no-success window restarts at the reset.
    const ten = Array.from({ length: 10 }, (_, i) => failed(`y${i}`));
    expect(await stub.report(ten, t0 + 9 * DAY_MS)).toEqual({});
    expect(await stub.report([failed("z")], t0 + 10 * DAY_MS + 2)).toMatchObject({
      disable: expect.stringContaining("11 failures"),
    });
  });
});

describe("EndpointGate health and persistence", () => {
  it("reports success rate and p50/p95 latency over the last hour and day", async () => {
    const stub = gate();
    const t0 = Date.now();
    await stub.report(
      [
        ...Array.from({ length: 18 }, (_, i) => succeeded(`ok${i}`, 120)),
        failed("timeout1", { latencyMs: 15_000 }),
        failed("timeout2", { latencyMs: 15_000 }),
      ],
      t0,
    );
    await stub.report([succeeded("late", 120)], t0 + 2 * 3_600_000);
    const h = await stub.health(t0 + 2 * 3_600_000 + 1);
    expect(h.lastHour).toEqual({ requests: 1, successRate: 1, p50Ms: 120, p95Ms: 120 });
    expect(h.lastDay).toEqual({ requests: 21, successRate: 19 / 21, p50Ms: 120, p95Ms: 15_000 });
    expect(h.lastSuccessAt).toBe(new Date(t0 + 2 * 3_600_000).toISOString());
    expect(h.tokens).toBeNull();
    expect((await stub.health(t0 + 2 * DAY_MS)).lastDay.requests).toBe(0);
  });

  it("purges samples older than a week on its alarm and stops re-arming when none are left", async () => {
    const stub = gate();
    await stub.report([succeeded("a", 80)]);
    await runInDurableObject(stub, async (_, state) => {
      state.storage.sql.exec("UPDATE latency SET minute = ?", minuteOf(Date.now() - 8 * DAY_MS));
      const s = state.storage.kv.get<{ purgeAt: number | null }>("gate");
      if (!s) throw new Error("no state");
      s.purgeAt = Date.now() - 1;
      state.storage.kv.put("gate", s);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const left = await runInDurableObject(
      stub,
      (_, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM latency").one().n,
    );
    expect(left).toBe(0);
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull();
  });

  it("keeps its state for the next stub to the same endpoint", async () => {
    const name = crypto.randomUUID();
    const t0 = Date.now();
    const r = await gate(name).admit(3, OPEN, t0);
    await gate(name).report([failed(r.leases[0] ?? ""), succeeded(r.leases[1] ?? "", 70)], t0);
    await gate(name).report([failed("lost")], t0 + 1);
    const h = await gate(name).health(t0 + 2);
    expect(h).toMatchObject({
      breaker: "closed",
      consecutiveFailures: 1,
      inFlight: 1,
      lastSuccessAt: new Date(t0).toISOString(),
    });
    expect(h.lastHour.requests).toBe(3);
  });
});
