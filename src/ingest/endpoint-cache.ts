import { enabledEndpointFilters } from "../db/endpoints";
import { compileFilter, type FilterNode, parseExact } from "../filters";
import { TtlCache } from "../lib/ttl-cache";

/** An enabled endpoint as ingest matches it. */
export interface IngestEndpoint {
  id: string;
  /** Event-type filters. */
  filters: string[];
  fifo: boolean;
  /** The payload filter, compiled once per cache fill; null: none. */
  payloadFilter: FilterNode | null;
}

/**
 * Enabled endpoints and their parsed filters per app, kept per isolate for a few seconds: the
 * one read every ingest would otherwise make. Changes made in this isolate invalidate at once;
 * another isolate sees them within the TTL (a new endpoint may miss messages sent in that
 * window, a disabled one is still skipped by the consumer).
 */
const cache = new TtlCache<IngestEndpoint[]>(5_000, 10_000);

/** Enabled endpoints of an app with their event-type filters. */
export async function endpointsForIngest(db: D1Database, appId: string): Promise<IngestEndpoint[]> {
  let hit = cache.get(appId);
  if (!hit) {
    const rows = await enabledEndpointFilters(db, appId);
    hit = rows.map((r) => ({
      id: r.id,
      filters: JSON.parse(r.event_types) as string[],
      fifo: r.ordering === "fifo",
      payloadFilter: r.filter === null ? null : storedFilter(r.filter),
    }));
    cache.set(appId, hit);
  }
  return hit;
}

/** Forget an app's endpoints after one was created, changed or deleted in this isolate. */
export function invalidateEndpoints(appId: string): void {
  cache.delete(appId);
}

/**
 * A stored payload filter compiled. It was valid when saved; should a later version's bounds
 * refuse it, the endpoint gets every message (as without a filter) rather than silently none.
 */
function storedFilter(column: string): FilterNode | null {
  try {
    const compiled = compileFilter(parseExact(column));
    return compiled.ok ? compiled.node : null;
  } catch {
    return null;
  }
}
