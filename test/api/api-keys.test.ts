import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, newApp } from "../helpers";
import { type ApiKeyBody, allPages, countFor, expectProblem, type Page } from "./support";

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("POST /v1/apps/{appId}/api-keys", () => {
  it("mints an hk_ token shown once and stores only its SHA-256", async () => {
    const { appId } = await newApp();
    const res = await call<ApiKeyBody>("POST", `/v1/apps/${appId}/api-keys`, {
      body: { name: "ci" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^key_[0-9A-Z]{26}$/),
      name: "ci",
      token: expect.stringMatching(/^hk_[A-Za-z0-9_-]{40,}$/),
      createdAt: expect.any(String),
    });
    const token = res.body.token ?? "";
    const row = await env.DB.prepare("SELECT token_hash FROM api_keys WHERE id = ?")
      .bind(res.body.id)
      .first<{ token_hash: string }>();
    expect(row?.token_hash).toBe(await sha256Hex(token));
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it("gives a token that acts inside its app", async () => {
    const { appId } = await newApp();
    const minted = await call<ApiKeyBody>("POST", `/v1/apps/${appId}/api-keys`, { body: {} });
    const res = await call("GET", `/v1/apps/${appId}/endpoints`, { token: minted.body.token });
    expect(res.status).toBe(200);
  });

  it("answers 404 for an app that does not exist", async () => {
    expectProblem(
      await call("POST", "/v1/apps/app_00000000000000000000000000/api-keys", { body: {} }),
      404,
    );
  });

  it.each([
    { why: "an empty name", body: { name: "" }, field: "name" },
    { why: "an unknown field", body: { scope: "all" }, field: "json" },
  ])("refuses $why with 422", async ({ body, field }) => {
    const { appId } = await newApp();
    const before = await countFor("api_keys", appId);
    expectProblem(await call("POST", `/v1/apps/${appId}/api-keys`, { body }), 422, field);
    expect(await countFor("api_keys", appId)).toBe(before);
  });
});

describe("GET /v1/apps/{appId}/api-keys", () => {
  it("lists keys page by page and never shows a token", async () => {
    const { appId } = await newApp();
    const tokens: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await call<ApiKeyBody>("POST", `/v1/apps/${appId}/api-keys`, { body: {} });
      tokens.push(res.body.token ?? "");
    }
    const { items, pages } = await allPages<ApiKeyBody>(
      (q) => call<Page<ApiKeyBody>>("GET", `/v1/apps/${appId}/api-keys${q}`),
      2,
    );
    // newApp() minted one key too.
    expect(items).toHaveLength(5);
    expect(new Set(items.map((k) => k.id)).size).toBe(5);
    expect(pages.at(-1)?.nextCursor).toBeNull();
    const text = JSON.stringify(pages);
    for (const token of tokens) expect(text).not.toContain(token);
    expect(text).not.toContain("hk_");
  });
});

describe("DELETE /v1/apps/{appId}/api-keys/{keyId}", () => {
  it("revokes a key: its token answers 401 at once", async () => {
    const { appId } = await newApp();
    const minted = await call<ApiKeyBody>("POST", `/v1/apps/${appId}/api-keys`, { body: {} });
    const token = minted.body.token;
    expect((await call("GET", `/v1/apps/${appId}/endpoints`, { token })).status).toBe(200);
    const res = await call("DELETE", `/v1/apps/${appId}/api-keys/${minted.body.id}`);
    expect(res.status).toBe(204);
    expectProblem(await call("GET", `/v1/apps/${appId}/endpoints`, { token }), 401);
  });

  it("answers 404 for a key that does not exist, or no longer does", async () => {
    const { appId } = await newApp();
    const minted = await call<ApiKeyBody>("POST", `/v1/apps/${appId}/api-keys`, { body: {} });
    expect((await call("DELETE", `/v1/apps/${appId}/api-keys/${minted.body.id}`)).status).toBe(204);
    expectProblem(await call("DELETE", `/v1/apps/${appId}/api-keys/${minted.body.id}`), 404);
    expectProblem(
      await call("DELETE", `/v1/apps/${appId}/api-keys/key_00000000000000000000000000`),
      404,
    );
  });

  it("answers 404 for another app's key through this app's path, and the key keeps working", async () => {
    const a = await newApp("a");
    const b = await newApp("b");
    const bKey = await call<ApiKeyBody>("POST", `/v1/apps/${b.appId}/api-keys`, { body: {} });
    expectProblem(await call("DELETE", `/v1/apps/${a.appId}/api-keys/${bKey.body.id}`), 404);
    const res = await call("GET", `/v1/apps/${b.appId}/endpoints`, { token: bKey.body.token });
    expect(res.status).toBe(200);
  });
});
