import type { SweeperState } from "../db/sweep";

/** Sweeps in a row that handed deliveries out again while the backlog did not fall. */
export const STALLED_RUNS = 3;

export interface ServiceHealth {
  status: "ok" | "degraded";
  reasons: string[];
  /** When the sweeper last ran (ISO), or null before it first ran. */
  sweptAt: string | null;
}

/**
 * The service's health from the last sweep's view: degraded when an open delivery has outlived
 * its retry window plus the sweep grace (the sweeper should have ended it), when sweeps keep
 * handing deliveries out again without progress, or when the sweeper could not get through the
 * messages to check within its budget.
 */
export function serviceHealth(
  state: SweeperState | null,
  now: number,
  windowMs: number,
  graceMs: number,
): ServiceHealth {
  if (!state) return { status: "ok", reasons: [], sweptAt: null };
  const reasons: string[] = [];
  if (state.oldest_open_at !== null && state.oldest_open_at + windowMs + graceMs < now) {
    const hours = ((now - state.oldest_open_at) / 3_600_000).toFixed(1);
    reasons.push(`the oldest open delivery is ${hours} h old, past its retry window`);
  }
  if (state.stalled_runs >= STALLED_RUNS) {
    reasons.push(
      `the last ${state.stalled_runs} sweeps handed deliveries out again and the backlog did not fall`,
    );
  }
  if (state.behind === 1) reasons.push("the sweeper could not check every new message in time");
  return {
    status: reasons.length > 0 ? "degraded" : "ok",
    reasons,
    sweptAt: new Date(state.swept_at).toISOString(),
  };
}

/**
 * The service's health over all shards: degraded when any shard is, each reason naming its
 * shard when there are several; swept at the least recent shard's sweep.
 */
export function combinedHealth(shards: ServiceHealth[]): ServiceHealth {
  const several = shards.length > 1;
  const reasons = shards.flatMap((h, k) =>
    h.reasons.map((r) => (several ? `shard ${k}: ${r}` : r)),
  );
  const swept = shards.map((h) => h.sweptAt);
  const sweptAt = swept.includes(null) ? null : (swept.sort()[0] ?? null);
  return { status: reasons.length > 0 ? "degraded" : "ok", reasons, sweptAt };
}
