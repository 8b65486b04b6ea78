import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Hooklane, type Receiver, startHooklane, startReceiver } from "./harness";

const MESSAGES = 30;

describe("a crashed and restarted service", () => {
  const started: (Hooklane | Receiver)[] = [];
  let stateDir = "";

  afterAll(async () => {
    // Every service stops even if one's stop fails (its secret scan, say); then the first failure.
    const stopped = await Promise.allSettled(
      started.map((s) => ("stop" in s ? s.stop() : s.close())),
    );
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    const failed = stopped.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  });

  it("finishes every accepted delivery by itself", async () => {
    stateDir = await mkdtemp(join(tmpdir(), "hooklane-restart-"));
    const secrets = {
      adminToken: "hladm_restart_test_token_0123456789",
      encryptionKey: Buffer.alloc(32, 7).toString("base64"),
    };
    // Short first retries and grace, so failed deliveries are due again soon after the restart;
    // a long last step keeps the retry window open while the breaker (opened by the refused
    // attempts, and persisted in its Durable Object) cools down.
    const vars = { RETRY_SCHEDULE: "2,2,2,600", SWEEP_GRACE_S: "3", BREAKER_COOLDOWN_S: "3" };

    // The receiver is down (connections refused) while the first instance runs.
    let down = true;
    const receiver = await startReceiver(() =>
      down ? { status: 200, destroy: true } : { status: 200 },
    );
    started.push(receiver);
    const topology = { shards: 2, deliveryQueues: 2 };
    const first = await startHooklane({ vars, stateDir, secrets, sweepTickS: "0", topology });
    started.push(first);

    const app = await first.api("/v1/apps", { body: { name: "restart" } });
    const appId = (app.body as { id: string }).id;
    const ep = await first.api(`/v1/apps/${appId}/endpoints`, {
      body: { url: receiver.url("/hook") },
    });
    expect(ep.status).toBe(201);
    receiver.setSecret("/hook", (ep.body as { secret: string }).secret);
    const ids: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const res = await first.api(`/v1/apps/${appId}/messages`, {
        body: { eventType: "order.created", payload: { i } },
      });
      expect(res.status).toBe(202);
      ids.push((res.body as { id: string }).id);
    }
    // Kill it mid-flight, once some deliveries have failed against the dead receiver: some are
    // failed with a retry queued, some still pending. Nothing in the queue is relied upon.
    await receiver.waitFor(() => receiver.requests.length >= 5, 30_000, "first failed attempts");
    await first.crash();
    const failedBeforeCrash = receiver.requests.length;

    down = false;
    const second = await startHooklane({ vars, stateDir, secrets, sweepTickS: "2", topology });
    started.push(second);
    await receiver.waitFor(
      () =>
        new Set(
          receiver.requests
            .filter((r) => r.responseStatus === 200 && r.verified)
            .map((r) => r.webhookId),
        ).size === MESSAGES,
      90_000,
      `all ${MESSAGES} messages delivered after the restart`,
    );
    const delivered = new Set(
      receiver.requests.filter((r) => r.responseStatus === 200).map((r) => r.webhookId),
    );
    expect([...delivered].sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const msg = await second.api(`/v1/apps/${appId}/messages/${id}`);
      expect(
        (msg.body as { deliveries: { status: string }[] }).deliveries.map((d) => d.status),
      ).toEqual(["succeeded"]);
    }
    console.log(
      `restart: ${MESSAGES} accepted, ${failedBeforeCrash} failed attempts before a SIGKILL, ${delivered.size} delivered after the restart`,
    );
  });
});
