import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { insertDeadLettersStatement } from "../../src/db/dead-letters";
import worker from "../../src/index";
import { receiver, runConsumer, seedDeliveries } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

/** Runs the dead-letter queue's consumer: each task ends dead as `consumer_crash`. */
async function runDlq(bodies: unknown[]) {
  const batch = createMessageBatch(
    "hooklane-dlq",
    bodies.map((body, i) => ({ id: `d${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

interface Progress {
  total: number;
  pending: number;
  retrying: number;
  succeeded: number;
  dead: number;
  done: boolean;
}

beforeEach(() => {
  vi.spyOn(env.DELIVERIES, "send").mockResolvedValue({
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
  });
  vi.spyOn(env.DELIVERIES, "sendBatch").mockResolvedValue({
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("dead letters: reason filter, bounded count, replay progress", () => {
  it("counts and replays by reason, and reports the replay's progress until done", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const crashed = await seedDeliveries(appId, [ep.id]);
    crashed.push(
      ...(await seedDeliveries(appId, [ep.id])),
      ...(await seedDeliveries(appId, [ep.id])),
    );
    await runDlq(crashed);
    const [other] = await seedDeliveries(appId, [ep.id]);
    await insertDeadLettersStatement(env.DB, [
      {
        app_id: appId,
        message_id: other?.messageId ?? "",
        endpoint_id: ep.id,
        reason: "max_attempts",
        attempts: 8,
        dead_at: Date.now(),
      },
    ]).run();

    const all = await call(`GET`, `/v1/apps/${appId}/dead-letters/count`);
    expect(all.body).toEqual({ count: 4, atLeast: false, cap: 1000 });
    const byReason = await call("GET", `/v1/apps/${appId}/dead-letters/count?reason=consumer`);
    expect(byReason.body).toEqual({ count: 3, atLeast: false, cap: 1000 });
    const listed = await call<{ data: { reason: string }[] }>(
      "GET",
      `/v1/apps/${appId}/dead-letters?reason=max_attempts`,
    );
    expect(listed.body.data.map((d) => d.reason)).toEqual(["max_attempts"]);

    const replay = await call<{ restarted: number; more: boolean; replayId: string }>(
      "POST",
      `/v1/apps/${appId}/dead-letters/replay`,
      { body: { reason: "consumer_crash", limit: 2 } },
    );
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ restarted: 2, more: true });
    const progressUrl = `/v1/apps/${appId}/dead-letters/replays/${replay.body.replayId}`;
    const before = await call<Progress>("GET", progressUrl);
    expect(before.body).toMatchObject({ total: 2, pending: 2, succeeded: 0, done: false });

    receiver(() => new Response("ok"));
    await runConsumer([{ kind: "wake", endpointId: ep.id, appId }]);
    const after = await call<Progress>("GET", progressUrl);
    expect(after.body).toMatchObject({ total: 2, pending: 0, succeeded: 2, dead: 0, done: true });
    // One crash letter and the other reason's letter are left.
    const left = await call("GET", `/v1/apps/${appId}/dead-letters/count`);
    expect(left.body).toMatchObject({ count: 2 });

    const missing = await call(
      "GET",
      `/v1/apps/${appId}/dead-letters/replays/rpl_00000000000000000000000000`,
    );
    expect(missing.status).toBe(404);
  });
});
