import { describe, expect, it, vi } from "vitest";
import { type Plan, runPlan } from "../../src/delivery/gating";
import type { Ready } from "../../src/delivery/results";

const RUN = { timeoutMs: 1000, schedule: [5], counted4xx: new Set<number>(), now: Date.now() };

describe("a paced lane", () => {
  it("lets a send time it was woken too late for go, handing its lease back unused", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    // Only the lane's timing is under test: the delivery is never opened, so any value will do.
    const delivery = { item: { messageId: "msg_x" } } as unknown as Ready;
    const plan: Plan = {
      lanes: [{ leaseId: "lease-late", notBefore: Date.now() - 500 }],
      queue: [delivery],
      reusable: false,
      failureBudget: 5,
      fifo: false,
    };
    const ran = await runPlan(plan, { ...RUN, startBy: Date.now() + 60_000 });
    expect(ran.done).toEqual([]);
    expect(ran.leftover).toEqual([delivery]);
    expect(ran.late).toEqual(["lease-late"]);
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});
