import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { enqueueTasks, wakeTasks } from "../../src/delivery/enqueue";
import { newId } from "../../src/lib/ids";
import { deliveryQueues, fnv1a, queueFor, queueIndexOf } from "../../src/lib/topology";

/** This test runtime's env with a second real queue bound as a deployment's `DELIVERIES_1`. */
function twoQueues(): Env {
  return { ...env, DELIVERIES_1: env.TEST_DELIVERIES_B } as Env;
}

describe("delivery queues by endpoint", () => {
  it("finds the numbered queue bindings, DELIVERIES first", () => {
    expect(deliveryQueues(env)).toEqual([env.DELIVERIES]);
    const two = twoQueues();
    expect(deliveryQueues(two)).toEqual([env.DELIVERIES, env.TEST_DELIVERIES_B]);
    // A gap ends the list: DELIVERIES_2 without DELIVERIES_1 is not a queue of the deployment.
    expect(deliveryQueues({ ...env, DELIVERIES_2: env.TEST_DELIVERIES_B } as Env)).toHaveLength(1);
  });

  it("hashes with FNV-1a (the published test vectors) so every isolate picks the same queue", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });

  it("spreads endpoints over the queues and keeps each endpoint on one", () => {
    const ids = Array.from({ length: 4000 }, () => newId("ep"));
    for (const count of [2, 3, 8]) {
      const per = new Array<number>(count).fill(0);
      for (const id of ids) {
        const index = queueIndexOf(id, count);
        expect(queueIndexOf(id, count)).toBe(index);
        per[index] = (per[index] ?? 0) + 1;
      }
      // Within 15% of an even share for 4,000 random endpoint ids.
      for (const n of per) expect(Math.abs(n - 4000 / count)).toBeLessThan((4000 / count) * 0.15);
    }
    expect(queueIndexOf(ids[0] ?? "", 1)).toBe(0);
  });

  it("sends each endpoint's tasks to its own queue, and only there", async () => {
    const two = twoQueues();
    const first = vi.spyOn(env.DELIVERIES, "sendBatch");
    const second = vi.spyOn(env.TEST_DELIVERIES_B, "sendBatch");
    const endpoints = Array.from({ length: 40 }, () => newId("ep"));
    // Three wakes per endpoint, interleaved: each endpoint's must all land in one queue.
    const all = wakeTasks([]).concat(
      ...[0, 1, 2].map(() => wakeTasks(endpoints.map((id) => [id, "app_x"] as const))),
    );

    expect(await enqueueTasks(two, all)).toBe(0);

    const sentTo = (spy: typeof first) =>
      spy.mock.calls.flatMap(([batch]) =>
        Array.from(batch).map((m) => (m.body as { endpointId: string }).endpointId),
      );
    const a = sentTo(first);
    const b = sentTo(second);
    expect(a.length + b.length).toBe(120);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    for (const id of endpoints) {
      const inA = a.filter((x) => x === id).length;
      const inB = b.filter((x) => x === id).length;
      expect([inA, inB].sort()).toEqual([0, 3]);
      expect(queueFor(two, id)).toBe(inA === 3 ? env.DELIVERIES : env.TEST_DELIVERIES_B);
    }
  });
});
