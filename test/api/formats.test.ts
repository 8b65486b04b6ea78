import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { copyChunk, type MoveCursor } from "../../src/db/move";
import { call, newApp, newEndpoint } from "../helpers";
import { type AppBody, countFor, type EndpointBody, expectProblem } from "./support";

type WithFormat = EndpointBody & { format: string };
type WithSource = AppBody & { ceSource?: string };

const endpoints = (appId: string) => `/v1/apps/${appId}/endpoints`;

describe("endpoint format", () => {
  it("defaults to standard-webhooks and is shown on create, get and list", async () => {
    const { appId } = await newApp();
    const made = await call<WithFormat>("POST", endpoints(appId), {
      body: { url: "https://hooks.example.com/in" },
    });
    expect(made.status).toBe(201);
    expect(made.body.format).toBe("standard-webhooks");
    const got = await call<WithFormat>("GET", `${endpoints(appId)}/${made.body.id}`);
    expect(got.body.format).toBe("standard-webhooks");
  });

  it("is set on create and changed by PATCH, other fields left as they were", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { format: "cloudevents", rateLimit: 7 });
    const got = await call<WithFormat>("GET", `${endpoints(appId)}/${ep.id}`);
    expect(got.body).toMatchObject({ format: "cloudevents", rateLimit: 7 });
    const patched = await call<WithFormat>("PATCH", `${endpoints(appId)}/${ep.id}`, {
      body: { format: "cloudevents-binary" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ format: "cloudevents-binary", rateLimit: 7 });
    const list = await call<{ data: WithFormat[] }>("GET", endpoints(appId));
    expect(list.body.data.map((e) => e.format)).toEqual(["cloudevents-binary"]);
  });

  it.each([
    { why: "an unknown format", format: "cloudevents-batch" },
    { why: "a null format", format: null },
    { why: "a format in the wrong case", format: "CloudEvents" },
  ])("refuses $why with 422 naming format, and writes nothing", async ({ format }) => {
    const { appId } = await newApp();
    const res = await call("POST", endpoints(appId), {
      body: { url: "https://hooks.example.com/in", format },
    });
    expectProblem(res, 422, "format");
    expect(await countFor("endpoints", appId)).toBe(0);
    const ep = await newEndpoint(appId, { format: "cloudevents" });
    expectProblem(
      await call("PATCH", `${endpoints(appId)}/${ep.id}`, { body: { format } }),
      422,
      "format",
    );
    const got = await call<WithFormat>("GET", `${endpoints(appId)}/${ep.id}`);
    expect(got.body.format).toBe("cloudevents");
  });
});

describe("app ceSource", () => {
  it("is unset by default, set on create, changed and cleared by PATCH", async () => {
    const { appId } = await newApp();
    const plain = await call<WithSource>("GET", `/v1/apps/${appId}`);
    expect(plain.body.ceSource).toBeUndefined();
    const made = await call<WithSource>("POST", "/v1/apps", {
      body: { name: "ce", ceSource: "https://example.com/billing" },
    });
    expect(made.status).toBe(201);
    expect(made.body.ceSource).toBe("https://example.com/billing");
    const path = `/v1/apps/${made.body.id}`;
    const changed = await call<WithSource>("PATCH", path, { body: { ceSource: "/billing/eu" } });
    expect(changed.body.ceSource).toBe("/billing/eu");
    expect((await call<WithSource>("GET", path)).body.ceSource).toBe("/billing/eu");
    const renamed = await call<WithSource>("PATCH", path, { body: { name: "other" } });
    expect(renamed.body.ceSource).toBe("/billing/eu");
    const cleared = await call<WithSource>("PATCH", path, { body: { ceSource: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.ceSource).toBeUndefined();
  });

  it.each([
    { why: "an empty string", ceSource: "" },
    { why: "a space", ceSource: "/billing eu" },
    { why: "a percent-escape", ceSource: "/billing%20eu" },
    { why: "a non-ASCII character", ceSource: "/facturación" },
    { why: "a malformed authority", ceSource: "http://[::1" },
    { why: "more than 512 characters", ceSource: `/${"a".repeat(512)}` },
    { why: "a number", ceSource: 7 },
  ])("refuses $why with 422 naming ceSource", async ({ ceSource }) => {
    expectProblem(
      await call("POST", "/v1/apps", { body: { name: "bad", ceSource } }),
      422,
      "ceSource",
    );
    const { appId } = await newApp();
    expectProblem(
      await call("PATCH", `/v1/apps/${appId}`, { body: { ceSource } }),
      422,
      "ceSource",
    );
  });

  it("moves with the app to another shard, as the endpoints' formats do", async () => {
    const made = await call<WithSource>("POST", "/v1/apps", {
      body: { name: "mover", ceSource: "urn:example:billing" },
    });
    const appId = made.body.id;
    const ep = await newEndpoint(appId, { format: "cloudevents-binary" });
    let cursor: MoveCursor & { done?: boolean } = { table: 0, after: null, copied: 0 };
    while (!cursor.done) cursor = await copyChunk(env.DB, env.TEST_DB_B, appId, cursor, 100);
    const app = await env.TEST_DB_B.prepare("SELECT ce_source FROM apps WHERE id = ?")
      .bind(appId)
      .first<{ ce_source: string }>();
    expect(app?.ce_source).toBe("urn:example:billing");
    const endpoint = await env.TEST_DB_B.prepare("SELECT format FROM endpoints WHERE id = ?")
      .bind(ep.id)
      .first<{ format: string }>();
    expect(endpoint?.format).toBe("cloudevents-binary");
  });
});

describe("OpenAPI document", () => {
  it("describes format on endpoints and ceSource on apps", async () => {
    const doc = await call<{
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    }>("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    const format = doc.body.components.schemas.Endpoint?.properties.format as {
      enum: string[];
      description: string;
    };
    expect(format.enum).toEqual(["standard-webhooks", "cloudevents", "cloudevents-binary"]);
    expect(format.description).toMatch(/CloudEvents 1\.0 structured mode/);
    const ceSource = doc.body.components.schemas.App?.properties.ceSource as {
      description: string;
    };
    expect(ceSource.description).toMatch(/\/hooklane\/\{appId\}/);
    const create = (
      doc.body as unknown as {
        paths: Record<
          string,
          {
            post: {
              requestBody: {
                content: Record<string, { schema: { properties: Record<string, unknown> } }>;
              };
            };
          }
        >;
      }
    ).paths["/v1/apps"]?.post.requestBody.content["application/json"]?.schema.properties;
    expect(create?.ceSource).toMatchObject({ type: "string", minLength: 1, maxLength: 512 });
  });
});
