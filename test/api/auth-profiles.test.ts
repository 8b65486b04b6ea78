import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, newApp, newEndpoint } from "../helpers";
import { allPages, countFor, expectProblem, type Page, type ProfileBody } from "./support";

const base = (appId: string) => `/v1/apps/${appId}/auth-profiles`;

async function createProfile(appId: string, body: Record<string, unknown> = {}) {
  const res = await call<ProfileBody>("POST", base(appId), { body });
  expect(res.status).toBe(201);
  return res.body;
}

function base64Bytes(b64: string): number {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).byteLength;
}

/** Every stored secret row of a profile. */
async function secretRows(profileId: string) {
  const { results } = await env.DB.prepare(
    "SELECT secret_enc, public_key, expires_at FROM auth_profile_secrets WHERE profile_id = ? ORDER BY id",
  )
    .bind(profileId)
    .all<{ secret_enc: string; public_key: string | null; expires_at: number | null }>();
  return results;
}

describe("creating auth profiles", () => {
  it("makes an hmac-sha256 profile by default with a whsec_ secret of 24+ random bytes", async () => {
    const { appId } = await newApp();
    const profile = await createProfile(appId, { name: "shared" });
    expect(profile).toEqual({
      id: expect.stringMatching(/^ap_[0-9A-Z]{26}$/),
      type: "hmac-sha256",
      name: "shared",
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+={0,2}$/),
      createdAt: expect.any(String),
    });
    expect(base64Bytes((profile.secret ?? "").slice("whsec_".length))).toBeGreaterThanOrEqual(24);
  });

  it("gives every profile a different secret", async () => {
    const { appId } = await newApp();
    const one = await createProfile(appId);
    const two = await createProfile(appId);
    expect(one.secret).not.toBe(two.secret);
  });

  it("imports a supplied whsec_ secret", async () => {
    const { appId } = await newApp();
    const secret = `whsec_${btoa("k".repeat(32))}`;
    const profile = await createProfile(appId, { secret });
    expect(profile.secret).toBe(secret);
    const revealed = await call<ProfileBody>("POST", `${base(appId)}/${profile.id}/reveal`);
    expect(revealed.body.secret).toBe(secret);
  });

  it("makes an ed25519 profile whose public key is always readable", async () => {
    const { appId } = await newApp();
    const profile = await createProfile(appId, { type: "ed25519" });
    expect(profile.secret).toMatch(/^whsk_/);
    expect(profile.publicKey).toMatch(/^whpk_[A-Za-z0-9+/]+={0,2}$/);
    const got = await call<ProfileBody>("GET", `${base(appId)}/${profile.id}`);
    expect(got.status).toBe(200);
    expect(got.body.publicKey).toBe(profile.publicKey);
    expect(got.body).not.toHaveProperty("secret");
    const listed = await call<Page<ProfileBody>>("GET", base(appId));
    expect(listed.body.data.find((p) => p.id === profile.id)?.publicKey).toBe(profile.publicKey);
  });

  it("makes a bearer profile with a generated token, or the supplied one", async () => {
    const { appId } = await newApp();
    const generated = await createProfile(appId, { type: "bearer" });
    expect(generated.secret?.length).toBeGreaterThanOrEqual(16);
    const supplied = await createProfile(appId, {
      type: "bearer",
      secret: "receiver-token-0123456789",
    });
    expect(supplied.secret).toBe("receiver-token-0123456789");
  });

  it.each([
    { why: "an unknown type", body: { type: "rsa" }, field: "type" },
    {
      why: "an hmac secret without whsec_",
      body: { secret: "plain-text-secret" },
      field: "secret",
    },
    {
      why: "an hmac secret under 24 bytes",
      body: { secret: `whsec_${btoa("short")}` },
      field: "secret",
    },
    {
      why: "a bearer token under 16 chars",
      body: { type: "bearer", secret: "short" },
      field: "secret",
    },
    {
      why: "a bearer token with spaces",
      body: { type: "bearer", secret: "a token with spaces!" },
      field: "secret",
    },
    {
      why: "a supplied ed25519 key",
      body: { type: "ed25519", secret: "whsk_abc" },
      field: "secret",
    },
    { why: "an unknown field", body: { algorithm: "sha1" }, field: "json" },
  ])("refuses $why with 422 and writes nothing", async ({ body, field }) => {
    const { appId } = await newApp();
    expectProblem(await call("POST", base(appId), { body }), 422, field);
    expect(await countFor("auth_profiles", appId)).toBe(0);
  });
});

describe("secrets stay secret", () => {
  it("never shows hmac, ed25519 or bearer secrets in list or get", async () => {
    const { appId } = await newApp();
    const made = [
      await createProfile(appId),
      await createProfile(appId, { type: "ed25519" }),
      await createProfile(appId, { type: "bearer", secret: "bearer-token-abcdefghijkl" }),
    ];
    const ep = await newEndpoint(appId);
    const secrets = [...made.map((p) => p.secret ?? ""), ep.secret];
    const list = await call<Page<ProfileBody>>("GET", base(appId));
    const gets = await Promise.all(
      [...made.map((p) => p.id), ep.authProfileId].map((id) =>
        call<ProfileBody>("GET", `${base(appId)}/${id}`),
      ),
    );
    const text = JSON.stringify([list.body, ...gets.map((g) => g.body)]);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain("whsec_");
    expect(text).not.toContain("whsk_");
    expect(list.body.data).toHaveLength(4);
    for (const p of list.body.data) expect(p).not.toHaveProperty("secret");
  });

  it("stores secrets encrypted: secret_enc never holds the plaintext", async () => {
    const { appId } = await newApp();
    const hmac = await createProfile(appId);
    const bearer = await createProfile(appId, {
      type: "bearer",
      secret: "bearer-token-abcdefghijkl",
    });
    for (const profile of [hmac, bearer]) {
      const secret = profile.secret ?? "";
      const rows = await secretRows(profile.id);
      expect(rows).toHaveLength(1);
      const stored = rows[0]?.secret_enc ?? "";
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(secret.replace(/^whsec_/, ""));
      expect(stored).toMatch(/^v1\./);
    }
  });
});

describe("reveal and rotate", () => {
  it("reveal returns the current secret", async () => {
    const { appId } = await newApp();
    const profile = await createProfile(appId);
    const res = await call<ProfileBody>("POST", `${base(appId)}/${profile.id}/reveal`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: profile.id, secret: profile.secret });
  });

  it("rotate returns a new secret, reveal then returns it, and the old one stays valid for the grace period", async () => {
    const { appId } = await newApp();
    const profile = await createProfile(appId);
    const before = Date.now();
    const rotated = await call<ProfileBody>("POST", `${base(appId)}/${profile.id}/rotate`, {
      body: { graceSeconds: 3600 },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(profile.secret);
    const revealed = await call<ProfileBody>("POST", `${base(appId)}/${profile.id}/reveal`);
    expect(revealed.body.secret).toBe(rotated.body.secret);
    const rows = await secretRows(profile.id);
    expect(rows).toHaveLength(2);
    const [old, current] = rows;
    expect(current?.expires_at).toBeNull();
    expect(old?.expires_at).toBeGreaterThanOrEqual(before + 3600_000);
    expect(old?.expires_at).toBeLessThanOrEqual(Date.now() + 3600_000);
  });

  it("rotate without a body keeps the old secret for 24 hours", async () => {
    const { appId } = await newApp();
    const profile = await createProfile(appId);
    const before = Date.now();
    const res = await call("POST", `${base(appId)}/${profile.id}/rotate`);
    expect(res.status).toBe(200);
    const old = (await secretRows(profile.id))[0];
    expect(old?.expires_at).toBeGreaterThanOrEqual(before + 86_400_000);
  });

  it("rotate takes a supplied secret and refuses a bad one", async () => {
    const { appId } = await newApp();
    const profile = await createProfile(appId);
    const secret = `whsec_${btoa("r".repeat(40))}`;
    const ok = await call<ProfileBody>("POST", `${base(appId)}/${profile.id}/rotate`, {
      body: { secret },
    });
    expect(ok.body.secret).toBe(secret);
    const bad = await call("POST", `${base(appId)}/${profile.id}/rotate`, {
      body: { secret: "nope" },
    });
    expectProblem(bad, 422, "secret");
    const revealed = await call<ProfileBody>("POST", `${base(appId)}/${profile.id}/reveal`);
    expect(revealed.body.secret).toBe(secret);
  });

  it("rotating an ed25519 profile changes its public key", async () => {
    const { appId } = await newApp();
    const profile = await createProfile(appId, { type: "ed25519" });
    const rotated = await call<ProfileBody>("POST", `${base(appId)}/${profile.id}/rotate`, {
      body: {},
    });
    expect(rotated.body.publicKey).toMatch(/^whpk_/);
    expect(rotated.body.publicKey).not.toBe(profile.publicKey);
    const got = await call<ProfileBody>("GET", `${base(appId)}/${profile.id}`);
    expect(got.body.publicKey).toBe(rotated.body.publicKey);
  });

  it.each([
    { why: "a negative grace", body: { graceSeconds: -1 }, field: "graceSeconds" },
    { why: "a grace over 7 days", body: { graceSeconds: 7 * 86400 + 1 }, field: "graceSeconds" },
  ])("rotate refuses $why with 422", async ({ body, field }) => {
    const { appId } = await newApp();
    const profile = await createProfile(appId);
    expectProblem(await call("POST", `${base(appId)}/${profile.id}/rotate`, { body }), 422, field);
    expect(await secretRows(profile.id)).toHaveLength(1);
  });

  it.each(["rotate", "reveal"])(
    "%s answers 404 for a profile that does not exist",
    async (verb) => {
      const { appId } = await newApp();
      expectProblem(
        await call("POST", `${base(appId)}/ap_00000000000000000000000000/${verb}`),
        404,
      );
    },
  );
});

describe("get, rename, list and delete", () => {
  it("gets a profile and answers 404 for an unknown id", async () => {
    const { appId } = await newApp();
    const profile = await createProfile(appId, { name: "p" });
    const got = await call<ProfileBody>("GET", `${base(appId)}/${profile.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      id: profile.id,
      type: "hmac-sha256",
      name: "p",
      createdAt: profile.createdAt,
    });
    expectProblem(await call("GET", `${base(appId)}/ap_00000000000000000000000000`), 404);
  });

  it("renames a profile and clears its name", async () => {
    const { appId } = await newApp();
    const profile = await createProfile(appId, { name: "old" });
    const renamed = await call<ProfileBody>("PATCH", `${base(appId)}/${profile.id}`, {
      body: { name: "new" },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe("new");
    expect(renamed.body).not.toHaveProperty("secret");
    const cleared = await call<ProfileBody>("PATCH", `${base(appId)}/${profile.id}`, {
      body: { name: null },
    });
    expect(cleared.body).not.toHaveProperty("name");
  });

  it("answers 404 when renaming an unknown profile and 422 for a type change", async () => {
    const { appId } = await newApp();
    expectProblem(
      await call("PATCH", `${base(appId)}/ap_00000000000000000000000000`, {
        body: { name: "x" },
      }),
      404,
    );
    const profile = await createProfile(appId);
    expectProblem(
      await call("PATCH", `${base(appId)}/${profile.id}`, { body: { type: "bearer" } }),
      422,
    );
  });

  it("pages through profiles, each seen once, ending with a null cursor", async () => {
    const { appId } = await newApp();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await createProfile(appId)).id);
    const { items, pages } = await allPages<ProfileBody>(
      (q) => call<Page<ProfileBody>>("GET", `${base(appId)}${q}`),
      2,
    );
    expect(items.map((p) => p.id)).toEqual([...made].reverse());
    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(pages.at(-1)?.nextCursor).toBeNull();
  });

  it("answers 400 for a garbage cursor", async () => {
    const { appId } = await newApp();
    expectProblem(await call("GET", `${base(appId)}?cursor=@@@`), 400, "cursor");
  });

  it("deletes an unused profile with its secrets", async () => {
    const { appId } = await newApp();
    const profile = await createProfile(appId);
    const res = await call("DELETE", `${base(appId)}/${profile.id}`);
    expect(res.status).toBe(204);
    expectProblem(await call("GET", `${base(appId)}/${profile.id}`), 404);
    expect(await secretRows(profile.id)).toHaveLength(0);
    expectProblem(await call("DELETE", `${base(appId)}/${profile.id}`), 404);
  });

  it("answers 409 when deleting a profile an endpoint uses, and keeps it", async () => {
    const { appId } = await newApp();
    const profile = await createProfile(appId);
    await newEndpoint(appId, { authProfileId: profile.id });
    const res = await call("DELETE", `${base(appId)}/${profile.id}`);
    expectProblem(res, 409);
    expect((await call("GET", `${base(appId)}/${profile.id}`)).status).toBe(200);
  });

  it("answers 409 when deleting an endpoint's private profile", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    expectProblem(await call("DELETE", `${base(appId)}/${ep.authProfileId}`), 409);
  });
});
