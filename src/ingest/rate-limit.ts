import { getApp } from "../db/apps";
import { ApiError } from "../lib/errors";
import { TtlCache } from "../lib/ttl-cache";

/** App id -> its ingest limit (null = none); a changed limit reaches other isolates within the TTL. */
const limits = new TtlCache<number | null>(30_000, 10_000);

/** Forget a cached limit after the app changed in this isolate. */
export function forgetIngestLimit(appId: string): void {
  limits.delete(appId);
}

/**
 * Enforces an app's optional ingest rate limit: 429 with `Retry-After` past `ingestRateLimit`
 * messages per second. Apps without one pay a cached lookup, no Durable Object call.
 */
export async function checkIngestRate(env: Env, db: D1Database, appId: string): Promise<void> {
  let limit = limits.get(appId);
  if (limit === undefined) {
    limit = (await getApp(db, appId))?.ingest_rate_limit ?? null;
    limits.set(appId, limit);
  }
  if (limit === null) return;
  const stub = env.INGEST_LIMITER.get(env.INGEST_LIMITER.idFromName(appId));
  const taken = await stub.take(limit);
  if (!taken.ok) {
    throw new ApiError(
      429,
      "Too Many Requests",
      `This app may send ${limit} messages per second.`,
      undefined,
      {
        "retry-after": String(Math.max(1, Math.ceil(taken.retryAfterMs / 1000))),
      },
    );
  }
}
