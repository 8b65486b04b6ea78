/**
 * How work spreads over a deployment's shards and queues: pure functions of ids, the same in
 * every isolate and every deploy (lib/topology.ts applies them to the bindings).
 */

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

/** Where a new app goes unless the operator pins it: spread by a hash of its id. */
export function placeNewApp(appId: string, count: number): number {
  return count <= 1 ? 0 : fnv1a(appId) % count;
}
