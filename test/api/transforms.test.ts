import { describe, expect, it } from "vitest";
import { call, newApp, newEndpoint } from "../helpers";
import { type EndpointBody, expectProblem } from "./support";

const RENAME = '{ "event": type, "invoiceId": data.invoice }';

interface PreviewBody {
  url: string;
  body: string;
  path?: string;
  headers: Record<string, string>;
  transformed: boolean;
}

describe("an endpoint's transform", () => {
  it("is saved on create, shown on read, replaced and cleared with null on update", async () => {
    const { appId, key } = await newApp();
    const created = await call<EndpointBody & { transform?: string }>(
      "POST",
      `/v1/apps/${appId}/endpoints`,
      { token: key, body: { url: "https://hooks.example.com/in", transform: RENAME } },
    );
    expect(created.status).toBe(201);
    expect(created.body.transform).toBe(RENAME);
    const path = `/v1/apps/${appId}/endpoints/${created.body.id}`;
    const read = await call<{ transform?: string }>("GET", path, { token: key });
    expect(read.body.transform).toBe(RENAME);

    const changed = await call<{ transform?: string }>("PATCH", path, {
      token: key,
      body: { transform: "data" },
    });
    expect(changed.body.transform).toBe("data");
    const untouched = await call<{ transform?: string }>("PATCH", path, {
      token: key,
      body: { description: "x" },
    });
    expect(untouched.body.transform).toBe("data");
    const cleared = await call<{ transform?: string }>("PATCH", path, {
      token: key,
      body: { transform: null },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body).not.toHaveProperty("transform");
    const reread = await call<{ transform?: string }>("GET", path, { token: key });
    expect(reread.body).not.toHaveProperty("transform");
  });

  it("answers 422 naming the field, pointing at a syntax error", async () => {
    const { appId, key } = await newApp();
    const res = await call("POST", `/v1/apps/${appId}/endpoints`, {
      token: key,
      body: { url: "https://hooks.example.com/in", transform: '{ "a": }' },
    });
    const problem = expectProblem(res, 422, "transform");
    expect(problem.errors?.[0]?.detail).toMatch(/^syntax error at character \d+: /);
    const { id } = await newEndpoint(appId);
    const patched = await call("PATCH", `/v1/apps/${appId}/endpoints/${id}`, {
      token: key,
      body: { transform: "$match(type, /a+/)" },
    });
    expectProblem(patched, 422, "transform");
  });

  it("is in the OpenAPI document with the preview route", async () => {
    const doc = await call<{
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>("GET", "/openapi.json", { token: null });
    expect(doc.body.components.schemas.Endpoint?.properties).toHaveProperty("transform");
    expect(doc.body.paths).toHaveProperty(
      "/v1/apps/{appId}/endpoints/{endpointId}/transform/preview",
    );
  });
});

describe("POST .../endpoints/{endpointId}/transform/preview", () => {
  it("answers the body, URL and headers the saved transform would send", async () => {
    const { appId, key } = await newApp();
    const { id } = await newEndpoint(appId, {
      url: "https://hooks.example.com/in?k=1",
      transform:
        '{ "body": { "event": type, "invoiceId": data.invoice }, "path": "/invoices/" & data.invoice, "headers": { "X-Event": type } }',
    });
    const res = await call<PreviewBody>(
      "POST",
      `/v1/apps/${appId}/endpoints/${id}/transform/preview`,
      { token: key, body: { payload: { invoice: "1001" }, eventType: "invoice.paid" } },
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      url: "https://hooks.example.com/in/invoices/1001?k=1",
      body: '{"event":"invoice.paid","invoiceId":"1001"}',
      path: "/invoices/1001",
      headers: { "x-event": "invoice.paid" },
      transformed: true,
    });
  });

  it("tries a transform before it is saved, and shows the plain body without one", async () => {
    const { appId, key } = await newApp();
    const { id } = await newEndpoint(appId);
    const path = `/v1/apps/${appId}/endpoints/${id}/transform/preview`;
    const plain = await call<PreviewBody>("POST", path, {
      token: key,
      body: { payload: { invoice: "1001" } },
    });
    expect(plain.body.transformed).toBe(false);
    expect(JSON.parse(plain.body.body)).toMatchObject({
      type: "transform.preview",
      data: { invoice: "1001" },
    });
    const tried = await call<PreviewBody>("POST", path, {
      token: key,
      body: { payload: { invoice: "1001" }, transform: RENAME },
    });
    expect(tried.body.body).toBe('{"event":"transform.preview","invoiceId":"1001"}');
    const endpoint = await call<{ transform?: string }>(
      "GET",
      `/v1/apps/${appId}/endpoints/${id}`,
      { token: key },
    );
    expect(endpoint.body).not.toHaveProperty("transform");
  });

  it("answers 422 with the transform's error when it fails on the payload", async () => {
    const { appId, key } = await newApp();
    const { id } = await newEndpoint(appId);
    const res = await call("POST", `/v1/apps/${appId}/endpoints/${id}/transform/preview`, {
      token: key,
      body: { payload: { n: 1 }, transform: '$error("no invoice")' },
    });
    const problem = expectProblem(res, 422, "transform");
    expect(problem.errors?.[0]?.detail).toContain("transform_error: no invoice");
    const refused = await call("POST", `/v1/apps/${appId}/endpoints/${id}/transform/preview`, {
      token: key,
      body: { payload: { n: 1 }, transform: '{ "body": 1, "headers": { "authorization": "x" } }' },
    });
    expect(expectProblem(refused, 422, "transform").errors?.[0]?.detail).toContain("authorization");
  });
});
