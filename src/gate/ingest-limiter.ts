import { DurableObject } from "cloudflare:workers";
import { type BucketState, initialBucket, take } from "./token-bucket";

const STATE_KEY = "bucket";

/**
 * One per app with an ingest rate limit (`idFromName(appId)`): at most `rate` messages in any
 * one-second window, the same sliding-window limiter the endpoint gate uses. Synchronous storage,
 * so each call is atomic under the input gate.
 */
export class IngestLimiter extends DurableObject<Env> {
  /** Takes one slot; when none is free, says how long until one is. */
  take(rate: number, now: number = Date.now()): { ok: boolean; retryAfterMs: number } {
    const state = this.ctx.storage.kv.get<BucketState>(STATE_KEY) ?? initialBucket();
    const result = take(state, now, rate, 1);
    if (result.granted === 0) return { ok: false, retryAfterMs: Math.max(1, result.nextAt - now) };
    this.ctx.storage.kv.put(STATE_KEY, result.state);
    return { ok: true, retryAfterMs: 0 };
  }
}
