import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { fromBase64, toBase64 } from "../../src/lib/encoding";
import { open, seal } from "../../src/security/secret-box";
import type { ProfileBody } from "../api/support";
import { call, newApp, rememberSecret } from "../helpers";

/**
 * ENCRYPTION_KEY rotation: the new key seals, keys listed in ENCRYPTION_KEYS_OLD still open
 * what they sealed, and nothing else opens anything.
 */

/** A fresh AES-256 key as the Worker secret holds it (base64 of 32 bytes). */
function newKey(): string {
  const key = toBase64(crypto.getRandomValues(new Uint8Array(32)));
  // The console scan in test/setup.ts then fails the file if a key is ever logged.
  rememberSecret(key);
  return key;
}

/** The key id a ciphertext names: hex of the first 4 bytes of SHA-256 of the raw key. */
async function keyIdOf(b64: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", fromBase64(b64)));
  return [...digest.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function parts(sealed: string) {
  const [version, keyId, iv, data] = sealed.split(".");
  return { version, keyId, iv: iv ?? "", data: data ?? "" };
}

/** Flips one bit of a base64 field. */
function flipBit(b64: string): string {
  const bytes = fromBase64(b64);
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  return toBase64(bytes);
}

const PLAINTEXT = "plaintext-under-test-0123456789";

describe("secret box key rotation", () => {
  it("seals under the current key and names it by its fingerprint", async () => {
    const a = newKey();
    const sealed = await seal({ ENCRYPTION_KEY: a }, PLAINTEXT);
    expect(parts(sealed)).toMatchObject({ version: "v1", keyId: await keyIdOf(a) });
    expect(sealed).not.toContain(PLAINTEXT);
    expect(await open({ ENCRYPTION_KEY: a }, sealed)).toBe(PLAINTEXT);
  });

  it("opens an old key's ciphertext once that key is listed in ENCRYPTION_KEYS_OLD, and seals new ones under the new key", async () => {
    const a = newKey();
    const b = newKey();
    const underA = await seal({ ENCRYPTION_KEY: a }, PLAINTEXT);
    const rotated = { ENCRYPTION_KEY: b, ENCRYPTION_KEYS_OLD: a };

    expect(await open(rotated, underA)).toBe(PLAINTEXT);
    const underB = await seal(rotated, PLAINTEXT);
    expect(parts(underB).keyId).toBe(await keyIdOf(b));
    expect(parts(underB).keyId).not.toBe(parts(underA).keyId);
    expect(await open(rotated, underB)).toBe(PLAINTEXT);
    // What B sealed needs nothing from A, so A can be dropped once everything is re-sealed.
    expect(await open({ ENCRYPTION_KEY: b }, underB)).toBe(PLAINTEXT);
  });

  it("finds the old key in a comma-separated list with spaces", async () => {
    const a = newKey();
    const c = newKey();
    const underA = await seal({ ENCRYPTION_KEY: a }, PLAINTEXT);
    const keys = { ENCRYPTION_KEY: newKey(), ENCRYPTION_KEYS_OLD: ` ${c} , ${a} ,` };
    expect(await open(keys, underA)).toBe(PLAINTEXT);
  });

  it("refuses an old key's ciphertext when that key is not listed, naming the missing key id", async () => {
    const a = newKey();
    const b = newKey();
    const underA = await seal({ ENCRYPTION_KEY: a }, PLAINTEXT);
    await expect(open({ ENCRYPTION_KEY: b }, underA)).rejects.toThrow(
      `no encryption key with id ${await keyIdOf(a)}`,
    );
    await expect(
      open({ ENCRYPTION_KEY: b, ENCRYPTION_KEYS_OLD: newKey() }, underA),
    ).rejects.toThrow(/no encryption key with id/);
  });

  it.each([
    { why: "its data", tamper: (p: ReturnType<typeof parts>) => ({ ...p, data: flipBit(p.data) }) },
    { why: "its iv", tamper: (p: ReturnType<typeof parts>) => ({ ...p, iv: flipBit(p.iv) }) },
    {
      why: "its data cut short",
      tamper: (p: ReturnType<typeof parts>) => ({
        ...p,
        data: toBase64(fromBase64(p.data).subarray(0, -1)),
      }),
    },
  ])("refuses a ciphertext with $why tampered", async ({ tamper }) => {
    const a = newKey();
    const sealed = await seal({ ENCRYPTION_KEY: a }, PLAINTEXT);
    const t = tamper(parts(sealed));
    const tampered = [t.version, t.keyId, t.iv, t.data].join(".");
    expect(tampered).not.toBe(sealed);
    await expect(open({ ENCRYPTION_KEY: a }, tampered)).rejects.toThrow();
  });

  it("refuses a ciphertext relabelled with another known key's id", async () => {
    const a = newKey();
    const b = newKey();
    const underA = parts(await seal({ ENCRYPTION_KEY: a }, PLAINTEXT));
    const relabelled = ["v1", await keyIdOf(b), underA.iv, underA.data].join(".");
    await expect(open({ ENCRYPTION_KEY: b, ENCRYPTION_KEYS_OLD: a }, relabelled)).rejects.toThrow();
  });

  it.each(["", "v2.abcd.iv.data", "v1.abcd.iv", "plaintext"])(
    "refuses %j as an unknown secret format",
    async (text) => {
      await expect(open({ ENCRYPTION_KEY: newKey() }, text)).rejects.toThrow(
        "unknown secret format",
      );
    },
  );
});

describe("auth profile secrets across an ENCRYPTION_KEY rotation", () => {
  const base = (appId: string) => `/v1/apps/${appId}/auth-profiles`;

  async function storedKeyIds(profileId: string, current: boolean): Promise<string[]> {
    const { results } = await env.DB.prepare(
      `SELECT secret_enc FROM auth_profile_secrets
       WHERE profile_id = ? AND (expires_at IS NULL) = ? ORDER BY id`,
    )
      .bind(profileId, current ? 1 : 0)
      .all<{ secret_enc: string }>();
    return results.map((r) => parts(r.secret_enc).keyId ?? "");
  }

  it("reveals a secret sealed under the old key once the new key is set and the old one listed", async () => {
    const { appId } = await newApp();
    const made = await call<ProfileBody>("POST", base(appId), { body: { type: "hmac-sha256" } });
    expect(made.status).toBe(201);
    expect(await storedKeyIds(made.body.id, true)).toEqual([await keyIdOf(env.ENCRYPTION_KEY)]);

    const revealed = await call<ProfileBody>("POST", `${base(appId)}/${made.body.id}/reveal`, {
      vars: { ENCRYPTION_KEY: newKey(), ENCRYPTION_KEYS_OLD: env.ENCRYPTION_KEY },
    });
    expect(revealed.status).toBe(200);
    expect(revealed.body.secret).toMatch(/^whsec_/);
    expect(revealed.body.secret).toBe(made.body.secret);
  });

  it("answers a bare 500 naming no secret, and logs the missing key id, when the old key is not listed", async () => {
    const { appId } = await newApp();
    const made = await call<ProfileBody>("POST", base(appId), { body: {} });
    const errors = vi.spyOn(console, "error");
    const res = await call("POST", `${base(appId)}/${made.body.id}/reveal`, {
      vars: { ENCRYPTION_KEY: newKey() },
    });
    expect(res.status).toBe(500);
    expect(res.body).not.toHaveProperty("secret");
    expect(JSON.stringify(res.body)).not.toContain("whsec_");
    const logged = errors.mock.calls.map((args) => args.join(" ")).join("\n");
    expect(logged).toContain(`no encryption key with id ${await keyIdOf(env.ENCRYPTION_KEY)}`);
  });

  it("seals a signing secret rotated after the key change under the new key; reveal then needs only the new key", async () => {
    const { appId } = await newApp();
    const made = await call<ProfileBody>("POST", base(appId), { body: {} });
    const b = newKey();
    const rotated = await call<ProfileBody>("POST", `${base(appId)}/${made.body.id}/rotate`, {
      body: { graceSeconds: 3600 },
      vars: { ENCRYPTION_KEY: b, ENCRYPTION_KEYS_OLD: env.ENCRYPTION_KEY },
    });
    expect(rotated.status).toBe(200);
    expect(await storedKeyIds(made.body.id, true)).toEqual([await keyIdOf(b)]);
    expect(await storedKeyIds(made.body.id, false)).toEqual([await keyIdOf(env.ENCRYPTION_KEY)]);

    const revealed = await call<ProfileBody>("POST", `${base(appId)}/${made.body.id}/reveal`, {
      vars: { ENCRYPTION_KEY: b },
    });
    expect(revealed.status).toBe(200);
    expect(revealed.body.secret).toBe(rotated.body.secret);
  });
});
