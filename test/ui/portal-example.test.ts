import { describe, expect, it } from "vitest";
import { examplePayload } from "../../src/ui/portal/example";

describe("examplePayload", () => {
  it("prefers the schema's own examples[0]", () => {
    expect(
      examplePayload({ type: "object", examples: [{ invoice: "1001" }, { invoice: "2" }] }),
    ).toEqual({ invoice: "1001" });
  });

  it("is an empty object without a schema", () => {
    expect(examplePayload(undefined)).toEqual({});
  });

  it("builds an object from properties, using examples, const, default and enum first", () => {
    expect(
      examplePayload({
        type: "object",
        properties: {
          id: { type: "string", examples: ["inv_1"] },
          kind: { const: "invoice" },
          currency: { type: "string", default: "EUR" },
          status: { type: "string", enum: ["paid", "void"] },
          amount: { type: "integer", minimum: 100 },
          rate: { type: "number" },
          paid: { type: "boolean" },
          note: { type: ["string", "null"] },
          at: { type: "string", format: "date-time" },
          email: { type: "string", format: "email" },
          lines: {
            type: "array",
            items: { type: "object", properties: { sku: { type: "string" } } },
          },
          nothing: { type: "null" },
        },
      }),
    ).toEqual({
      id: "inv_1",
      kind: "invoice",
      currency: "EUR",
      status: "paid",
      amount: 100,
      rate: 1.5,
      paid: true,
      note: "example note",
      at: "2026-01-01T12:00:00Z",
      email: "user@example.com",
      lines: [{ sku: "example sku" }],
      nothing: null,
    });
  });

  it("follows local $refs and combinators", () => {
    expect(
      examplePayload({
        $defs: { money: { type: "object", properties: { cents: { type: "integer" } } } },
        type: "object",
        properties: {
          total: { $ref: "#/$defs/money" },
          either: { oneOf: [{ type: "string" }, { type: "integer" }] },
          both: {
            allOf: [
              { type: "object", properties: { a: { const: 1 } } },
              { type: "object", properties: { b: { const: 2 } } },
            ],
          },
        },
      }),
    ).toEqual({ total: { cents: 1 }, either: "example either", both: { a: 1, b: 2 } });
  });

  it("stops at a bounded depth on a recursive schema instead of looping", () => {
    const schema = {
      $defs: { node: { type: "object", properties: { child: { $ref: "#/$defs/node" } } } },
      $ref: "#/$defs/node",
    };
    const text = JSON.stringify(examplePayload(schema));
    expect(text.length).toBeLessThan(200);
    expect(text).toContain('"child"');
  });

  it("honours minItems (up to three items)", () => {
    expect(
      examplePayload({
        type: "object",
        properties: { tags: { type: "array", minItems: 2, items: { type: "string" } } },
      }),
    ).toEqual({ tags: ["example tags", "example tags"] });
  });
});
