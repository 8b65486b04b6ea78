import { describe, expect, it } from "vitest";
import { checkTransform, runTransform, type TransformResult } from "../../src/transform/engine";
import { mergeHeaders, pathProblem, withPath } from "../../src/transform/extras";
import { TRANSFORM_LIMITS } from "../../src/transform/limits";

const envelope = {
  type: "invoice.paid",
  timestamp: "2026-11-27T22:00:00.000Z",
  data: { invoice: "1001", amount: 4200, customer: { id: "cus_1", email: "a@example.com" } },
};

function failed(result: TransformResult): string {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.output)}`);
  return result.error;
}

function output(result: TransformResult) {
  if (!result.ok) throw new Error(`expected an output, got ${result.error}`);
  return result.output;
}

describe("runTransform", () => {
  it("renames fields into a new body, sent as exact JSON text", async () => {
    const out = output(
      await runTransform(
        '{ "event": type, "invoiceId": data.invoice, "cents": data.amount, "email": data.customer.email }',
        envelope,
      ),
    );
    expect(out.body).toBe(
      '{"event":"invoice.paid","invoiceId":"1001","cents":4200,"email":"a@example.com"}',
    );
    expect(out.path).toBeUndefined();
    expect(out.headers).toBeUndefined();
  });

  it("adds a header and a path suffix with the extras form", async () => {
    const out = output(
      await runTransform(
        '{ "body": data, "path": "/invoices/" & data.invoice, "headers": { "x-event": type } }',
        envelope,
      ),
    );
    expect(JSON.parse(out.body)).toEqual(envelope.data);
    expect(out.path).toBe("/invoices/1001");
    expect(out.headers).toEqual({ "x-event": "invoice.paid" });
    expect(withPath("https://example.com/hooks?k=1", out.path ?? "")).toBe(
      "https://example.com/hooks/invoices/1001?k=1",
    );
  });

  it("treats an object with other keys as the body itself", async () => {
    const out = output(await runTransform('{ "body": "hi", "path2": "/x" }', envelope));
    expect(out.body).toBe('{"body":"hi","path2":"/x"}');
  });

  it.each([
    ["webhook-signature", "x-* headers"],
    ["authorization", "x-* headers"],
    ["content-length", "x-* headers"],
    ["host", "x-* headers"],
    ["connection", "x-* headers"],
    ["x-forwarded-for", "set by their network"],
  ])("refuses the header %s", async (name, why) => {
    const error = failed(
      await runTransform(`{ "body": data, "headers": { "${name}": "v" } }`, envelope),
    );
    expect(error).toContain(name);
    expect(error).toContain(why);
  });

  it("refuses header values with a line break", async () => {
    const error = failed(
      await runTransform('{ "body": data, "headers": { "x-a": "v\\r\\nx-b: 1" } }', envelope),
    );
    expect(error).toContain("CR, LF");
  });

  it.each([
    ["/../admin", '".." segments'],
    ["/%2e%2E/admin", '".." segments'],
    ["//evil.example.com/x", '"//"'],
    ["x", 'start with "/"'],
    ["/a?b=1", "no query"],
    ["/a#frag", "no query"],
    ["/a\\b", "no query"],
    ["/a%zz", "two hex digits"],
  ])("refuses the path %s", async (path, why) => {
    const error = failed(
      await runTransform(`{ "body": data, "path": ${JSON.stringify(path)} }`, envelope),
    );
    expect(error).toContain(why);
  });

  it("reports what an expression throws", async () => {
    const error = failed(await runTransform('$error("no customer for " & data.invoice)', envelope));
    expect(error).toContain("no customer for 1001");
  });

  it("reports a type error with its JSONata code and position", async () => {
    const error = failed(await runTransform("data.invoice + 1", envelope));
    expect(error).toMatch(/\(T2001 at character \d+\)/);
  });

  it("stops a runaway recursion at the depth cap", async () => {
    const error = failed(
      await runTransform(
        "($f := function($n){ $n <= 1 ? $n : $f($n - 1) + $f($n - 2) }; $f(40))",
        envelope,
      ),
    );
    expect(error).toContain("Stack overflow");
    expect(error).toContain("D1011");
  });

  it("stops an endless loop over a large range", async () => {
    const error = failed(await runTransform("$sum([1..100000000])", envelope));
    expect(error).toMatch(/sequence|D2014|D2015/);
  });

  it("counts steps, not only depth: a flat loop is stopped too", async () => {
    const error = failed(
      await runTransform('$count([1..4000].($string($) & "x").($ & "y").($ & "z"))', envelope),
    );
    expect(error).toContain(`exceeded ${TRANSFORM_LIMITS.steps} steps`);
  });

  it("refuses an oversized body", async () => {
    const error = failed(await runTransform('$pad("", 300000, "a")', envelope));
    expect(error).toContain(`${TRANSFORM_LIMITS.stringChars} characters`);
    const joined = failed(
      await runTransform('{ "items": [1..100].$pad("", 3000, "a") }', envelope),
    );
    expect(joined).toContain(`exceeds ${TRANSFORM_LIMITS.bodyBytes} bytes`);
  });

  it("refuses a string doubled past the cap before it grows further", async () => {
    const error = failed(
      await runTransform(
        '($d := function($s, $n){ $n = 0 ? $s : $d($s & $s, $n - 1) }; $d("abcdefgh", 40))',
        envelope,
      ),
    );
    expect(error).toContain(`${TRANSFORM_LIMITS.stringChars} characters`);
  });

  it("refuses $join and $replace results over the cap before building them", async () => {
    const join = failed(await runTransform('$join([1..300].$pad("", 1000, "a"))', envelope));
    expect(join).toContain(`${TRANSFORM_LIMITS.stringChars} characters`);
    const replace = failed(
      await runTransform('$replace($pad("", 2000, "a"), "a", $pad("", 1000, "b"))', envelope),
    );
    expect(replace).toContain(`${TRANSFORM_LIMITS.stringChars} characters`);
  });

  it("refuses a body nested deeper than the cap", async () => {
    const deep = `${'{ "a": '.repeat(TRANSFORM_LIMITS.bodyDepth + 1)}1${" }".repeat(TRANSFORM_LIMITS.bodyDepth + 1)}`;
    const error = failed(await runTransform(deep, envelope));
    expect(error).toContain(`nested deeper than ${TRANSFORM_LIMITS.bodyDepth}`);
  });

  it("reports an expression that produces nothing", async () => {
    expect(failed(await runTransform("data.missing", envelope))).toContain("no body");
  });

  it("loses precision of integers beyond 2^53 when it reads them", async () => {
    const parsed = JSON.parse('{"type":"t","timestamp":"x","data":{"id":12345678901234567891}}');
    const out = output(await runTransform('{ "id": data.id }', parsed));
    expect(out.body).toBe('{"id":12345678901234567000}');
  });
});

describe("checkTransform", () => {
  it("accepts a valid expression", () => {
    expect(checkTransform('{ "event": type }')).toBeNull();
  });

  it("points at a syntax error", () => {
    const problem = checkTransform('{ "event": type, "x": }');
    expect(problem?.position).toBeTypeOf("number");
    expect(problem?.detail).toMatch(/^syntax error at character \d+: /);
  });

  it("refuses regular expressions and $eval, naming where", () => {
    expect(checkTransform("$match(type, /inv.*/)")?.detail).toContain(
      "regular expressions are not allowed",
    );
    expect(checkTransform('($e := $eval; $e("1 + 1"))')?.detail).toContain("$eval is not allowed");
  });

  it("refuses an expression over the length cap, and an empty one", () => {
    expect(checkTransform(`"${"a".repeat(TRANSFORM_LIMITS.expressionChars)}"`)?.detail).toContain(
      "longer than",
    );
    expect(checkTransform("  ")?.detail).toContain("empty");
  });
});

describe("path and header helpers", () => {
  it("appends a path to a URL ending in a slash without doubling it", () => {
    expect(withPath("https://example.com/hooks/", "/a")).toBe("https://example.com/hooks/a");
    expect(pathProblem("/a/b-c_d.e~f/%20")).toBeNull();
  });

  it("lets the transform's header replace the endpoint's of the same name in any case", () => {
    expect(mergeHeaders({ "X-Tenant": "old", "x-keep": "1" }, { "x-tenant": "new" })).toEqual({
      "x-keep": "1",
      "x-tenant": "new",
    });
  });
});
