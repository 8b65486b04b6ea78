/**
 * The deployment's shape, read from its bindings: the delivery queues (`DELIVERIES`,
 * `DELIVERIES_1`, `DELIVERIES_2`, ...) and the D1 shards (`DB`, `DB_1`, `DB_2`, ...). Adding
 * one is a wrangler.toml change: the numbered bindings are found by name, so no setting has to
 * repeat their count. Numbering must be contiguous; the first gap ends the list.
 */

import { settings } from "../config";
import { getDirectoryEntries } from "../db/directory";
import { queueIndexOf } from "./spread";
import { TtlCache } from "./ttl-cache";

export { fnv1a, placeNewApp, queueIndexOf } from "./spread";

/** Bindings numbered after a base name: `NAME`, `NAME_1`, `NAME_2`, ... up to the first gap. */
function numbered<T>(env: Env, base: string): T[] {
  const bag = env as unknown as Record<string, T | undefined>;
  const first = bag[base];
  if (first === undefined) throw new Error(`binding ${base} is missing`);
  const out = [first];
  for (let i = 1; ; i++) {
    const next = bag[`${base}_${i}`];
    if (next === undefined) return out;
    out.push(next);
  }
}

/** The delivery queues, `DELIVERIES` first. */
export function deliveryQueues(env: Env): Queue[] {
  return numbered<Queue>(env, "DELIVERIES");
}

/**
 * The queue for an endpoint's deliveries and wakes. One endpoint stays in one queue, so its
 * gate sees full batches and a FIFO endpoint's wakes are never raced by another queue.
 */
export function queueFor(env: Env, endpointId: string): Queue {
  const queues = deliveryQueues(env);
  return queues[queueIndexOf(endpointId, queues.length)] ?? env.DELIVERIES;
}

/** The D1 shards, `DB` first (it also holds the directory). */
export function shardDbs(env: Env): D1Database[] {
  return numbered<D1Database>(env, "DB");
}

/** Shard `k`'s database; throws when the deployment has no such binding. */
export function shardDb(env: Env, k: number): D1Database {
  const db = shardDbs(env)[k];
  if (!db) throw new Error(`no D1 binding for shard ${k} (DB_${k})`);
  return db;
}

/** What ingest answers an app being moved in `Retry-After` (seconds). */
export const MOVE_RETRY_AFTER_S = 30;

/**
 * Where an app lives, as the directory said at most `DIRECTORY_CACHE_S` ago. Moving an app
 * waits that long (plus a delivery's lease) after marking it, so that no isolate still writes
 * to the old shard when the copy starts.
 */
export interface Placement {
  shard: number;
  /** Being copied to another shard: hold its work until the move is done. */
  moving: boolean;
  deleted: boolean;
}

/** Entries carry their own expiry (the setting may differ per env); the bound is a ceiling. */
const placements = new TtlCache<Placement>(3_600_000, 20_000);

/** Placements of apps (absent: no such app), from the cache or one directory read. */
export async function placementsOf(
  env: Env,
  appIds: Iterable<string>,
): Promise<Map<string, Placement>> {
  const out = new Map<string, Placement>();
  const missing: string[] = [];
  for (const id of new Set(appIds)) {
    const hit = placements.get(id);
    if (hit) out.set(id, hit);
    else missing.push(id);
  }
  const ttlMs = settings(env).directoryCacheS * 1000;
  for (const row of await getDirectoryEntries(env.DB, missing)) {
    const p = {
      shard: row.shard,
      moving: row.moving_to !== null,
      deleted: row.deleted_at !== null,
    };
    placements.set(row.app_id, p, Date.now(), ttlMs);
    out.set(row.app_id, p);
  }
  return out;
}

/** Forgets what this isolate knows of an app's placement (after it changed here). */
export function forgetPlacement(appId: string): void {
  placements.delete(appId);
}

/**
 * Sorts items by the shard of their app: one group per shard, for one round trip each. Items of
 * apps the directory does not know go to the first shard.
 */
export async function byShard<T>(
  env: Env,
  items: readonly T[],
  appIdOf: (item: T) => string,
): Promise<Map<number, T[]>> {
  const placed = await placementsOf(
    env,
    items.map((i) => appIdOf(i)),
  );
  const out = new Map<number, T[]>();
  for (const item of items) {
    const shard = placed.get(appIdOf(item))?.shard ?? 0;
    const list = out.get(shard);
    if (list) list.push(item);
    else out.set(shard, [item]);
  }
  return out;
}
