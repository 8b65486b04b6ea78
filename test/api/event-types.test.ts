import { describe, expect, it } from "vitest";
import { call, newApp } from "../helpers";
import { allPages, countFor, type EventTypeBody, expectProblem, type Page } from "./support";

const schema = { type: "object", properties: { amount: { type: "integer" } } };

describe("POST /v1/apps/{appId}/event-types", () => {
  it("creates an event type with a description and a JSON Schema", async () => {
    const { appId, key } = await newApp();
    const res = await call<EventTypeBody>("POST", `/v1/apps/${appId}/event-types`, {
      token: key,
      body: { name: "invoice.paid", description: "An invoice was paid", schema },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      name: "invoice.paid",
      description: "An invoice was paid",
      schema,
      createdAt: expect.any(String),
    });
  });

  it("answers 409 for a name the app already has", async () => {
    const { appId, key } = await newApp();
    const body = { name: "user.created" };
    expect((await call("POST", `/v1/apps/${appId}/event-types`, { token: key, body })).status).toBe(
      201,
    );
    expectProblem(await call("POST", `/v1/apps/${appId}/event-types`, { token: key, body }), 409);
    expect(await countFor("event_types", appId)).toBe(1);
  });

  it("lets two apps use the same name", async () => {
    const a = await newApp();
    const b = await newApp();
    for (const { appId, key } of [a, b]) {
      const res = await call("POST", `/v1/apps/${appId}/event-types`, {
        token: key,
        body: { name: "shared.name" },
      });
      expect(res.status).toBe(201);
    }
  });

  it.each([
    { why: "an empty name", name: "" },
    { why: "a name over 128 chars", name: `a.${"b".repeat(127)}` },
    { why: "a name with spaces", name: "invoice paid" },
    { why: "a name with a slash", name: "invoice/paid" },
    { why: "a non-ASCII name", name: "facture.payée" },
    { why: "an empty segment", name: "invoice..paid" },
    { why: "a wildcard", name: "invoice.*" },
  ])("refuses $why with 422 naming the field", async ({ name }) => {
    const { appId, key } = await newApp();
    const res = await call("POST", `/v1/apps/${appId}/event-types`, { token: key, body: { name } });
    expectProblem(res, 422, "name");
    expect(await countFor("event_types", appId)).toBe(0);
  });

  it("refuses a schema that is not an object", async () => {
    const { appId, key } = await newApp();
    const res = await call("POST", `/v1/apps/${appId}/event-types`, {
      token: key,
      body: { name: "a.b", schema: ["not", "an", "object"] },
    });
    expectProblem(res, 422, "schema");
  });
});

describe("GET /v1/apps/{appId}/event-types", () => {
  it("gets one by name", async () => {
    const { appId, key } = await newApp();
    await call("POST", `/v1/apps/${appId}/event-types`, { token: key, body: { name: "a.b_c-d" } });
    const res = await call<EventTypeBody>("GET", `/v1/apps/${appId}/event-types/a.b_c-d`, {
      token: key,
    });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe("a.b_c-d");
  });

  it("answers 404 for a name the app does not have", async () => {
    const { appId, key } = await newApp();
    expectProblem(await call("GET", `/v1/apps/${appId}/event-types/nope`, { token: key }), 404);
  });

  it("answers 400 for a name that can never be valid", async () => {
    const { appId, key } = await newApp();
    const res = await call("GET", `/v1/apps/${appId}/event-types/has%20space`, { token: key });
    expectProblem(res, 400, "name");
  });

  it("pages through event types by name, each seen once, ending with a null cursor", async () => {
    const { appId, key } = await newApp();
    const names = ["e.five", "a.one", "d.four", "b.two", "c.three"];
    for (const name of names) {
      await call("POST", `/v1/apps/${appId}/event-types`, { token: key, body: { name } });
    }
    const { items, pages } = await allPages<EventTypeBody>(
      (q) => call<Page<EventTypeBody>>("GET", `/v1/apps/${appId}/event-types${q}`, { token: key }),
      2,
    );
    expect(items.map((e) => e.name)).toEqual([...names].sort());
    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(pages.at(-1)?.nextCursor).toBeNull();
  });

  it("answers 400 for a garbage cursor", async () => {
    const { appId, key } = await newApp();
    const res = await call("GET", `/v1/apps/${appId}/event-types?cursor=%25%25%25`, {
      token: key,
    });
    expectProblem(res, 400, "cursor");
  });
});

describe("PATCH /v1/apps/{appId}/event-types/{name}", () => {
  it("updates the description and clears the schema", async () => {
    const { appId, key } = await newApp();
    await call("POST", `/v1/apps/${appId}/event-types`, {
      token: key,
      body: { name: "order.shipped", schema },
    });
    const res = await call<EventTypeBody>("PATCH", `/v1/apps/${appId}/event-types/order.shipped`, {
      token: key,
      body: { description: "Shipped", schema: null },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "order.shipped", description: "Shipped" });
    expect(res.body).not.toHaveProperty("schema");
    const got = await call<EventTypeBody>("GET", `/v1/apps/${appId}/event-types/order.shipped`, {
      token: key,
    });
    expect(got.body).toEqual(res.body);
  });

  it("answers 404 for a name the app does not have", async () => {
    const { appId, key } = await newApp();
    const res = await call("PATCH", `/v1/apps/${appId}/event-types/nope`, {
      token: key,
      body: { description: "x" },
    });
    expectProblem(res, 404);
  });

  it("refuses renaming (the name is the id) with 422", async () => {
    const { appId, key } = await newApp();
    await call("POST", `/v1/apps/${appId}/event-types`, { token: key, body: { name: "a.b" } });
    const res = await call("PATCH", `/v1/apps/${appId}/event-types/a.b`, {
      token: key,
      body: { name: "c.d" },
    });
    expectProblem(res, 422);
  });
});

describe("DELETE /v1/apps/{appId}/event-types/{name}", () => {
  it("deletes an event type, then answers 404 for it", async () => {
    const { appId, key } = await newApp();
    await call("POST", `/v1/apps/${appId}/event-types`, { token: key, body: { name: "gone" } });
    const res = await call("DELETE", `/v1/apps/${appId}/event-types/gone`, { token: key });
    expect(res.status).toBe(204);
    expectProblem(await call("GET", `/v1/apps/${appId}/event-types/gone`, { token: key }), 404);
    expectProblem(await call("DELETE", `/v1/apps/${appId}/event-types/gone`, { token: key }), 404);
  });
});
