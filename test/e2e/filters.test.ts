import type { IncomingHttpHeaders } from "node:http";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hooklane, type Receiver, startHooklane, startReceiver } from "./harness";

/**
 * Payload filters end to end: 100 messages through `wrangler dev` to a filtered endpoint and an
 * unfiltered one on a real receiver; only the matching ones reach the filtered endpoint, every
 * request verifies with `standardwebhooks`, and a message the filter refused lists the endpoint
 * as filtered in its detail.
 */

interface Created {
  id: string;
  secret?: string;
}

interface MessageDetail {
  id: string;
  deliveries: { endpointId: string }[];
  filtered?: string[];
}

const FILTER = { "customer.tier": { $in: ["gold"] }, amount: { $gte: 100 } };
const COUNT = 100;
/** Gold every third message, amount 5 per step: gold with amount >= 100 from n = 21. */
const payloadOf = (n: number) => ({
  n,
  customer: { tier: n % 3 === 0 ? "gold" : "silver" },
  amount: n * 5,
});
const expected = Array.from({ length: COUNT }, (_, n) => n).filter(
  (n) => n % 3 === 0 && n * 5 >= 100,
);

function flat(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  return out;
}

describe("e2e payload filters", () => {
  let hooklane: Hooklane | undefined;
  let receiver: Receiver | undefined;

  beforeAll(async () => {
    receiver = await startReceiver();
    hooklane = await startHooklane();
  });

  afterAll(async () => {
    await hooklane?.stop();
    await receiver?.close();
  });

  it("of 100 messages only the matching ones arrive; a refused one shows the endpoint as filtered", async () => {
    const h = hooklane as Hooklane;
    const r = receiver as Receiver;
    const app = await h.api("/v1/apps", { body: { name: "filters" } });
    expect(app.status, h.logs()).toBe(201);
    const appId = (app.body as Created).id;

    const endpoint = async (path: string, extra: Record<string, unknown>) => {
      const res = await h.api(`/v1/apps/${appId}/endpoints`, {
        body: { url: r.url(path), eventTypes: ["order.*"], ...extra },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const created = res.body as Created;
      r.setSecret(path, created.secret ?? "");
      return { id: created.id, secret: created.secret ?? "" };
    };
    const filtered = await endpoint("/gold", { filter: FILTER });
    const all = await endpoint("/all", {});

    const ids: string[] = [];
    for (let n = 0; n < COUNT; n++) {
      const sent = await h.api(`/v1/apps/${appId}/messages`, {
        body: { eventType: "order.created", payload: payloadOf(n) },
      });
      expect(sent.status).toBe(202);
      ids.push((sent.body as Created).id);
    }

    const on = (path: string) => r.requests.filter((q) => q.path === path);
    await r.waitFor(() => on("/all").length >= COUNT, 60_000, "every message at /all");
    await r.waitFor(() => on("/gold").length >= expected.length, 60_000, "matches at /gold");
    // Everything else has arrived at /all by now; give a stray /gold request a moment anyway.
    await new Promise((done) => setTimeout(done, 1_000));

    const gold = on("/gold");
    const got = gold.map((q) => (JSON.parse(q.body) as { data: { n: number } }).data.n);
    expect(got.sort((a, b) => a - b)).toEqual(expected);
    // Every request verifies with the endpoint's secret, as a receiver would check it.
    for (const [path, secret] of [
      ["/gold", filtered.secret],
      ["/all", all.secret],
    ] as const) {
      const wh = new Webhook(secret);
      for (const q of on(path)) expect(() => wh.verify(q.body, flat(q.headers))).not.toThrow();
    }

    // n = 1 is silver: the filter refused it.
    const detail = await h.api(`/v1/apps/${appId}/messages/${ids[1]}`);
    expect(detail.status).toBe(200);
    const body = detail.body as MessageDetail;
    expect(body.filtered).toEqual([filtered.id]);
    expect(body.deliveries.map((d) => d.endpointId)).toEqual([all.id]);
    // n = 21 matched: delivered to both, nothing filtered.
    const matched = (await h.api(`/v1/apps/${appId}/messages/${ids[21]}`)).body as MessageDetail;
    expect(matched.filtered).toBeUndefined();
    expect(matched.deliveries.map((d) => d.endpointId).sort()).toEqual(
      [filtered.id, all.id].sort(),
    );
  }, 180_000);
});
