import { describe, expect, it } from "vitest";
import { compileSchema, payloadProblems } from "../../src/ingest/payload-schema";
import { call, ingestCounts, newApp } from "../helpers";
import { expectProblem } from "./support";

const INVOICE = {
  type: "object",
  required: ["invoice", "amount"],
  properties: {
    invoice: { type: "string" },
    amount: { type: "integer", minimum: 1 },
    lines: { type: "array", items: { type: "string" } },
  },
  additionalProperties: false,
};

describe("payloadProblems", () => {
  it("names each failing field under payload and skips the wrappers", () => {
    const problems = payloadProblems(compileSchema(INVOICE), {
      invoice: "1001",
      amount: 0,
      lines: ["a", 2],
      extra: true,
    });
    expect(problems).toEqual([
      { field: "payload.amount", detail: "0 is less than 1." },
      { field: "payload.lines.1", detail: 'Instance type "number" is invalid. Expected "string".' },
      { field: "payload", detail: 'Property "extra" does not match additional properties schema.' },
    ]);
  });

  it("reports a missing required property at the payload", () => {
    expect(payloadProblems(compileSchema(INVOICE), { invoice: "1" })).toEqual([
      { field: "payload", detail: 'Instance does not have required property "amount".' },
    ]);
  });

  it("finds nothing wrong with a matching payload", () => {
    expect(payloadProblems(compileSchema(INVOICE), { invoice: "1", amount: 5 })).toEqual([]);
  });

  it("refuses to compile a schema whose $ref goes nowhere", () => {
    expect(() => compileSchema({ $ref: "#/$defs/missing" })).toThrow(/Unresolved \$ref/);
  });
});

describe("ingest against an event type's schema", () => {
  async function withSchema(schema: Record<string, unknown> | undefined) {
    const { appId } = await newApp();
    const res = await call("POST", `/v1/apps/${appId}/event-types`, {
      body: { name: "invoice.paid", ...(schema ? { schema } : {}) },
    });
    expect(res.status).toBe(201);
    return appId;
  }

  const send = (appId: string, payload: Record<string, unknown>, eventType = "invoice.paid") =>
    call("POST", `/v1/apps/${appId}/messages`, { body: { eventType, payload } });

  it("accepts a matching payload and refuses one that does not, writing nothing", async () => {
    const appId = await withSchema(INVOICE);
    expect((await send(appId, { invoice: "1001", amount: 4200 })).status).toBe(202);

    const before = await ingestCounts();
    const refused = await send(appId, { invoice: "1002", amount: "lots" });
    expectProblem(refused, 422);
    expect(refused.body).toMatchObject({
      detail: 'The payload does not match the schema of "invoice.paid".',
      errors: [
        {
          field: "payload.amount",
          detail: 'Instance type "string" is invalid. Expected "integer".',
        },
      ],
    });
    expect(await ingestCounts()).toEqual(before);
  });

  it("checks only the event type that has the schema, and types not in the catalog not at all", async () => {
    const appId = await withSchema(INVOICE);
    expect((await send(appId, { anything: true }, "invoice.voided")).status).toBe(202);
    const plain = await withSchema(undefined);
    expect((await send(plain, { anything: true })).status).toBe(202);
  });

  it("applies a changed schema at once, and none after it is removed", async () => {
    const appId = await withSchema(INVOICE);
    const path = `/v1/apps/${appId}/event-types/invoice.paid`;
    const loose = { ...INVOICE, additionalProperties: true };
    expect((await call("PATCH", path, { body: { schema: loose } })).status).toBe(200);
    expect((await send(appId, { invoice: "1", amount: 1, note: "ok now" })).status).toBe(202);
    expectProblem(await send(appId, { note: "still needs an amount" }), 422);
    expect((await call("PATCH", path, { body: { schema: null } })).status).toBe(200);
    expect((await send(appId, { note: "no schema, no rules" })).status).toBe(202);
  });

  it("refuses an event type whose schema cannot be used, naming the field", async () => {
    const { appId } = await newApp();
    const res = await call("POST", `/v1/apps/${appId}/event-types`, {
      body: { name: "broken.ref", schema: { $ref: "#/$defs/missing" } },
    });
    expectProblem(res, 422);
    expect(res.body).toMatchObject({
      errors: [{ field: "schema", detail: expect.stringContaining("Unresolved $ref") }],
    });
    const got = await call("GET", `/v1/apps/${appId}/event-types/broken.ref`);
    expect(got.status).toBe(404);
  });
});
