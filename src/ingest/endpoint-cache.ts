import { enabledEndpointFilters } from "../db/endpoints";
import { TtlCache } from "../lib/ttl-cache";

/**
 * Enabled endpoints and their parsed filters per app, kept per isolate for a few seconds: the
 * one read every ingest would otherwise make. Changes made in this isolate invalidate at once;
 * another isolate sees them within the TTL (a new endpoint may miss messages sent in that
 * window, a disabled one is still skipped by the consumer).
 */
const cache = new TtlCache<{ id: string; filters: string[]; fifo: boolean }[]>(5_000, 10_000);

/** Enabled endpoints of an app with their event-type filters. */
export async function endpointsForIngest(db: D1Database, appId: string) {
  let hit = cache.get(appId);
  if (!hit) {
    const rows = await enabledEndpointFilters(db, appId);
    hit = rows.map((r) => ({
      id: r.id,
      filters: JSON.parse(r.event_types) as string[],
      fifo: r.ordering === "fifo",
    }));
    cache.set(appId, hit);
  }
  return hit;
}

/** Forget an app's endpoints after one was created, changed or deleted in this isolate. */
export function invalidateEndpoints(appId: string): void {
  cache.delete(appId);
}
