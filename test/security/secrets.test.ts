import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { open } from "../../src/security/secret-box";
import type { EndpointBody, Page, ProfileBody } from "../api/support";
import { call, newApp } from "../helpers";

/**
 * Secrets are returned on create, rotate and reveal only: never by a list or get, never in the
 * audit log, and never stored in plaintext (README, "Safe by default").
 */

const PREFIXES = ["whsec_", "whsk_", "hlb_"];

interface Made {
  label: string;
  type: ProfileBody["type"];
  profileId: string;
  /** Every secret this profile has had (create, rotations). */
  secrets: string[];
}

function randomBase64(bytes: number): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(bytes))));
}

/** The secret and the forms of it a careless store or log would show. */
function forms(secret: string): string[] {
  const prefix = PREFIXES.find((p) => secret.startsWith(p)) ?? "";
  const body = secret.slice(prefix.length);
  const out = [secret, body, body.slice(0, 24)];
  // The raw bytes in the other base64 alphabet, and in hex.
  try {
    const std = body.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
    out.push(
      std.replace(/=+$/, ""),
      std.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
      [...raw].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join(""),
    );
  } catch {
    // not base64 (a supplied bearer token): the text itself is what matters
  }
  return [...new Set(out.filter((f) => f.length >= 16))];
}

/** Keys named `secret` anywhere in a JSON value. */
function secretKeys(value: unknown, path = "$"): string[] {
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k === "secret" ? [`${path}.${k}`] : []),
    ...secretKeys(v, `${path}.${k}`),
  ]);
}

let appId: string;
let key: string;
let apiKeyToken: string;
const made: Made[] = [];
const endpointIds: string[] = [];

function allSecrets(): string[] {
  return [...made.flatMap((m) => m.secrets), apiKeyToken];
}

beforeAll(async () => {
  ({ appId, key } = await newApp("secrets"));
  apiKeyToken = key;
  const profiles: [string, Record<string, unknown>][] = [
    ["hmac generated", { type: "hmac-sha256" }],
    ["hmac supplied", { type: "hmac-sha256", secret: `whsec_${randomBase64(32)}` }],
    ["ed25519", { type: "ed25519" }],
    ["bearer generated", { type: "bearer" }],
    ["bearer supplied", { type: "bearer", secret: `static-token-${randomBase64(24)}` }],
  ];
  for (const [label, body] of profiles) {
    const res = await call<ProfileBody>("POST", `/v1/apps/${appId}/auth-profiles`, {
      token: key,
      body: { ...body, name: label },
    });
    expect(res.status, label).toBe(201);
    const secret = res.body.secret;
    if (!secret) throw new Error(`${label}: no secret on create`);
    if (body.secret !== undefined) expect(secret).toBe(body.secret);
    made.push({ label, type: res.body.type, profileId: res.body.id, secrets: [secret] });
    const ep = await call<EndpointBody>("POST", `/v1/apps/${appId}/endpoints`, {
      token: key,
      body: {
        url: `https://${label.replace(/ /g, "-")}.example.com/hook`,
        authProfileId: res.body.id,
      },
    });
    expect(ep.status, label).toBe(201);
    expect(ep.body.secret, `${label}: an endpoint on a shared profile shows no secret`).toBe(
      undefined,
    );
    endpointIds.push(ep.body.id);
  }
  // An endpoint with its own private profile: its secret comes back once, on create.
  const own = await call<EndpointBody>("POST", `/v1/apps/${appId}/endpoints`, {
    token: key,
    body: { url: "https://own.example.com/hook" },
  });
  expect(own.status).toBe(201);
  if (!own.body.secret) throw new Error("no secret for the private profile");
  made.push({
    label: "private hmac",
    type: "hmac-sha256",
    profileId: own.body.authProfileId,
    secrets: [own.body.secret],
  });
  endpointIds.push(own.body.id);

  // Rotations (generated and supplied) and a reveal add secrets that must stay out of view too.
  for (const m of made) {
    if (m.type === "ed25519" || m.label === "hmac generated" || m.label === "bearer generated") {
      const rotated = await call<ProfileBody>(
        "POST",
        `/v1/apps/${appId}/auth-profiles/${m.profileId}/rotate`,
        { token: key, body: { graceSeconds: 3600 } },
      );
      expect(rotated.status, m.label).toBe(200);
      if (!rotated.body.secret) throw new Error(`${m.label}: no secret on rotate`);
      m.secrets.push(rotated.body.secret);
    }
  }
  const supplied = made.find((m) => m.label === "hmac supplied");
  if (!supplied) throw new Error("setup");
  const next = `whsec_${randomBase64(48)}`;
  const rotated = await call<ProfileBody>(
    "POST",
    `/v1/apps/${appId}/auth-profiles/${supplied.profileId}/rotate`,
    { token: key, body: { secret: next, graceSeconds: 60 } },
  );
  expect(rotated.status).toBe(200);
  supplied.secrets.push(next);
  const revealed = await call<ProfileBody>(
    "POST",
    `/v1/apps/${appId}/auth-profiles/${supplied.profileId}/reveal`,
    { token: key },
  );
  expect(revealed.body.secret).toBe(next);
});

describe("secrets in API answers", () => {
  it("generates the documented formats", () => {
    const byLabel = new Map(made.map((m) => [m.label, m.secrets[0] ?? ""]));
    expect(byLabel.get("hmac generated")).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(byLabel.get("ed25519")).toMatch(/^whsk_[A-Za-z0-9+/]+={0,2}$/);
    expect(byLabel.get("bearer generated")).toMatch(/^hlb_[A-Za-z0-9_-]+$/);
    expect(byLabel.get("private hmac")).toMatch(/^whsec_/);
  });

  it("no list or get of profiles, endpoints, messages or the audit log carries one", async () => {
    const paths = [
      `/v1/apps/${appId}/auth-profiles?limit=250`,
      ...made.map((m) => `/v1/apps/${appId}/auth-profiles/${m.profileId}`),
      `/v1/apps/${appId}/endpoints?limit=250`,
      ...endpointIds.map((id) => `/v1/apps/${appId}/endpoints/${id}`),
      ...endpointIds.map((id) => `/v1/apps/${appId}/endpoints/${id}/health`),
      `/v1/apps/${appId}/audit?limit=250`,
      `/v1/apps/${appId}/messages`,
      `/v1/apps/${appId}/dead-letters`,
      `/v1/apps/${appId}`,
      `/v1/apps/${appId}/api-keys`,
    ];
    let scanned = 0;
    for (const path of paths) {
      // The admin and the app's own key see the same redacted views.
      for (const token of [undefined, key]) {
        const res = await call("GET", path, { token });
        if (token === key && (path.endsWith("/api-keys") || path === `/v1/apps/${appId}`)) {
          expect(res.status).toBe(403); // admin only
          continue;
        }
        expect(res.status, path).toBe(200);
        const text = JSON.stringify(res.body);
        expect(secretKeys(res.body), path).toEqual([]);
        for (const prefix of PREFIXES)
          expect(text, `${path} contains ${prefix}`).not.toContain(prefix);
        for (const secret of allSecrets()) {
          for (const form of forms(secret)) {
            expect(text.includes(form), `${path} contains a secret`).toBe(false);
          }
        }
        scanned++;
      }
    }
    expect(scanned).toBeGreaterThan(30);
  });

  it("lists show every profile, with the ed25519 public key readable", async () => {
    const list = await call<Page<ProfileBody>>("GET", `/v1/apps/${appId}/auth-profiles?limit=250`, {
      token: key,
    });
    const ids = list.body.data.map((p) => p.id);
    for (const m of made.filter((m) => m.label !== "private hmac"))
      expect(ids).toContain(m.profileId);
    const ed = list.body.data.find((p) => p.type === "ed25519");
    expect(ed?.publicKey).toMatch(/^whpk_[A-Za-z0-9+/]+={0,2}$/);
  });
});

describe("secrets at rest", () => {
  it.each([
    "hmac generated",
    "hmac supplied",
    "ed25519",
    "bearer generated",
    "bearer supplied",
    "private hmac",
  ])("%s: auth_profile_secrets.secret_enc holds ciphertext, not the secret", async (label) => {
    const m = made.find((x) => x.label === label);
    if (!m) throw new Error(label);
    const { results } = await env.DB.prepare(
      "SELECT * FROM auth_profile_secrets WHERE profile_id = ? ORDER BY id",
    )
      .bind(m.profileId)
      .all<{ secret_enc: string; public_key: string | null }>();
    expect(results.length).toBe(m.secrets.length);
    const opened: string[] = [];
    for (const row of results) {
      const stored = JSON.stringify(row);
      for (const prefix of PREFIXES) expect(row.secret_enc).not.toContain(prefix);
      for (const secret of m.secrets) {
        for (const form of forms(secret)) {
          expect(stored.includes(form), `${label}: a stored row contains its secret`).toBe(false);
        }
      }
      // `v1.<key id>.<iv>.<AES-GCM data>`, and it opens to one of the profile's secrets.
      expect(row.secret_enc).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
      opened.push(await open(env, row.secret_enc));
    }
    expect(opened.sort()).toEqual([...m.secrets].sort());
  });

  it("no table anywhere holds a secret or an API key in plaintext", async () => {
    const { results: tables } = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
    ).all<{ name: string }>();
    expect(tables.map((t) => t.name)).toContain("auth_profile_secrets");
    for (const { name } of tables) {
      const { results } = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
      const text = JSON.stringify(results);
      for (const secret of allSecrets()) {
        for (const form of forms(secret)) {
          expect(text.includes(form), `table ${name} contains a secret`).toBe(false);
        }
      }
    }
  });
});
