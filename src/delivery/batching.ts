/**
 * Batching endpoints (docs/ARCHITECTURE.md, "Batching"): a lane's deliveries grouped into
 * requests of up to `maxEvents`, sent and judged as one. A group that failed keeps its id on
 * its members' open rows, so its retry goes out with the same members under the same
 * webhook-id; a short group of first tries waits (parked in D1, woken by the gate) until its
 * oldest delivery has waited `maxWaitMs`. Short groups from several queue batches join one
 * filling group in D1, so a slow stream still goes out in full batches.
 */

import { newId } from "../lib/ids";
import type { Batch } from "../schemas/batch";
import { batchContentType, webhookHeaders } from "./request";
import { judged, post, type Ready, type Result, shareVerdict } from "./results";

/** A lane's queue as batch requests, and what waits for its batch to fill. */
export interface Formed {
  units: Ready[];
  /** First tries of a short batch, with when its oldest has waited `maxWaitMs`. */
  waiting: { members: Ready[]; until: number } | null;
}

/**
 * Groups a lane's queue (in send order) into batch requests. Members of a batch sent before
 * (their open row names it) go together again, at the place of the first one; the others fill
 * new batches in order, so a FIFO endpoint's batches keep message order. The last new batch,
 * when short and made only of deliveries never sent whose oldest has not waited `maxWaitMs`,
 * waits (the lane parks it in the endpoint's filling group): what a wake released because its
 * time came goes, and the short rest of a group that filled early waits on.
 */
export function formBatches(queue: Ready[], batch: Batch, now: number, fifo: boolean): Formed {
  const groups: { id: string; members: Ready[] }[] = [];
  const earlier = new Map<string, { id: string; members: Ready[] }>();
  let open: { id: string; members: Ready[] } | null = null;
  for (const r of queue) {
    // Only a batch that went out keeps its id: a filling group's id is a grouping key.
    const id = r.item.open && r.item.open.attempts > 0 ? r.item.open.batch_id : null;
    if (id) {
      let group = earlier.get(id);
      if (!group) {
        group = { id, members: [] };
        earlier.set(id, group);
        groups.push(group);
      }
      group.members.push(r);
      continue;
    }
    if (!open || open.members.length >= batch.maxEvents) {
      open = { id: newId("bat", now), members: [] };
      groups.push(open);
    }
    open.members.push(r);
  }
  let waiting: Formed["waiting"] = null;
  const last = groups[groups.length - 1];
  // FIFO batches go as the head run holds them: a short one waiting would hold the line.
  if (!fifo && last && last === open && last.members.length < batch.maxEvents) {
    const fresh = last.members.every((m) => m.item.open === null || m.item.open.attempts === 0);
    const oldest = Math.min(...last.members.map((m) => m.item.createdAt));
    if (fresh && oldest + batch.maxWaitMs > now) {
      groups.pop();
      waiting = { members: last.members, until: oldest + batch.maxWaitMs };
    }
  }
  return { units: groups.map((g) => unitOf(g.id, g.members)), waiting };
}

/** One batch request: the members' envelopes joined into a JSON array, byte for byte. */
function unitOf(id: string, members: Ready[]): Ready {
  const [first] = members as [Ready, ...Ready[]];
  return {
    item: first.item,
    endpoint: first.endpoint,
    body: `[${members.map((m) => m.body).join(",")}]`,
    headers: { "content-type": batchContentType(first.endpoint.format) },
    keys: first.keys,
    batch: { id, members },
  };
}

/** The deliveries a queue entry stands for: a batch's members, or itself. */
export function membersOf(r: Ready): Ready[] {
  return r.batch?.members ?? [r];
}

/**
 * Sends one batch request, signed over the whole array under the batch's id, and judges it
 * once: every member gets the same verdict (and the same retry time) and its own log entry.
 * Only the first member's result carries the gate outcome, so the gate counts one request.
 */
export async function sendBatch(
  unit: Ready,
  leaseId: string,
  timeoutMs: number,
  schedule: number[],
  now: number,
): Promise<Result[]> {
  const members = membersOf(unit);
  const id = unit.batch?.id ?? newId("bat", now);
  const startedAt = Date.now();
  const headers = await webhookHeaders(
    id,
    unit.body,
    unit.endpoint,
    unit.keys,
    Math.floor(startedAt / 1000),
    unit.headers,
  );
  const outcome = await post({ url: unit.endpoint.url, headers, body: unit.body, timeoutMs });
  const shared = shareVerdict(unit.item, unit.endpoint, outcome, schedule);
  return members.map((m, i) => {
    const gate = i === 0 ? { leaseId, outcome } : undefined;
    const result = judged(m.item, m.endpoint, outcome, startedAt, schedule, gate, shared);
    if (result.park) result.park.batchId = id;
    return result;
  });
}
