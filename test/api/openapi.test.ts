import { describe, expect, it } from "vitest";
import { call } from "../helpers";

interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
}
interface Doc {
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = new Set(["get", "post", "put", "patch", "delete"]);

async function doc(): Promise<Doc> {
  const res = await call<Doc>("GET", "/openapi.json", { token: null });
  expect(res.status).toBe(200);
  return res.body;
}

function operations(d: Doc): { where: string; op: Operation }[] {
  return Object.entries(d.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })),
  );
}

describe("the OpenAPI document, for client generators", () => {
  it("names every operation with a unique camelCase operationId", async () => {
    const ops = operations(await doc());
    expect(ops.length).toBeGreaterThanOrEqual(51);
    const ids = ops.map(({ where, op }) => {
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      return op.operationId;
    });
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("tags every operation with a tag the document declares and describes", async () => {
    const d = await doc();
    const declared = new Map((d.tags ?? []).map((t) => [t.name, t.description ?? ""]));
    for (const [name, description] of declared) expect(description, name).not.toBe("");
    for (const { where, op } of operations(d)) {
      expect(op.tags?.length, where).toBe(1);
      expect(declared.has(op.tags?.[0] ?? ""), where).toBe(true);
      expect(op.summary, where).toBeTruthy();
    }
  });

  it("names as its server the origin it was fetched from", async () => {
    expect((await doc()).servers).toEqual([
      { url: "https://hooklane.test", description: "This Hooklane" },
    ]);
  });
});
