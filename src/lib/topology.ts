/**
 * The deployment's shape, read from its bindings: the delivery queues (`DELIVERIES`,
 * `DELIVERIES_1`, `DELIVERIES_2`, ...) and the D1 shards (`DB`, `DB_1`, `DB_2`, ...). Adding
 * one is a wrangler.toml change: the numbered bindings are found by name, so no setting has to
 * repeat their count. Numbering must be contiguous; the first gap ends the list.
 */

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

/** 32-bit FNV-1a: stable across isolates and deploys, cheap, well spread over ULID-style ids. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Which of `count` queues carries an endpoint's deliveries: all of them go to the same one. */
export function queueIndexOf(endpointId: string, count: number): number {
  return count <= 1 ? 0 : fnv1a(endpointId) % count;
}

/**
 * The queue for an endpoint's deliveries and wakes. One endpoint stays in one queue, so its
 * gate sees full batches and a FIFO endpoint's wakes are never raced by another queue.
 */
export function queueFor(env: Env, endpointId: string): Queue {
  const queues = deliveryQueues(env);
  return queues[queueIndexOf(endpointId, queues.length)] ?? env.DELIVERIES;
}
