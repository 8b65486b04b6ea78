import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type EndpointRow, insertEndpoint } from "../../src/db/endpoints";
import { newId } from "../../src/lib/ids";
import { runConsumer } from "../delivery/fixtures";
import { call, newApp } from "../helpers";
import { type MessageBody, type QueuedTask, spyOnDeliveries } from "./support";

/** Endpoints written straight to D1 in one batch: 150 API calls would only slow the file. */
async function endpointsWith(appId: string, profileId: string, filters: string[]) {
  const now = Date.now();
  const rows: EndpointRow[] = filters.map((filter, i) => ({
    id: newId("ep", now + i),
    app_id: appId,
    url: `https://wide-${i}.example.com/hook`,
    description: null,
    event_types: "[]",
    auth_profile_id: profileId,
    headers: null,
    rate_limit: null,
    max_concurrency: null,
    success_rule: "2xx",
    ordering: "none",
    format: "standard-webhooks",
    filter,
    disabled: 0,
    disabled_reason: null,
    disabled_at: null,
    created_at: now,
    updated_at: now,
  }));
  await env.DB.batch(rows.map((r) => insertEndpoint(env.DB, r)));
  return rows.map((r) => r.id);
}

describe("payload filters on a wide fan-out (range tasks)", () => {
  it("decides at ingest: the ranges cover only the matching endpoints, the rest are filtered", async () => {
    const { appId, key } = await newApp("wide-filters");
    const profile = await call<{ id: string }>("POST", `/v1/apps/${appId}/auth-profiles`, {
      body: {},
    });
    const gold = await endpointsWith(appId, profile.body.id, Array(110).fill('{"tier":"gold"}'));
    const silver = await endpointsWith(appId, profile.body.id, Array(40).fill('{"tier":"silver"}'));

    const { spy, sent } = spyOnDeliveries({ stub: true });
    const res = await call<MessageBody & { filtered?: string[] }>(
      "POST",
      `/v1/apps/${appId}/messages`,
      { token: key, body: { eventType: "wide.event", payload: { tier: "gold" } } },
    );
    expect(res.status).toBe(202);
    expect(res.body.deliveries).toHaveLength(110);
    expect(res.body.filtered).toEqual([...silver].sort());

    // More than 100 matched: one range over the 110, none for the filtered 40.
    const ranges = spy.mock.calls.flatMap(([batch]) => Array.from(batch).map((m) => m.body));
    expect(ranges).toEqual([{ kind: "fanout", appId, messageId: res.body.id, from: 0, to: 110 }]);
    spy.mockClear();
    await runConsumer(ranges);
    const tasks = sent(res.body.id) as QueuedTask[];
    expect(tasks.map((t) => t.endpointId).sort()).toEqual([...gold].sort());

    const detail = await call<{ filtered?: string[]; deliveries: unknown[] }>(
      "GET",
      `/v1/apps/${appId}/messages/${res.body.id}`,
      { token: key },
    );
    expect(detail.body.deliveries).toHaveLength(110);
    expect(detail.body.filtered).toHaveLength(40);
  });
});
