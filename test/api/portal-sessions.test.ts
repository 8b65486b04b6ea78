import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { settings } from "../../src/config";
import { getPortalSession } from "../../src/db/portal-sessions";
import worker from "../../src/index";
import { PORTAL_CAPABILITIES } from "../../src/schemas/portal";
import { moveFenceMs } from "../../src/sweeper/moves";
import { sweep } from "../../src/sweeper/sweep";
import { ADMIN, call, newApp } from "../helpers";
import type { Problem } from "./support";

interface Opened {
  url: string;
  expiresAt: string;
  sessionId: string;
}

const open = (appId: string, body: unknown = {}, token?: string) =>
  call<Opened & Problem>("POST", `/v1/apps/${appId}/portal-sessions`, { body, token });

describe("POST /v1/apps/{appId}/portal-sessions", () => {
  it("answers 201 with a portal URL whose one-time code is in the fragment", async () => {
    const { appId } = await newApp("portal shape");
    const before = Date.now();
    const res = await open(appId);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(["expiresAt", "sessionId", "url"]);
    const url = new URL(res.body.url);
    expect(url.origin).toBe("https://hooklane.test");
    expect(url.pathname).toBe("/portal");
    expect(url.search).toBe("");
    expect(url.hash).toMatch(/^#code=[A-Za-z0-9_-]{43}$/);
    expect(res.body.sessionId).toMatch(/^ps_[0-9A-Z]{26}$/);
    // Default lifetime: one hour.
    const expires = Date.parse(res.body.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 3600_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3600_000);
    // Stored: hashes only, all five capabilities, the default theme.
    const row = await getPortalSession(env.DB, res.body.sessionId);
    const code = url.hash.slice("#code=".length);
    expect(row?.app_id).toBe(appId);
    expect(row?.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.code_hash).not.toBe(code);
    expect(JSON.stringify(row)).not.toContain(code);
    expect(row?.cookie_hash).toBeNull();
    expect(JSON.parse(row?.capabilities ?? "[]")).toEqual([...PORTAL_CAPABILITIES]);
    expect(row?.theme).toBeNull();
    expect(row?.csrf.length).toBeGreaterThanOrEqual(32);
    // The audit log names the session.
    const trail = await call<{ data: { action: string; resourceId?: string }[] }>(
      "GET",
      `/v1/apps/${appId}/audit`,
    );
    expect(trail.body.data.some((e) => e.resourceId === res.body.sessionId)).toBe(true);
  });

  it("takes expiresIn from one hour to seven days, and 422 outside", async () => {
    const { appId } = await newApp("portal ttl");
    for (const expiresIn of [3600, 86400, 604800]) {
      const res = await open(appId, { expiresIn });
      expect(res.status).toBe(201);
      const row = await getPortalSession(env.DB, res.body.sessionId);
      expect((row?.expires_at ?? 0) - (row?.created_at ?? 0)).toBe(expiresIn * 1000);
    }
    for (const expiresIn of [0, 3599, 604801, 3600.5, "3600"]) {
      const res = await open(appId, { expiresIn });
      expect(res.status).toBe(422);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(res.body.errors?.some((e) => e.field.includes("expiresIn"))).toBe(true);
    }
  });

  it("validates capabilities and theme", async () => {
    const { appId } = await newApp("portal caps");
    const narrowed = await open(appId, {
      capabilities: ["view", "replay"],
      theme: { accent: "#1B3A4B", logoUrl: "https://cdn.example.com/logo.png", mode: "dark" },
    });
    expect(narrowed.status).toBe(201);
    const row = await getPortalSession(env.DB, narrowed.body.sessionId);
    expect(JSON.parse(row?.capabilities ?? "[]")).toEqual(["view", "replay"]);
    expect(JSON.parse(row?.theme ?? "{}")).toEqual({
      accent: "#1B3A4B",
      logoUrl: "https://cdn.example.com/logo.png",
      mode: "dark",
    });
    const refused: unknown[] = [
      { capabilities: ["view", "admin"] },
      { capabilities: [] },
      { capabilities: ["replay"] },
      { capabilities: ["view", "view"] },
      { capabilities: "view" },
      { theme: { accent: "red" } },
      { theme: { accent: "#12345" } },
      { theme: { logoUrl: "http://cdn.example.com/logo.png" } },
      { theme: { logoUrl: "javascript:alert(1)" } },
      { theme: { mode: "sepia" } },
      { theme: { font: "Comic Sans" } },
      { other: true },
    ];
    for (const body of refused) {
      const res = await open(appId, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
  });

  it("is open to the app's own API key, not to another app's", async () => {
    const a = await newApp("portal key a");
    const b = await newApp("portal key b");
    expect((await open(a.appId, {}, a.key)).status).toBe(201);
    expect((await open(b.appId, {}, a.key)).status).toBe(404);
    expect((await open(a.appId, {}, null as unknown as string)).status).toBe(401);
    expect((await open("app_01JD0Z6Q3K8V1W2X3Y4Z5A6B7C")).status).toBe(404);
  });

  it("is described in /openapi.json", async () => {
    const doc = await call<{ paths: Record<string, Record<string, unknown>> }>(
      "GET",
      "/openapi.json",
    );
    const path = doc.body.paths["/v1/apps/{appId}/portal-sessions"];
    expect(Object.keys(path ?? {}).sort()).toEqual(["delete", "post"]);
  });
});

describe("DELETE /v1/apps/{appId}/portal-sessions", () => {
  it("revokes every session of the app and none of another's", async () => {
    const a = await newApp("revoke a");
    const b = await newApp("revoke b");
    const a1 = (await open(a.appId)).body.sessionId;
    const a2 = (await open(a.appId)).body.sessionId;
    const b1 = (await open(b.appId)).body.sessionId;
    const res = await call("DELETE", `/v1/apps/${a.appId}/portal-sessions`, { token: a.key });
    expect(res.status).toBe(204);
    expect((await getPortalSession(env.DB, a1))?.revoked_at).toEqual(expect.any(Number));
    expect((await getPortalSession(env.DB, a2))?.revoked_at).toEqual(expect.any(Number));
    expect((await getPortalSession(env.DB, b1))?.revoked_at).toBeNull();
    // Another app's key cannot revoke them.
    expect(
      (await call("DELETE", `/v1/apps/${b.appId}/portal-sessions`, { token: a.key })).status,
    ).toBe(404);
  });
});

describe("deleting an app", () => {
  it("revokes its portal sessions", async () => {
    const { appId } = await newApp("portal deleted");
    const { sessionId } = (await open(appId)).body;
    expect((await call("DELETE", `/v1/apps/${appId}`)).status).toBe(204);
    expect((await getPortalSession(env.DB, sessionId))?.revoked_at).toEqual(expect.any(Number));
  });
});

describe("portalOrigins on an app", () => {
  it("is set on create, normalised, changed by PATCH, and carried to open sessions", async () => {
    const created = await call<{ id: string; portalOrigins?: string[] }>("POST", "/v1/apps", {
      body: {
        name: "framed",
        portalOrigins: [
          "https://app.example.com/",
          "https://app.example.com",
          "http://127.0.0.1:3000",
        ],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.portalOrigins).toEqual([
      "https://app.example.com",
      "http://127.0.0.1:3000",
    ]);
    const appId = created.body.id;
    const session = (await open(appId)).body.sessionId;
    expect(JSON.parse((await getPortalSession(env.DB, session))?.frame_origins ?? "null")).toEqual([
      "https://app.example.com",
      "http://127.0.0.1:3000",
    ]);
    const patched = await call<{ portalOrigins?: string[] }>("PATCH", `/v1/apps/${appId}`, {
      body: { portalOrigins: ["https://other.example.com:8443"] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.portalOrigins).toEqual(["https://other.example.com:8443"]);
    expect((await getPortalSession(env.DB, session))?.frame_origins).toBe(
      '["https://other.example.com:8443"]',
    );
    const cleared = await call<{ portalOrigins?: string[] }>("PATCH", `/v1/apps/${appId}`, {
      body: { portalOrigins: null },
    });
    expect(cleared.body.portalOrigins).toBeUndefined();
    expect((await getPortalSession(env.DB, session))?.frame_origins).toBeNull();
  });

  it("refuses what is not an origin", async () => {
    for (const origin of [
      "http://app.example.com",
      "https://app.example.com/path",
      "https://app.example.com?x=1",
      "https://user@app.example.com",
      "app.example.com",
      "'none'",
      "https://a.example.com; script-src *",
    ]) {
      const res = await call("POST", "/v1/apps", {
        body: { name: "bad", portalOrigins: [origin] },
      });
      expect(res.status, origin).toBe(422);
    }
  });

  it("moves with the app to another shard", async () => {
    const two = { ...env, DB_1: env.TEST_DB_B } as Env;
    const request = (method: string, path: string, body?: unknown) =>
      worker.fetch(
        new Request(`https://hooklane.test${path}`, {
          method,
          headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
        two,
        createExecutionContext(),
      );
    const made = await request("POST", "/v1/apps", {
      name: "moving portal",
      shard: 0,
      portalOrigins: ["https://embed.example.com"],
    });
    const appId = ((await made.json()) as { id: string }).id;
    expect((await request("POST", `/v1/apps/${appId}/move`, { shard: 1 })).status).toBe(202);
    // The copy is the sweeper's; run it past the fence until the directory switches.
    let at = Date.now() + moveFenceMs(settings(two)) + 1000;
    for (let i = 0; i < 10; i++) {
      await sweep(two, at);
      at += 1000;
      const res = await request("GET", `/v1/apps/${appId}`);
      const body = (await res.json()) as { shard: number; portalOrigins?: string[] };
      if (body.shard === 1) {
        expect(body.portalOrigins).toEqual(["https://embed.example.com"]);
        break;
      }
    }
    const row = await env.TEST_DB_B.prepare("SELECT portal_origins FROM apps WHERE id = ?")
      .bind(appId)
      .first<{ portal_origins: string | null }>();
    expect(row?.portal_origins).toBe('["https://embed.example.com"]');
  });
});
