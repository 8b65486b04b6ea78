/**
 * Max in-flight for one endpoint, as expiring leases over a JSON-serialisable state. A
 * consumer that dies mid-request never releases its slot; the lease running out gives it back.
 */

export interface LeaseState {
  /** leaseId -> expiresAt (ms). */
  leases: Record<string, number>;
}

export interface Acquired {
  /** One id per slot granted; release them when the requests finish. */
  ids: string[];
  state: LeaseState;
}

/** No slots held. */
export function initialLeases(): LeaseState {
  return { leases: {} };
}

/** Takes up to `n` of `max` slots for `leaseMs`, after dropping leases that have expired. */
export function acquire(
  state: LeaseState,
  now: number,
  max: number,
  n: number,
  leaseMs: number,
  newId: () => string,
): Acquired {
  const leases = live(state, now);
  const free = Math.max(0, Math.floor(max) - Object.keys(leases).length);
  const ids: string[] = [];
  for (let i = 0; i < Math.min(Math.floor(n), free); i++) {
    const id = newId();
    leases[id] = now + leaseMs;
    ids.push(id);
  }
  return { ids, state: { leases } };
}

/** Gives slots back; unknown or already expired ids are ignored, so a late release is harmless. */
export function release(state: LeaseState, ids: readonly string[]): LeaseState {
  const gone = new Set(ids);
  return {
    leases: Object.fromEntries(Object.entries(state.leases).filter(([id]) => !gone.has(id))),
  };
}

/** How many slots are held at `now`. */
export function inFlight(state: LeaseState, now: number): number {
  return Object.keys(live(state, now)).length;
}

/** When the earliest lease runs out, or `undefined` if none is held: the latest a slot frees. */
export function nextExpiry(state: LeaseState, now: number): number | undefined {
  const times = Object.values(live(state, now));
  return times.length > 0 ? Math.min(...times) : undefined;
}

function live(state: LeaseState, now: number): Record<string, number> {
  return Object.fromEntries(Object.entries(state.leases).filter(([, at]) => at > now));
}
