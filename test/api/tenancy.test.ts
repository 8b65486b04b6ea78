import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { hourOfMessage } from "../../src/archive/format";
import {
  deliveryRow,
  logEntries,
  receiver,
  runConsumer,
  seedDeliveries,
} from "../delivery/fixtures";
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
  /** The delivery of `messageId` to `endpointId`. */
  deliveryId: string;
  /** An endpoint that answered 410: its one delivery is dead (a real dead letter). */
  deadEndpointId: string;
  deadMessageId: string;
  deadDeliveryId: string;
  /** An hour of its archive (the hour of `messageId`). */
  archiveHour: string;
  /** The dead delivery's attempt. */
  attemptId: string;
  /** A bulk replay (of nothing: no letter matches its filter). */
  replayId: string;
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
  const deliveryId = msg.body.deliveries?.[0]?.id;
  if (msg.status !== 202 || !apiKeyId || !deliveryId) throw new Error("tenant setup failed");
  // A dead letter made the real way: one attempt, the receiver answers 410 Gone.
  const gone = await newEndpoint(appId, {
    url: `https://gone-${label}.example.com/hook`,
    eventTypes: ["never.sent"],
  });
  const [task] = await seedDeliveries(appId, [gone.id], { owner: label });
  if (!task) throw new Error("tenant setup failed");
  await runConsumer([task], { RETRY_SCHEDULE: "300" });
  if ((await deliveryRow(task.deliveryId))?.status !== "dead") throw new Error("no dead letter");
  const attempts = await call<Page<{ id: string }>>(
    "GET",
    `/v1/apps/${appId}/messages/${task.messageId}/attempts`,
  );
  const replay = await call<{ replayId: string }>("POST", `/v1/apps/${appId}/dead-letters/replay`, {
    body: { reason: "never_matches" },
  });
  const attemptId = attempts.body.data[0]?.id;
  if (!attemptId || replay.status !== 202) throw new Error("tenant setup failed");
  return {
    appId,
    key,
    endpointId: ep.id,
    profileId: profile.body.id,
    messageId: msg.body.id,
    eventType,
    apiKeyId,
    deliveryId,
    deadEndpointId: gone.id,
    deadMessageId: task.messageId,
    deadDeliveryId: task.deliveryId,
    archiveHour: hourOfMessage(msg.body.id),
    attemptId,
    replayId: replay.body.replayId,
  };
}

let a: Tenant;
let b: Tenant;

let bravoBefore: Awaited<ReturnType<typeof bravoState>>;

beforeAll(async () => {
  // Receivers: the "gone" endpoints answer 410, everything else 200.
  receiver((req) =>
    req.url.includes("://gone-")
      ? new Response("gone", { status: 410 })
      : new Response("ok", { status: 200 }),
  );
  a = await tenant("alpha");
  b = await tenant("bravo");
  bravoBefore = await bravoState();
});

/** What A's key could change in B behind the API's back: rows the API does not show. */
async function bravoState() {
  const one = (sql: string, ...args: unknown[]) =>
    env.DB.prepare(sql)
      .bind(...args)
      .all()
      .then((r) => r.results);
  return {
    secrets: await one(
      "SELECT id, secret_enc, expires_at FROM auth_profile_secrets WHERE profile_id = ? ORDER BY id",
      b.profileId,
    ),
    deadLetter: await one(
      "SELECT * FROM dead_letters WHERE message_id = ? AND endpoint_id = ?",
      b.deadMessageId,
      b.deadEndpointId,
    ),
    // Status and counters of B's dead delivery, from its message, log and open row.
    deadDelivery: await deliveryRow(b.deadDeliveryId),
    // Every logged attempt of that delivery (a replay or a recover would add some).
    attempts: await logEntries(b.deadDeliveryId),
    // Open rows of B's endpoints: a replay or a recover would revive one.
    open: await one(
      "SELECT endpoint_id, message_id, state, attempts, due_at FROM open_deliveries WHERE app_id = ? ORDER BY endpoint_id, message_id",
      b.appId,
    ),
    audit: await one("SELECT id FROM audit_log WHERE app_id = ? ORDER BY id", b.appId),
    keys: await one("SELECT id FROM api_keys WHERE app_id = ? ORDER BY id", b.appId),
    endpoints: await one(
      "SELECT id, url, disabled, auth_profile_id FROM endpoints WHERE app_id = ? ORDER BY id",
      b.appId,
    ),
    messages: await one("SELECT id FROM messages WHERE app_id = ? ORDER BY id", b.appId),
    eventTypes: await one("SELECT name FROM event_types WHERE app_id = ? ORDER BY name", b.appId),
    profiles: await one("SELECT id, name FROM auth_profiles WHERE app_id = ? ORDER BY id", b.appId),
  };
}

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
  ["GET app/api-keys", { method: "GET", path: (t) => `/v1/apps/${t.appId}/api-keys` }],
  [
    "DELETE api key",
    { method: "DELETE", path: (t) => `/v1/apps/${t.appId}/api-keys/${t.apiKeyId}` },
  ],
  [
    "GET message attempts",
    { method: "GET", path: (t) => `/v1/apps/${t.appId}/messages/${t.deadMessageId}/attempts` },
  ],
  [
    "GET endpoint attempts",
    { method: "GET", path: (t) => `/v1/apps/${t.appId}/endpoints/${t.deadEndpointId}/attempts` },
  ],
  [
    "GET endpoint health",
    { method: "GET", path: (t) => `/v1/apps/${t.appId}/endpoints/${t.endpointId}/health` },
  ],
  [
    "GET endpoint stats",
    { method: "GET", path: (t) => `/v1/apps/${t.appId}/endpoints/${t.endpointId}/stats` },
  ],
  ["GET app stats", { method: "GET", path: (t) => `/v1/apps/${t.appId}/stats` }],
  [
    "POST endpoint test event",
    {
      method: "POST",
      path: (t) => `/v1/apps/${t.appId}/endpoints/${t.endpointId}/test`,
      body: {},
    },
  ],
  [
    "POST endpoint transform preview",
    {
      method: "POST",
      path: (t) => `/v1/apps/${t.appId}/endpoints/${t.endpointId}/transform/preview`,
      body: { payload: {} },
    },
  ],
  [
    "POST portal session",
    { method: "POST", path: (t) => `/v1/apps/${t.appId}/portal-sessions`, body: {} },
  ],
  [
    "DELETE portal sessions",
    { method: "DELETE", path: (t) => `/v1/apps/${t.appId}/portal-sessions` },
  ],
  [
    "POST endpoint recover",
    {
      method: "POST",
      path: (t) => `/v1/apps/${t.appId}/endpoints/${t.deadEndpointId}/recover`,
      body: { since: "2000-01-01T00:00:00Z" },
    },
  ],
  [
    "POST endpoint filter test",
    {
      method: "POST",
      path: (t) => `/v1/apps/${t.appId}/endpoints/${t.endpointId}/filter/test`,
      body: { payload: {} },
    },
  ],
  ["GET app/dead-letters", { method: "GET", path: (t) => `/v1/apps/${t.appId}/dead-letters` }],
  [
    "GET dead-letter count",
    { method: "GET", path: (t) => `/v1/apps/${t.appId}/dead-letters/count` },
  ],
  [
    "GET replay progress",
    { method: "GET", path: (t) => `/v1/apps/${t.appId}/dead-letters/replays/${t.replayId}` },
  ],
  [
    "GET attempt request",
    {
      method: "GET",
      path: (t) =>
        `/v1/apps/${t.appId}/messages/${t.deadMessageId}/attempts/${t.attemptId}/request`,
    },
  ],
  [
    "POST bulk replay",
    { method: "POST", path: (t) => `/v1/apps/${t.appId}/dead-letters/replay`, body: {} },
  ],
  [
    "POST replay one dead letter",
    {
      method: "POST",
      path: (t) => `/v1/apps/${t.appId}/dead-letters/${t.deadDeliveryId}/replay`,
    },
  ],
  ["GET app/move", { method: "GET", path: (t) => `/v1/apps/${t.appId}/move` }],
  [
    "POST app/move",
    { method: "POST", path: (t) => `/v1/apps/${t.appId}/move`, body: { shard: 0 } },
  ],
  ["GET app/archive", { method: "GET", path: (t) => `/v1/apps/${t.appId}/archive` }],
  [
    "GET archived hour",
    { method: "GET", path: (t) => `/v1/apps/${t.appId}/archive/${t.archiveHour}` },
  ],
  ["GET app/audit", { method: "GET", path: (t) => `/v1/apps/${t.appId}/audit` }],
  [
    "GET app/operator-events",
    { method: "GET", path: (t) => `/v1/apps/${t.appId}/operator-events` },
  ],
];

/** The matrix's routes with OpenAPI placeholders instead of ids, e.g. `GET /v1/apps/{appId}`. */
const PLACEHOLDERS: Tenant = {
  appId: "{appId}",
  key: "",
  endpointId: "{endpointId}",
  profileId: "{profileId}",
  messageId: "{messageId}",
  eventType: "{name}",
  apiKeyId: "{keyId}",
  deliveryId: "{deliveryId}",
  deadEndpointId: "{endpointId}",
  deadMessageId: "{messageId}",
  deadDeliveryId: "{deliveryId}",
  archiveHour: "{hour}",
  attemptId: "{attemptId}",
  replayId: "{replayId}",
};

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
  // Nothing replayed, recovered, rotated, revealed, audited or deleted in B.
  expect(await bravoState()).toEqual(bravoBefore);
}

describe("app A's key on app B", () => {
  it("reaches for B's real resources: B's own key finds each of them", async () => {
    const get = <T>(path: string) =>
      call<T>("GET", `/v1/apps/${b.appId}/${path}`, { token: b.key });
    const attempts = await get<Page<{ deliveryId: string }>>(
      `messages/${b.deadMessageId}/attempts`,
    );
    expect(attempts.body.data.map((x) => x.deliveryId)).toEqual([b.deadDeliveryId]);
    const byEndpoint = await get<Page<{ deliveryId: string }>>(
      `endpoints/${b.deadEndpointId}/attempts`,
    );
    expect(byEndpoint.body.data.map((x) => x.deliveryId)).toEqual([b.deadDeliveryId]);
    const dead = await get<Page<{ deliveryId: string; reason: string }>>("dead-letters");
    expect(dead.body.data.map((x) => x.deliveryId)).toEqual([b.deadDeliveryId]);
    const msg = await get<MessageBody>(`messages/${b.messageId}`);
    expect(msg.body.deliveries.map((d) => d.id)).toEqual([b.deliveryId]);
    expect(bravoBefore.deadLetter).toHaveLength(1);
    expect(bravoBefore.deadDelivery).toMatchObject({ status: "dead", total_attempts: 1 });
    expect(bravoBefore.attempts).toHaveLength(1);
  });

  it.each(appRoutes)("%s answers 404", async (_name, route) => {
    const before = await ingestCounts();
    const res = await call(route.method, route.path(b), { token: a.key, body: route.body });
    expectProblem(res, 404);
    expect(await ingestCounts()).toEqual(before);
    await expectBravoIntact();
  });

  it("covers every app-scoped route of the OpenAPI contract", async () => {
    const doc = await call<{ paths: Record<string, Record<string, unknown>> }>(
      "GET",
      "/openapi.json",
    );
    const contract = Object.entries(doc.body.paths)
      .filter(([path]) => path.startsWith("/v1/apps/{appId}"))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const matrix = appRoutes.map(([, r]) => `${r.method} ${r.path(PLACEHOLDERS)}`);
    expect(new Set(matrix).size).toBe(matrix.length);
    expect([...matrix].sort()).toEqual([...contract].sort());
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
    ["message's attempts", (t: Tenant) => `messages/${t.deadMessageId}/attempts`],
    ["endpoint's attempts", (t: Tenant) => `endpoints/${t.deadEndpointId}/attempts`],
    ["endpoint's health", (t: Tenant) => `endpoints/${t.endpointId}/health`],
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
    ["POST", (t: Tenant) => `dead-letters/${t.deadDeliveryId}/replay`, undefined],
    ["POST", (t: Tenant) => `dead-letters/${t.deliveryId}/replay`, undefined],
    [
      "POST",
      (t: Tenant) => `endpoints/${t.deadEndpointId}/recover`,
      { since: "2000-01-01T00:00:00Z" },
    ],
  ] as const)("%s of B's %s answers 404 and changes nothing", async (method, tail, body) => {
    const res = await call(method, `/v1/apps/${a.appId}/${tail(b)}`, { token: a.key, body });
    expectProblem(res, 404);
    await expectBravoIntact();
  });

  it("filters by B's endpoint find nothing, exactly as an unknown endpoint id", async () => {
    const unknown = "ep_00000000000000000000000000";
    for (const endpointId of [b.deadEndpointId, unknown]) {
      const list = await call<Page<{ deliveryId: string }>>(
        "GET",
        `/v1/apps/${a.appId}/dead-letters?endpointId=${endpointId}`,
        { token: a.key },
      );
      expect(list.status).toBe(200);
      expect(list.body).toEqual({ data: [], nextCursor: null });
      const bulk = await call("POST", `/v1/apps/${a.appId}/dead-letters/replay`, {
        token: a.key,
        body: { endpointId },
      });
      expect(bulk.status).toBe(202);
      expect(bulk.body).toEqual({ restarted: 0, more: false, replayId: expect.any(String) });
    }
    // A's own unfiltered bulk replay restarts A's dead letter only.
    const mine = await call("POST", `/v1/apps/${a.appId}/dead-letters/replay`, {
      token: a.key,
      body: {},
    });
    expect(mine.body).toEqual({ restarted: 1, more: false, replayId: expect.any(String) });
    await expectBravoIntact();
  });

  it("A's audit log and dead letters show nothing of B", async () => {
    const audit = await call<Page<{ actor: string; resourceId?: string }>>(
      "GET",
      `/v1/apps/${a.appId}/audit`,
      { token: a.key },
    );
    expect(audit.status).toBe(200);
    const bravoIds = [b.appId, b.endpointId, b.profileId, b.deadEndpointId, b.apiKeyId];
    for (const entry of audit.body.data) {
      expect(bravoIds).not.toContain(entry.resourceId);
      expect(entry.actor).not.toBe(b.apiKeyId);
    }
    const dead = await call<Page<{ deliveryId: string }>>(
      "GET",
      `/v1/apps/${a.appId}/dead-letters`,
      { token: a.key },
    );
    expect(dead.body.data.map((d) => d.deliveryId)).not.toContain(b.deadDeliveryId);
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
