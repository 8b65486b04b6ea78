import { describe, expect, it } from "vitest";
import { checkCustomHeaders } from "../../src/security/header-guard";

const NO_AUTH = { authSetsAuthorization: false };
const WITH_AUTH = { authSetsAuthorization: true };

describe("checkCustomHeaders", () => {
  it("accepts ordinary headers", () => {
    expect(
      checkCustomHeaders(
        { "X-Tenant": "acme", "User-Agent-Extra": "a b\tc", Accept: "*/*", "X-Latin1": "café" },
        NO_AUTH,
      ),
    ).toEqual([]);
  });

  it.each([
    "Host",
    "host",
    "Content-Length",
    "Transfer-Encoding",
    "Connection",
    "Keep-Alive",
    "Upgrade",
    "TE",
    "Trailer",
    "Proxy-Authorization",
    "proxy-connection",
    "Content-Type",
    "Webhook-Signature",
    "webhook-id",
    "WEBHOOK-TIMESTAMP",
  ])("refuses the reserved header %s", (name) => {
    const problems = checkCustomHeaders({ [name]: "x" }, NO_AUTH);
    expect(problems).toEqual([
      { field: `headers.${name}`, detail: expect.stringContaining("cannot be set") },
    ]);
  });

  it("refuses Authorization only when the endpoint's auth sets it", () => {
    expect(checkCustomHeaders({ Authorization: "Bearer x" }, NO_AUTH)).toEqual([]);
    expect(checkCustomHeaders({ authorization: "Bearer x" }, WITH_AUTH)).toEqual([
      { field: "headers.authorization", detail: expect.stringContaining("auth setting") },
    ]);
  });

  it.each(["", "X Header", "X-Tab\t", "X:Colon", "X(Paren)", "Ünïcode", "X-Header\n"])(
    "refuses the name %j, which is not a token",
    (name) => {
      expect(checkCustomHeaders({ [name]: "x" }, NO_AUTH)).toEqual([
        { field: `headers.${name}`, detail: expect.stringContaining("not a valid HTTP token") },
      ]);
    },
  );

  it.each([
    ["a\r\nX-Injected: 1", /CR, LF or NUL/],
    ["a\nb", /CR, LF or NUL/],
    ["a\rb", /CR, LF or NUL/],
    ["a\0b", /CR, LF or NUL/],
    ["bell\u0007", /visible ASCII/],
    ["del\u007f", /visible ASCII/],
    ["emoji 🎉", /visible ASCII/],
    ["ĉ", /visible ASCII/],
    ["x".repeat(4097), /longer than 4096 bytes/],
  ])("refuses the value %j", (value, detail) => {
    const problems = checkCustomHeaders({ "X-Value": value }, NO_AUTH);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe("headers.X-Value");
    expect(problems[0]?.detail).toMatch(detail);
  });

  it("accepts a value of exactly 4096 bytes and an empty value", () => {
    expect(checkCustomHeaders({ "X-Big": "x".repeat(4096), "X-Empty": "" }, NO_AUTH)).toEqual([]);
  });

  it("reports one problem per bad header", () => {
    const problems = checkCustomHeaders(
      { Host: "evil", "X-Ok": "1", "X-Bad": "a\nb", "Webhook-Id": "x" },
      NO_AUTH,
    );
    expect(problems.map((p) => p.field)).toEqual([
      "headers.Host",
      "headers.X-Bad",
      "headers.Webhook-Id",
    ]);
  });

  it("refuses the same name twice in different cases", () => {
    expect(checkCustomHeaders({ "X-Tenant": "a", "x-tenant": "b" }, NO_AUTH)).toEqual([
      { field: "headers.x-tenant", detail: expect.stringContaining("more than once") },
    ]);
  });

  it("allows 20 headers and refuses 21 with a single problem", () => {
    const many = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`X-H${i}`, String(i)]));
    expect(checkCustomHeaders(many(20), NO_AUTH)).toEqual([]);
    expect(checkCustomHeaders({ ...many(21), Host: "evil" }, NO_AUTH)).toEqual([
      { field: "headers", detail: "At most 20 custom headers are allowed." },
    ]);
  });
});
