import { describe, expect, it } from "vitest";
import { call, newApp, newEndpoint } from "../helpers";

interface Entry {
  actor: string;
  action: string;
  resourceType: string;
  resourceId?: string;
}

async function trail(appId: string, token?: string): Promise<Entry[]> {
  const res = await call<{ data: Entry[] }>("GET", `/v1/apps/${appId}/audit?limit=250`, { token });
  expect(res.status).toBe(200);
  return res.body.data;
}

describe("audit log", () => {
  it("records every management change with its actor, newest first", async () => {
    const { appId, key } = await newApp();
    const keys = await call<{ data: { id: string }[] }>("GET", `/v1/apps/${appId}/api-keys`);
    const keyId = keys.body.data[0]?.id ?? "";
    await call("POST", `/v1/apps/${appId}/event-types`, {
      token: key,
      body: { name: "order.created" },
    });
    await call("PATCH", `/v1/apps/${appId}/event-types/order.created`, {
      token: key,
      body: { description: "x" },
    });
    const ep = await newEndpoint(appId);
    await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, {
      token: key,
      body: { description: "d" },
    });
    await call("POST", `/v1/apps/${appId}/auth-profiles/${ep.authProfileId}/rotate`, {
      token: key,
    });
    await call("POST", `/v1/apps/${appId}/auth-profiles/${ep.authProfileId}/reveal`, {
      token: key,
    });
    await call("POST", `/v1/apps/${appId}/endpoints/${ep.id}/recover`, {
      token: key,
      body: { since: new Date(0).toISOString() },
    });
    await call("POST", `/v1/apps/${appId}/dead-letters/replay`, { token: key, body: {} });
    await call("DELETE", `/v1/apps/${appId}/endpoints/${ep.id}`, { token: key });
    await call("DELETE", `/v1/apps/${appId}/event-types/order.created`, { token: key });

    const entries = await trail(appId);
    expect(
      entries.map((e) => `${e.actor === "admin" ? "admin" : "key"} ${e.action} ${e.resourceType}`),
    ).toEqual([
      "key delete event_type",
      "key delete endpoint",
      "key replay dead_letter",
      "key recover endpoint",
      "key reveal auth_profile",
      "key rotate auth_profile",
      "key update endpoint",
      "admin create endpoint",
      "key update event_type",
      "key create event_type",
      "admin create api_key",
      "admin create app",
    ]);
    expect(entries.filter((e) => e.actor !== "admin").every((e) => e.actor === keyId)).toBe(true);
  });

  it("never carries secrets", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    await call("POST", `/v1/apps/${appId}/auth-profiles/${ep.authProfileId}/reveal`);
    const res = await call("GET", `/v1/apps/${appId}/audit`);
    expect(JSON.stringify(res.body)).not.toContain(ep.secret);
    expect(JSON.stringify(res.body)).not.toContain("whsec_");
  });

  it("answers 404 for another app's trail", async () => {
    const a = await newApp();
    const b = await newApp();
    const res = await call("GET", `/v1/apps/${b.appId}/audit`, { token: a.key });
    expect(res.status).toBe(404);
  });
});
