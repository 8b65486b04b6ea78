import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { insertEndpoint } from "../../src/db/endpoints";
import worker from "../../src/index";
import { newId } from "../../src/lib/ids";
import { expectProblem, type Problem } from "../api/support";
import {
  attemptRows,
  deadLetterOf,
  deliveryRow,
  receiver,
  runConsumer,
  seedDeliveries,
} from "../delivery/fixtures";
import { ADMIN, type ApiResult, call, newApp } from "../helpers";

/**
 * Issue 5, "Must show": every URL spelling refused in both the create (and update) path and
 * the send path, with controls accepted. Production is ALLOW_INSECURE_TARGETS=false; the test
 * config sets "true" (local development), so production is an env override here.
 */

const PROD = { ALLOW_INSECURE_TARGETS: "false" } as const;
const DEV = { ALLOW_INSECURE_TARGETS: "true" } as const;

/** [host as typed, allowed by the local-development loopback exemption] */
const SPELLINGS: [string, boolean][] = [
  ["127.1", true],
  ["2130706433", true],
  ["0x7f000001", true],
  ["0177.0.0.1", true],
  ["0", false],
  ["[::1]", true],
  ["[::]", false],
  ["[::ffff:127.0.0.1]", false],
  ["[fe80::1]", false],
  ["[fc00::1]", false],
  ["[fd00::1]", false],
  ["[64:ff9b::7f00:1]", false],
  ["[2002:7f00:1::]", false],
  ["[2001:db8::1]", false],
  ["[2001:0:4136:e378::1]", false],
  ["localhost", true],
  ["a.localhost", false],
  ["x.local", false],
  ["y.internal", false],
  ["z.home.arpa", false],
];
const urlOf = (host: string) => `https://${host}/hook`;

const PUBLIC_NAME = "https://example.com/hook";
const PUBLIC_IPV6 = "https://[2606:4700:4700::1111]/hook";
const PUBLIC_IPV4 = "https://93.184.215.14/hook";

/** The Worker's fetch handler with settings overridden, as a client would call it. */
async function api(
  vars: Record<string, string>,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResult<unknown>> {
  const req = new Request(`https://hooklane.test${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const res = await worker.fetch(req, { ...env, ...vars } as Env, createExecutionContext());
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

let appId: string;
let profileId: string;
/** An endpoint the API accepted, for the update path. */
let publicEndpointId: string;

beforeAll(async () => {
  ({ appId } = await newApp("guard"));
  const profile = await call<{ id: string }>("POST", `/v1/apps/${appId}/auth-profiles`, {
    body: { type: "hmac-sha256" },
  });
  profileId = profile.body.id;
  const ep = await api(PROD, "POST", `/v1/apps/${appId}/endpoints`, {
    url: PUBLIC_NAME,
    authProfileId: profileId,
  });
  expect(ep.status).toBe(201);
  publicEndpointId = (ep.body as { id: string }).id;
});

/** An endpoint row written straight to D1 (the API would refuse it), and one delivery to it. */
async function deliveryTo(url: string) {
  const now = Date.now();
  const id = newId("ep", now);
  await insertEndpoint(env.DB, {
    id,
    app_id: appId,
    url,
    description: null,
    event_types: "[]",
    auth_profile_id: profileId,
    headers: null,
    rate_limit: null,
    max_concurrency: null,
    success_rule: "2xx",
    ordering: "none",
    format: "standard-webhooks",
    filter: null,
    disabled: 0,
    disabled_reason: null,
    disabled_at: null,
    created_at: now,
    updated_at: now,
  }).run();
  const [task] = await seedDeliveries(appId, [id]);
  if (!task) throw new Error("no delivery seeded");
  return task;
}

async function expectRefusedOnSend(url: string, vars: Record<string, string>): Promise<void> {
  const seen = receiver(() => new Response("ok"));
  const task = await deliveryTo(url);
  const result = await runConsumer([task], vars);
  expect(seen.map((s) => s.url)).toEqual([]);
  expect(result.explicitAcks).toEqual(["q0"]);
  const row = await deliveryRow(task.deliveryId);
  expect(row?.status).toBe("dead");
  expect(row?.last_error).toMatch(/^target_refused: /);
  expect(row?.attempts).toBe(0);
  expect(await attemptRows(task.deliveryId)).toEqual([]);
  expect(row?.state).toBeNull();
  const dead = await deadLetterOf(task.deliveryId);
  expect(dead).toMatchObject({ reason: expect.stringMatching(/^target_refused: /), attempts: 0 });
}

async function expectSent(url: string, vars: Record<string, string>): Promise<void> {
  const seen = receiver(() => new Response("ok"));
  const task = await deliveryTo(url);
  await runConsumer([task], vars);
  expect(seen.map((s) => s.url)).toEqual([url]);
  expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "succeeded", attempts: 1 });
}

describe("production (ALLOW_INSECURE_TARGETS=false)", () => {
  describe.each(SPELLINGS.map(([host]) => host))("%s", (host) => {
    it("endpoint create is refused with 422 naming `url`", async () => {
      const res = await api(PROD, "POST", `/v1/apps/${appId}/endpoints`, {
        url: urlOf(host),
        authProfileId: profileId,
      });
      const problem = expectProblem(res, 422, "url");
      expect(problem.errors?.find((e) => e.field === "url")?.detail).toMatch(/target/i);
    });

    it("endpoint update is refused with 422 naming `url`", async () => {
      const res = await api(PROD, "PATCH", `/v1/apps/${appId}/endpoints/${publicEndpointId}`, {
        url: urlOf(host),
      });
      expectProblem(res, 422, "url");
      const after = await api(PROD, "GET", `/v1/apps/${appId}/endpoints/${publicEndpointId}`);
      expect((after.body as { url: string }).url).toBe(PUBLIC_NAME);
    });

    it("a delivery to it is never sent and ends dead with target_refused", async () => {
      await expectRefusedOnSend(urlOf(host), PROD);
    });
  });

  it("control: a public hostname is accepted and sent to", async () => {
    const res = await api(PROD, "POST", `/v1/apps/${appId}/endpoints`, {
      url: PUBLIC_NAME,
      authProfileId: profileId,
    });
    expect(res.status).toBe(201);
    await expectSent(PUBLIC_NAME, PROD);
  });

  it("IP literals, even public ones, are refused in production (Workers cannot fetch them)", async () => {
    for (const url of [PUBLIC_IPV6, PUBLIC_IPV4]) {
      const res = await api(PROD, "POST", `/v1/apps/${appId}/endpoints`, {
        url,
        authProfileId: profileId,
      });
      const problem = expectProblem(res, 422, "url") as Problem;
      expect(problem.errors?.[0]?.detail).toMatch(/IP address/);
      await expectRefusedOnSend(url, PROD);
    }
  });

  it("http is refused in production", async () => {
    const res = await api(PROD, "POST", `/v1/apps/${appId}/endpoints`, {
      url: "http://example.com/hook",
      authProfileId: profileId,
    });
    expectProblem(res, 422, "url");
    await expectRefusedOnSend("http://example.com/hook", PROD);
  });
});

describe("local development (ALLOW_INSECURE_TARGETS=true): loopback only", () => {
  it.each(SPELLINGS.filter(([, loopback]) => !loopback).map(([host]) => host))(
    "%s is still refused on create and on send",
    async (host) => {
      const res = await api(DEV, "POST", `/v1/apps/${appId}/endpoints`, {
        url: urlOf(host),
        authProfileId: profileId,
      });
      expectProblem(res, 422, "url");
      await expectRefusedOnSend(urlOf(host), DEV);
    },
  );

  it.each(SPELLINGS.filter(([, loopback]) => loopback).map(([host]) => host))(
    "%s (loopback) is allowed by the explicit local setting",
    async (host) => {
      const res = await api(DEV, "POST", `/v1/apps/${appId}/endpoints`, {
        url: urlOf(host),
        authProfileId: profileId,
      });
      expect(res.status).toBe(201);
      const seen = receiver(() => new Response("ok"));
      const task = await deliveryTo(urlOf(host));
      await runConsumer([task], DEV);
      expect(seen).toHaveLength(1);
    },
  );

  it.each([PUBLIC_IPV6, PUBLIC_IPV4, PUBLIC_NAME])(
    "control: %s is accepted and sent to",
    async (url) => {
      const res = await api(DEV, "POST", `/v1/apps/${appId}/endpoints`, {
        url,
        authProfileId: profileId,
      });
      expect(res.status).toBe(201);
      await expectSent(url, DEV);
    },
  );
});
