import { describe, expect, it } from "vitest";
import { call, newApp, newEndpoint } from "../helpers";
import { expectProblem } from "./support";

describe("an endpoint's batch option", () => {
  it("is created, read, updated and cleared with null", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { batch: { maxEvents: 50, maxWaitMs: 1000 } });
    const path = `/v1/apps/${appId}/endpoints/${ep.id}`;
    const read = await call<{ batch?: unknown }>("GET", path);
    expect(read.body.batch).toEqual({ maxEvents: 50, maxWaitMs: 1000 });
    const changed = await call<{ batch?: unknown }>("PATCH", path, {
      body: { batch: { maxEvents: 2, maxWaitMs: 60000 } },
    });
    expect(changed.body.batch).toEqual({ maxEvents: 2, maxWaitMs: 60000 });
    // An update that does not name it keeps it.
    const kept = await call<{ batch?: unknown }>("PATCH", path, { body: { description: "d" } });
    expect(kept.body.batch).toEqual({ maxEvents: 2, maxWaitMs: 60000 });
    const cleared = await call<{ batch?: unknown }>("PATCH", path, { body: { batch: null } });
    expect(cleared.status).toBe(200);
    expect((await call<{ batch?: unknown }>("GET", path)).body.batch).toBeUndefined();
  });

  it.each([
    [{ maxEvents: 1, maxWaitMs: 1000 }, "batch.maxEvents"],
    [{ maxEvents: 101, maxWaitMs: 1000 }, "batch.maxEvents"],
    [{ maxEvents: 10, maxWaitMs: 99 }, "batch.maxWaitMs"],
    [{ maxEvents: 10, maxWaitMs: 60001 }, "batch.maxWaitMs"],
    [{ maxEvents: 10 }, "batch.maxWaitMs"],
  ])("refuses %j with 422 naming %s", async (batch, field) => {
    const { appId } = await newApp();
    const res = await call("POST", `/v1/apps/${appId}/endpoints`, {
      body: { url: "https://receiver.example.com/hook", batch },
    });
    expectProblem(res, 422, field);
  });

  it("refuses batching with cloudevents-binary or with a transform, on create and update", async () => {
    const { appId } = await newApp();
    const binary = await call("POST", `/v1/apps/${appId}/endpoints`, {
      body: {
        url: "https://receiver.example.com/hook",
        format: "cloudevents-binary",
        batch: { maxEvents: 5, maxWaitMs: 500 },
      },
    });
    expect(expectProblem(binary, 422, "batch").errors?.[0]?.detail).toContain("cloudevents-binary");
    const ep = await newEndpoint(appId, { transform: '{"body": body}' });
    const res = await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, {
      body: { batch: { maxEvents: 5, maxWaitMs: 500 } },
    });
    expect(expectProblem(res, 422, "batch").errors?.[0]?.detail).toContain("transform");
  });
});

describe("the batch option in the OpenAPI document", () => {
  it("describes Batch with its bounds and puts it on Endpoint", async () => {
    const res = await call<{
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>("GET", "/openapi.json", { token: null });
    const schemas = res.body.components.schemas;
    expect(schemas.Batch?.properties).toMatchObject({
      maxEvents: { type: "integer", minimum: 2, maximum: 100 },
      maxWaitMs: { type: "integer", minimum: 100, maximum: 60000 },
    });
    expect(schemas.Endpoint?.properties?.batch).toEqual({ $ref: "#/components/schemas/Batch" });
  });
});
