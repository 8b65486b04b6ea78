import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sweep } from "../../src/sweeper/sweep";
import { receiver, runConsumer } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";
import {
  allPages,
  countFor,
  type EndpointBody,
  expectProblem,
  type MessageBody,
  type Page,
  type ProfileBody,
  spyOnDeliveries,
} from "./support";

const base = (appId: string) => `/v1/apps/${appId}/endpoints`;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("POST /v1/apps/{appId}/endpoints", () => {
  it("creates an endpoint with its own hmac profile and returns that secret once", async () => {
    const { appId, key } = await newApp();
    const res = await call<EndpointBody>("POST", base(appId), {
      token: key,
      body: {
        url: "https://hooks.example.com/in",
        description: "billing",
        eventTypes: ["invoice.paid", "customer.*"],
        headers: { "x-tenant": "acme" },
        rateLimit: 20,
        maxConcurrency: 4,
        successRule: "200",
        ordering: "fifo",
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^ep_[0-9A-Z]{26}$/),
      url: "https://hooks.example.com/in",
      description: "billing",
      eventTypes: ["invoice.paid", "customer.*"],
      authProfileId: expect.stringMatching(/^ap_/),
      headers: { "x-tenant": "acme" },
      rateLimit: 20,
      maxConcurrency: 4,
      successRule: "200",
      ordering: "fifo",
      format: "standard-webhooks",
      disabled: false,
      secret: expect.stringMatching(/^whsec_/),
      createdAt: expect.any(String),
    });
    const revealed = await call<ProfileBody>(
      "POST",
      `/v1/apps/${appId}/auth-profiles/${res.body.authProfileId}/reveal`,
      { token: key },
    );
    expect(revealed.body).toMatchObject({ type: "hmac-sha256", secret: res.body.secret });
  });

  it("applies the defaults: all event types, 2xx success, no ordering, enabled", async () => {
    const { appId } = await newApp();
    const res = await call<EndpointBody>("POST", base(appId), {
      body: { url: "https://hooks.example.com/in" },
    });
    expect(res.body).toMatchObject({
      eventTypes: [],
      successRule: "2xx",
      ordering: "none",
      disabled: false,
    });
  });

  it("uses a shared profile when given one, and returns no secret", async () => {
    const { appId } = await newApp();
    const profile = await call<ProfileBody>("POST", `/v1/apps/${appId}/auth-profiles`, {
      body: {},
    });
    const res = await call<EndpointBody>("POST", base(appId), {
      body: { url: "https://hooks.example.com/in", authProfileId: profile.body.id },
    });
    expect(res.status).toBe(201);
    expect(res.body.authProfileId).toBe(profile.body.id);
    expect(res.body).not.toHaveProperty("secret");
    expect(await countFor("auth_profiles", appId)).toBe(1);
  });

  it("accepts a bearer profile with no Authorization header of its own", async () => {
    const { appId } = await newApp();
    const profile = await call<ProfileBody>("POST", `/v1/apps/${appId}/auth-profiles`, {
      body: { type: "bearer" },
    });
    const res = await call<EndpointBody>("POST", base(appId), {
      body: { url: "https://hooks.example.com/in", authProfileId: profile.body.id },
    });
    expect(res.status).toBe(201);
  });

  it.each([
    { why: "a missing url", body: { url: undefined }, field: "url" },
    { why: "a non-http scheme", body: { url: "ftp://files.example.com/x" }, field: "url" },
    {
      why: "credentials in the url",
      body: { url: "https://u:p@hooks.example.com/" },
      field: "url",
    },
    { why: "a private address", body: { url: "https://10.0.0.1/hook" }, field: "url" },
    { why: "a link-local address", body: { url: "https://169.254.169.254/" }, field: "url" },
    { why: "a *.internal host", body: { url: "https://db.internal/" }, field: "url" },
    { why: "a filter with a space", body: { eventTypes: ["invoice paid"] }, field: "eventTypes.0" },
    { why: "a filter with a slash", body: { eventTypes: ["invoice/paid"] }, field: "eventTypes.0" },
    { why: "a wildcard in the middle", body: { eventTypes: ["a.*.b"] }, field: "eventTypes.0" },
    {
      why: "an unknown profile",
      body: { authProfileId: "ap_00000000000000000000000000" },
      field: "authProfileId",
    },
    { why: "a rate limit of 0", body: { rateLimit: 0 }, field: "rateLimit" },
    { why: "a max concurrency of 0", body: { maxConcurrency: 0 }, field: "maxConcurrency" },
    { why: "an unknown success rule", body: { successRule: "3xx" }, field: "successRule" },
    { why: "an unknown field", body: { secret: "whsec_x" }, field: "json" },
  ])("refuses $why with 422 naming the field, and writes nothing", async ({ body, field }) => {
    const { appId } = await newApp();
    const res = await call("POST", base(appId), {
      body: { url: "https://hooks.example.com/in", ...body },
    });
    expectProblem(res, 422, field);
    expect(await countFor("endpoints", appId)).toBe(0);
    expect(await countFor("auth_profiles", appId)).toBe(0);
  });
});

describe("GET /v1/apps/{appId}/endpoints", () => {
  it("gets an endpoint without its secret", async () => {
    const { appId, key } = await newApp();
    const ep = await newEndpoint(appId, { eventTypes: ["a.b"] });
    const res = await call<EndpointBody>("GET", `${base(appId)}/${ep.id}`, { token: key });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ep.id, eventTypes: ["a.b"] });
    expect(res.body).not.toHaveProperty("secret");
    expect(JSON.stringify(res.body)).not.toContain(ep.secret);
  });

  it("answers 404 for an endpoint that does not exist", async () => {
    const { appId, key } = await newApp();
    const res = await call("GET", `${base(appId)}/ep_00000000000000000000000000`, { token: key });
    expectProblem(res, 404);
  });

  it("answers 400 for an endpoint id with characters no id has", async () => {
    const { appId, key } = await newApp();
    const res = await call("GET", `${base(appId)}/ep_bad%21id`, { token: key });
    expectProblem(res, 400, "endpointId");
  });

  it("pages through endpoints, each seen once, never showing a secret", async () => {
    const { appId, key } = await newApp();
    const made: { id: string; secret: string }[] = [];
    for (let i = 0; i < 5; i++) made.push(await newEndpoint(appId));
    const { items, pages } = await allPages<EndpointBody>(
      (q) => call<Page<EndpointBody>>("GET", `${base(appId)}${q}`, { token: key }),
      2,
    );
    expect(items.map((e) => e.id)).toEqual(made.map((e) => e.id).reverse());
    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(pages.at(-1)?.nextCursor).toBeNull();
    const text = JSON.stringify(pages);
    for (const { secret } of made) expect(text).not.toContain(secret);
    expect(text).not.toContain("whsec_");
  });

  it("answers 400 for a garbage cursor", async () => {
    const { appId, key } = await newApp();
    const res = await call("GET", `${base(appId)}?cursor=%FF%FE`, { token: key });
    expectProblem(res, 400, "cursor");
  });
});

describe("PATCH /v1/apps/{appId}/endpoints/{endpointId}", () => {
  it("updates fields it is given and keeps the others", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, {
      description: "old",
      eventTypes: ["a.b"],
      rateLimit: 5,
      headers: { "x-a": "1" },
    });
    const res = await call<EndpointBody>("PATCH", `${base(appId)}/${ep.id}`, {
      body: { url: "https://new.example.com/hook", eventTypes: ["c.*"], description: null },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: ep.id,
      url: "https://new.example.com/hook",
      eventTypes: ["c.*"],
      rateLimit: 5,
      headers: { "x-a": "1" },
      authProfileId: ep.authProfileId,
    });
    expect(res.body).not.toHaveProperty("description");
    const got = await call<EndpointBody>("GET", `${base(appId)}/${ep.id}`);
    expect(got.body).toEqual(res.body);
  });

  it("clears the rate limit and headers with null", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { rateLimit: 5, headers: { "x-a": "1" } });
    const res = await call<EndpointBody>("PATCH", `${base(appId)}/${ep.id}`, {
      body: { rateLimit: null, headers: null },
    });
    expect(res.body).not.toHaveProperty("rateLimit");
    expect(res.body).not.toHaveProperty("headers");
  });

  it("disables with a reason, and re-enables", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const off = await call<EndpointBody>("PATCH", `${base(appId)}/${ep.id}`, {
      body: { disabled: true },
    });
    expect(off.body.disabled).toBe(true);
    expect(off.body.disabledReason).toEqual(expect.any(String));
    const on = await call<EndpointBody>("PATCH", `${base(appId)}/${ep.id}`, {
      body: { disabled: false },
    });
    expect(on.body.disabled).toBe(false);
    expect(on.body).not.toHaveProperty("disabledReason");
  });

  it("moves an endpoint to a shared profile", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const profile = await call<ProfileBody>("POST", `/v1/apps/${appId}/auth-profiles`, {
      body: { type: "ed25519" },
    });
    const res = await call<EndpointBody>("PATCH", `${base(appId)}/${ep.id}`, {
      body: { authProfileId: profile.body.id },
    });
    expect(res.status).toBe(200);
    expect(res.body.authProfileId).toBe(profile.body.id);
  });

  it.each([
    { why: "a private target", body: { url: "https://192.168.1.1/" }, field: "url" },
    {
      why: "an unknown profile",
      body: { authProfileId: "ap_00000000000000000000000000" },
      field: "authProfileId",
    },
    { why: "a bad filter", body: { eventTypes: [""] }, field: "eventTypes.0" },
    { why: "an id change", body: { id: "ep_00000000000000000000000000" }, field: "json" },
  ])("refuses $why with 422 and leaves the endpoint as it was", async ({ body, field }) => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const before = await call<EndpointBody>("GET", `${base(appId)}/${ep.id}`);
    expectProblem(await call("PATCH", `${base(appId)}/${ep.id}`, { body }), 422, field);
    const after = await call<EndpointBody>("GET", `${base(appId)}/${ep.id}`);
    expect(after.body).toEqual(before.body);
  });

  it("answers 404 for an endpoint that does not exist", async () => {
    const { appId } = await newApp();
    const res = await call("PATCH", `${base(appId)}/ep_00000000000000000000000000`, {
      body: { disabled: true },
    });
    expectProblem(res, 404);
  });
});

/**
 * Headers the guard refuses (src/security/header-guard.ts), each proven through the API: the
 * answer names exactly the offending field and nothing is written.
 */
const FORBIDDEN_HEADERS: {
  why: string;
  headers: Record<string, string>;
  field: string;
  bearer?: boolean;
}[] = [
  { why: "host", headers: { host: "evil.example.com" }, field: "headers.host" },
  { why: "content-length", headers: { "content-length": "1" }, field: "headers.content-length" },
  {
    why: "transfer-encoding",
    headers: { "transfer-encoding": "chunked" },
    field: "headers.transfer-encoding",
  },
  { why: "connection", headers: { connection: "close" }, field: "headers.connection" },
  { why: "webhook-id", headers: { "webhook-id": "msg_forged" }, field: "headers.webhook-id" },
  {
    why: "webhook-signature",
    headers: { "webhook-signature": "v1,Zm9yZ2Vk" },
    field: "headers.webhook-signature",
  },
  {
    why: "a name that is not an HTTP token",
    headers: { "bad header": "x" },
    field: "headers.bad header",
  },
  {
    why: "a value with a newline",
    headers: { "x-note": "a\r\nx-injected: 1" },
    field: "headers.x-note",
  },
  { why: "a value over 4 KiB", headers: { "x-big": "a".repeat(4097) }, field: "headers.x-big" },
  {
    why: "more than 20 headers",
    headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`x-h${i}`, "v"])),
    field: "headers",
  },
  {
    why: "authorization on a bearer-profile endpoint",
    headers: { authorization: "Bearer other" },
    field: "headers.authorization",
    bearer: true,
  },
];

/** A bearer profile's id when the case needs one, else undefined (the endpoint gets its own). */
async function profileFor(appId: string, bearer: boolean | undefined): Promise<string | undefined> {
  if (!bearer) return undefined;
  const profile = await call<ProfileBody>("POST", `/v1/apps/${appId}/auth-profiles`, {
    body: { type: "bearer" },
  });
  expect(profile.status).toBe(201);
  return profile.body.id;
}

/** The endpoint's headers column as stored in D1. */
async function storedHeaders(endpointId: string): Promise<string | null | undefined> {
  const row = await env.DB.prepare("SELECT headers FROM endpoints WHERE id = ?")
    .bind(endpointId)
    .first<{ headers: string | null }>();
  return row?.headers;
}

describe("forbidden endpoint headers", () => {
  it("accepts a fully legal set: exactly 20 headers, a 4 KiB value, authorization on hmac", async () => {
    // The boundary each refusal below crosses, so the table cannot pass by refusing everything.
    const { appId } = await newApp();
    const headers: Record<string, string> = {
      authorization: "Bearer x",
      "x-big": "a".repeat(4096),
    };
    for (let i = 0; i < 18; i++) headers[`x-h${i}`] = "v";
    expect(Object.keys(headers)).toHaveLength(20);
    const res = await call<EndpointBody>("POST", base(appId), {
      body: { url: "https://hooks.example.com/in", headers },
    });
    expect(res.status).toBe(201);
    expect(res.body.headers).toEqual(headers);
  });

  it.each(FORBIDDEN_HEADERS)(
    "POST refuses $why with 422 naming exactly $field, and writes no endpoint",
    async ({ headers, field, bearer }) => {
      const { appId } = await newApp();
      const authProfileId = await profileFor(appId, bearer);
      const endpointsBefore = await countFor("endpoints", appId);
      const profilesBefore = await countFor("auth_profiles", appId);
      const res = await call("POST", base(appId), {
        body: { url: "https://hooks.example.com/in", authProfileId, headers },
      });
      const problem = expectProblem(res, 422, field);
      expect(problem.errors?.map((e) => e.field)).toEqual([field]);
      expect(await countFor("endpoints", appId)).toBe(endpointsBefore);
      expect(await countFor("auth_profiles", appId)).toBe(profilesBefore);
    },
  );

  it.each(FORBIDDEN_HEADERS)(
    "PATCH refuses $why with 422 naming exactly $field, and keeps the stored headers",
    async ({ headers, field, bearer }) => {
      const { appId } = await newApp();
      const authProfileId = await profileFor(appId, bearer);
      const ep = await newEndpoint(appId, { authProfileId, headers: { "x-a": "1" } });
      const before = await call<EndpointBody>("GET", `${base(appId)}/${ep.id}`);
      const res = await call("PATCH", `${base(appId)}/${ep.id}`, { body: { headers } });
      const problem = expectProblem(res, 422, field);
      expect(problem.errors?.map((e) => e.field)).toEqual([field]);
      expect(await storedHeaders(ep.id)).toBe(JSON.stringify({ "x-a": "1" }));
      const after = await call<EndpointBody>("GET", `${base(appId)}/${ep.id}`);
      expect(after.body).toEqual(before.body);
    },
  );

  it("PATCH refuses moving an endpoint with an Authorization header to a bearer profile", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { headers: { authorization: "Bearer mine" } });
    const bearer = await profileFor(appId, true);
    const res = await call("PATCH", `${base(appId)}/${ep.id}`, {
      body: { authProfileId: bearer },
    });
    expect(expectProblem(res, 422).errors?.map((e) => e.field)).toEqual(["headers.authorization"]);
    const after = await call<EndpointBody>("GET", `${base(appId)}/${ep.id}`);
    expect(after.body.authProfileId).toBe(ep.authProfileId);
    expect(await storedHeaders(ep.id)).toBe(JSON.stringify({ authorization: "Bearer mine" }));
  });
});

describe("DELETE /v1/apps/{appId}/endpoints/{endpointId}", () => {
  it("deletes the endpoint and its private profile", async () => {
    const { appId, key } = await newApp();
    const ep = await newEndpoint(appId);
    const res = await call("DELETE", `${base(appId)}/${ep.id}`, { token: key });
    expect(res.status).toBe(204);
    expectProblem(await call("GET", `${base(appId)}/${ep.id}`, { token: key }), 404);
    expectProblem(
      await call("GET", `/v1/apps/${appId}/auth-profiles/${ep.authProfileId}`, { token: key }),
      404,
    );
    expectProblem(await call("DELETE", `${base(appId)}/${ep.id}`, { token: key }), 404);
  });

  it("keeps a shared profile, which can then be deleted", async () => {
    const { appId } = await newApp();
    const profile = await call<ProfileBody>("POST", `/v1/apps/${appId}/auth-profiles`, {
      body: {},
    });
    const ep = await newEndpoint(appId, { authProfileId: profile.body.id });
    expect((await call("DELETE", `${base(appId)}/${ep.id}`)).status).toBe(204);
    const path = `/v1/apps/${appId}/auth-profiles/${profile.body.id}`;
    expect((await call("GET", path)).status).toBe(200);
    expect((await call("DELETE", path)).status).toBe(204);
  });

  it("cancels the endpoint's pending deliveries and leaves other endpoints' alone", async () => {
    // Keep the tasks off the queue so no consumer can move the deliveries on before we look.
    const { sent } = spyOnDeliveries({ stub: true });
    const { appId, key } = await newApp();
    const doomed = await newEndpoint(appId, { url: "https://doomed.example.com/hook" });
    const doomedFifo = await newEndpoint(appId, {
      url: "https://doomed-fifo.example.com/hook",
      ordering: "fifo",
    });
    const kept = await newEndpoint(appId, { url: "https://kept.example.com/hook" });
    const msg = await call<MessageBody>("POST", `/v1/apps/${appId}/messages`, {
      token: key,
      body: { eventType: "invoice.paid", payload: { n: 1 } },
    });
    expect(msg.status).toBe(202);
    const openRows = async (endpointId: string) =>
      (
        await env.DB.prepare("SELECT COUNT(*) AS n FROM open_deliveries WHERE endpoint_id = ?")
          .bind(endpointId)
          .first<{ n: number }>()
      )?.n;
    expect(await openRows(doomedFifo.id)).toBe(1);

    for (const ep of [doomed, doomedFifo]) {
      expect((await call("DELETE", `${base(appId)}/${ep.id}`, { token: key })).status).toBe(204);
    }
    const statuses = async () => {
      const got = await call<MessageBody>("GET", `/v1/apps/${appId}/messages/${msg.body.id}`, {
        token: key,
      });
      return Object.fromEntries(got.body.deliveries.map((d) => [d.endpointId, d.status]));
    };
    expect(await statuses()).toEqual({
      [doomed.id]: "cancelled",
      [doomedFifo.id]: "cancelled",
      [kept.id]: "pending",
    });
    // Its open rows read as cancelled at once and go in the background.
    expect(await openRows(doomedFifo.id)).toBe(1);
    await sweep(env);
    expect(await openRows(doomedFifo.id)).toBe(0);

    // The tasks ingest sent still arrive: only the kept endpoint is called.
    const seen = receiver(() => new Response("ok"));
    await runConsumer(sent());
    expect(seen.map((r) => r.url)).toEqual(["https://kept.example.com/hook"]);
    expect(await statuses()).toEqual({
      [doomed.id]: "cancelled",
      [doomedFifo.id]: "cancelled",
      [kept.id]: "succeeded",
    });
  });
});
