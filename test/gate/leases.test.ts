import { describe, expect, it } from "vitest";
import { acquire, inFlight, initialLeases, nextExpiry, release } from "../../src/gate/leases";

function ids() {
  let i = 0;
  return () => `lease_${++i}`;
}

describe("leases", () => {
  it("grants up to the maximum and no more", () => {
    const r = acquire(initialLeases(), 0, 3, 5, 30_000, ids());
    expect(r.ids).toEqual(["lease_1", "lease_2", "lease_3"]);
    expect(inFlight(r.state, 0)).toBe(3);
    expect(acquire(r.state, 1, 3, 1, 30_000, ids()).ids).toEqual([]);
  });

  it("frees a slot on release", () => {
    const newId = ids();
    const full = acquire(initialLeases(), 0, 2, 2, 30_000, newId);
    const freed = release(full.state, ["lease_1"]);
    expect(inFlight(freed, 1)).toBe(1);
    expect(acquire(freed, 1, 2, 5, 30_000, newId).ids).toEqual(["lease_3"]);
  });

  it("frees a lease that was never released once leaseMs has passed", () => {
    const newId = ids();
    const full = acquire(initialLeases(), 1000, 1, 1, 30_000, newId);
    expect(acquire(full.state, 30_999, 1, 1, 30_000, newId).ids).toEqual([]);
    expect(inFlight(full.state, 31_000)).toBe(0);
    const next = acquire(full.state, 31_000, 1, 1, 30_000, newId);
    expect(next.ids).toEqual(["lease_2"]);
    expect(next.state.leases).toEqual({ lease_2: 61_000 });
  });

  it("ignores releases of unknown or expired leases", () => {
    const r = acquire(initialLeases(), 0, 2, 1, 100, ids());
    expect(release(r.state, ["nope"])).toEqual(r.state);
    expect(inFlight(release(r.state, ["lease_1", "lease_1"]), 0)).toBe(0);
  });

  it("tells when the earliest held lease runs out", () => {
    const newId = ids();
    let s = acquire(initialLeases(), 0, 5, 1, 500, newId).state;
    s = acquire(s, 100, 5, 1, 300, newId).state;
    expect(nextExpiry(s, 200)).toBe(400);
    expect(nextExpiry(s, 400)).toBe(500);
    expect(nextExpiry(s, 500)).toBeUndefined();
  });

  it("never mutates the state it is given", () => {
    const s = Object.freeze(initialLeases());
    const r = acquire(s, 0, 1, 1, 100, ids());
    expect(s.leases).toEqual({});
    expect(release(r.state, ["lease_1"])).toEqual({ leases: {} });
    expect(r.state.leases).toEqual({ lease_1: 100 });
  });
});
