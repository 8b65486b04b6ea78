import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, call, ingestCounts, newApp, newEndpoint } from "../helpers";
import {
  type ApiKeyBody,
  type EndpointBody,
  expectProblem,
  type MessageBody,
  type Page,
  type ProfileBody,
} from "./support";

interface Tenant {
  appId: string;
  key: string;
  endpointId: string;
  profileId: string;
  messageId: string;
  eventType: string;
  apiKeyId: string;
}

/** An app with one of everything, so another tenant has something to reach for. */
async function tenant(label: string): Promise<Tenant> {
  const { appId, key } = await newApp(label);
  const eventType = `only.${label}`;
  await call("POST", `/v1/apps/${appId}/event-types`, { token: key, body: { name: eventType } });
  const profile = await call<ProfileBody>("POST", `/v1/apps/${appId}/auth-profiles`, {
    token: key,
    body: { name: label },
  });
  const ep = await newEndpoint(appId, { authProfileId: profile.body.id });
  const msg = await call<MessageBody>("POST", `/v1/apps/${appId}/messages`, {
    token: key,
    body: { eventType, payload: { owner: label } },
  });
  const keys = await call<Page<ApiKeyBody>>("GET", `/v1/apps/${appId}/api-keys`);
  const apiKeyId = keys.body.data[0]?.id;
  if (msg.status !== 202 || !apiKeyId) throw new Error("tenant setup failed");
  return {
    appId,
    key,
    endpointId: ep.id,
    profileId: profile.body.id,
    messageId: msg.body.id,
    eventType,
    apiKeyId,
  };
}

let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  a = await tenant("alpha");
  b = await tenant("bravo");
});

type Route = { method: string; path: (t: Tenant) => string; body?: Record<string, unknown> };

/** Every app-scoped route, pointed at tenant t's resources. */
const appRoutes: [string, Route][] = [
  ["GET app/endpoints", { method: "GET", path: (t) => `/v1/apps/${t.appId}/endpoints` }],
  [
    "POST app/endpoints",
    {
      method: "POST",
      path: (t) => `/v1/apps/${t.appId}/endpoints`,
      body: { url: "https://x.example.com/" },
    },
  ],
  ["GET endpoint", { method: "GET", path: (t) => `/v1/apps/${t.appId}/endpoints/${t.endpointId}` }],
  [
    "PATCH endpoint",
    {
      method: "PATCH",
      path: (t) => `/v1/apps/${t.appId}/endpoints/${t.endpointId}`,
      body: { disabled: true },
    },
  ],
  [
    "DELETE endpoint",
    { method: "DELETE", path: (t) => `/v1/apps/${t.appId}/endpoints/${t.endpointId}` },
  ],
  ["GET app/messages", { method: "GET", path: (t) => `/v1/apps/${t.appId}/messages` }],
  [
    "POST app/messages",
    {
      method: "POST",
      path: (t) => `/v1/apps/${t.appId}/messages`,
      body: { eventType: "x.y", payload: {} },
    },
  ],
  ["GET message", { method: "GET", path: (t) => `/v1/apps/${t.appId}/messages/${t.messageId}` }],
  ["GET app/event-types", { method: "GET", path: (t) => `/v1/apps/${t.appId}/event-types` }],
  [
    "POST app/event-types",
    { method: "POST", path: (t) => `/v1/apps/${t.appId}/event-types`, body: { name: "x.y" } },
  ],
  [
    "GET event type",
    { method: "GET", path: (t) => `/v1/apps/${t.appId}/event-types/${t.eventType}` },
  ],
  [
    "PATCH event type",
    {
      method: "PATCH",
      path: (t) => `/v1/apps/${t.appId}/event-types/${t.eventType}`,
      body: { description: "x" },
    },
  ],
  [
    "DELETE event type",
    { method: "DELETE", path: (t) => `/v1/apps/${t.appId}/event-types/${t.eventType}` },
  ],
  ["GET app/auth-profiles", { method: "GET", path: (t) => `/v1/apps/${t.appId}/auth-profiles` }],
  [
    "POST app/auth-profiles",
    { method: "POST", path: (t) => `/v1/apps/${t.appId}/auth-profiles`, body: {} },
  ],
  [
    "GET auth profile",
    { method: "GET", path: (t) => `/v1/apps/${t.appId}/auth-profiles/${t.profileId}` },
  ],
  [
    "PATCH auth profile",
    {
      method: "PATCH",
      path: (t) => `/v1/apps/${t.appId}/auth-profiles/${t.profileId}`,
      body: { name: "x" },
    },
  ],
  [
    "DELETE auth profile",
    { method: "DELETE", path: (t) => `/v1/apps/${t.appId}/auth-profiles/${t.profileId}` },
  ],
  [
    "rotate auth profile",
    {
      method: "POST",
      path: (t) => `/v1/apps/${t.appId}/auth-profiles/${t.profileId}/rotate`,
      body: {},
    },
  ],
  [
    "reveal auth profile",
    { method: "POST", path: (t) => `/v1/apps/${t.appId}/auth-profiles/${t.profileId}/reveal` },
  ],
  ["GET app", { method: "GET", path: (t) => `/v1/apps/${t.appId}` }],
  ["PATCH app", { method: "PATCH", path: (t) => `/v1/apps/${t.appId}`, body: { name: "x" } }],
  ["DELETE app", { method: "DELETE", path: (t) => `/v1/apps/${t.appId}` }],
  ["POST app/api-keys", { method: "POST", path: (t) => `/v1/apps/${t.appId}/api-keys`, body: {} }],
  [
    "DELETE api key",
    { method: "DELETE", path: (t) => `/v1/apps/${t.appId}/api-keys/${t.apiKeyId}` },
  ],
];

/** B's resources are all still there, unchanged where it matters. */
async function expectBravoIntact(): Promise<void> {
  const ep = await call<EndpointBody>("GET", `/v1/apps/${b.appId}/endpoints/${b.endpointId}`, {
    token: b.key,
  });
  expect(ep.status).toBe(200);
  expect(ep.body.disabled).toBe(false);
  const profile = await call<ProfileBody>(
    "GET",
    `/v1/apps/${b.appId}/auth-profiles/${b.profileId}`,
    { token: b.key },
  );
  expect(profile.body.name).toBe("bravo");
  expect(
    (await call("GET", `/v1/apps/${b.appId}/event-types/${b.eventType}`, { token: b.key })).status,
  ).toBe(200);
  expect(
    (await call("GET", `/v1/apps/${b.appId}/messages/${b.messageId}`, { token: b.key })).status,
  ).toBe(200);
  expect((await call("GET", `/v1/apps/${b.appId}`)).status).toBe(200);
}

describe("app A's key on app B", () => {
  it.each(appRoutes)("%s answers 404", async (_name, route) => {
    const before = await ingestCounts();
    const res = await call(route.method, route.path(b), { token: a.key, body: route.body });
    expectProblem(res, 404);
    expect(await ingestCounts()).toEqual(before);
    await expectBravoIntact();
  });

  it("says the same for B's real ids as for ids that do not exist", async () => {
    const real = await call("GET", `/v1/apps/${b.appId}/endpoints/${b.endpointId}`, {
      token: a.key,
    });
    const fake = await call(
      "GET",
      "/v1/apps/app_00000000000000000000000000/endpoints/ep_00000000000000000000000000",
      { token: a.key },
    );
    expect(real.status).toBe(fake.status);
    expect((real.body as { detail?: string }).detail).toBe(
      (fake.body as { detail?: string }).detail,
    );
  });
});

describe("app A's key on B's ids under A's own path", () => {
  it.each([
    ["endpoint", (t: Tenant) => `endpoints/${t.endpointId}`],
    ["message", (t: Tenant) => `messages/${t.messageId}`],
    ["event type", (t: Tenant) => `event-types/${t.eventType}`],
    ["auth profile", (t: Tenant) => `auth-profiles/${t.profileId}`],
  ])("GET of B's %s answers 404", async (_name, tail) => {
    const res = await call("GET", `/v1/apps/${a.appId}/${tail(b)}`, { token: a.key });
    expectProblem(res, 404);
  });

  it.each([
    ["PATCH", (t: Tenant) => `endpoints/${t.endpointId}`, { disabled: true }],
    ["DELETE", (t: Tenant) => `endpoints/${t.endpointId}`, undefined],
    ["PATCH", (t: Tenant) => `auth-profiles/${t.profileId}`, { name: "x" }],
    ["DELETE", (t: Tenant) => `auth-profiles/${t.profileId}`, undefined],
    ["POST", (t: Tenant) => `auth-profiles/${t.profileId}/reveal`, undefined],
    ["POST", (t: Tenant) => `auth-profiles/${t.profileId}/rotate`, {}],
    ["DELETE", (t: Tenant) => `event-types/${t.eventType}`, undefined],
  ] as const)("%s of B's %s answers 404 and changes nothing", async (method, tail, body) => {
    const res = await call(method, `/v1/apps/${a.appId}/${tail(b)}`, { token: a.key, body });
    expectProblem(res, 404);
    await expectBravoIntact();
  });

  it("refuses an endpoint in A that points at B's auth profile", async () => {
    const res = await call("POST", `/v1/apps/${a.appId}/endpoints`, {
      token: a.key,
      body: { url: "https://x.example.com/", authProfileId: b.profileId },
    });
    expectProblem(res, 422, "authProfileId");
    const moved = await call("PATCH", `/v1/apps/${a.appId}/endpoints/${a.endpointId}`, {
      token: a.key,
      body: { authProfileId: b.profileId },
    });
    expectProblem(moved, 422, "authProfileId");
  });

  it("lists only A's own resources", async () => {
    for (const [list, id] of [
      ["endpoints", (t: Tenant) => t.endpointId],
      ["messages", (t: Tenant) => t.messageId],
      ["auth-profiles", (t: Tenant) => t.profileId],
    ] as const) {
      const res = await call<Page<{ id: string }>>("GET", `/v1/apps/${a.appId}/${list}`, {
        token: a.key,
      });
      const ids = res.body.data.map((r) => r.id);
      expect(ids).toContain(id(a));
      expect(ids).not.toContain(id(b));
    }
  });
});

describe("an app key on admin routes", () => {
  it.each([
    ["POST /v1/apps", "POST", () => "/v1/apps", { name: "x" }],
    ["GET /v1/apps", "GET", () => "/v1/apps", undefined],
    ["GET its own app", "GET", (t: Tenant) => `/v1/apps/${t.appId}`, undefined],
    ["PATCH its own app", "PATCH", (t: Tenant) => `/v1/apps/${t.appId}`, { name: "x" }],
    ["DELETE its own app", "DELETE", (t: Tenant) => `/v1/apps/${t.appId}`, undefined],
    ["POST its own api-keys", "POST", (t: Tenant) => `/v1/apps/${t.appId}/api-keys`, {}],
    ["GET its own api-keys", "GET", (t: Tenant) => `/v1/apps/${t.appId}/api-keys`, undefined],
    [
      "DELETE its own api key",
      "DELETE",
      (t: Tenant) => `/v1/apps/${t.appId}/api-keys/${t.apiKeyId}`,
      undefined,
    ],
  ] as const)("%s answers 403", async (_name, method, path, body) => {
    const res = await call(method, path(a), { token: a.key, body });
    expectProblem(res, 403);
    // Nothing changed: the app and its key still work.
    expect((await call("GET", `/v1/apps/${a.appId}`)).body).toMatchObject({ name: "alpha" });
    expect((await call("GET", `/v1/apps/${a.appId}/endpoints`, { token: a.key })).status).toBe(200);
  });
});

describe("authentication", () => {
  it.each([
    ["no Authorization header", {}],
    ["a wrong admin token", { authorization: `Bearer ${ADMIN}x` }],
    ["an unknown app key", { authorization: `Bearer hk_${"A".repeat(43)}` }],
    ["the admin token as Basic", { authorization: `Basic ${btoa(`admin:${ADMIN}`)}` }],
    ["an empty bearer", { authorization: "Bearer " }],
    ["the admin token without a scheme", { authorization: ADMIN }],
  ])("answers 401 with a Bearer challenge for %s", async (_name, headers) => {
    for (const path of ["/v1/apps", "/v1/apps/app_00000000000000000000000000/endpoints"]) {
      const res = await call("GET", path, { token: null, headers });
      expectProblem(res, 401);
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
    }
  });

  it("answers 401 before looking at a body", async () => {
    const before = await ingestCounts();
    const res = await call("POST", `/v1/apps/${a.appId}/messages`, {
      token: "wrong",
      body: { eventType: "a.b", payload: {} },
    });
    expectProblem(res, 401);
    expect(await ingestCounts()).toEqual(before);
  });

  it("accepts the scheme in any case", async () => {
    const res = await call("GET", "/v1/apps", {
      token: null,
      headers: { authorization: `bearer ${ADMIN}` },
    });
    expect(res.status).toBe(200);
  });
});
