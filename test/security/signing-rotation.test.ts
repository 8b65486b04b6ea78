import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { ProfileBody } from "../api/support";
import { receiver, runConsumer, type Seen, seedDeliveries } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

/**
 * Signing-secret rotation: a rotated-out secret keeps signing for its grace period, at most ten
 * of them are kept, and one whose grace is over signs nothing.
 */

const rotatePath = (appId: string, profileId: string) =>
  `/v1/apps/${appId}/auth-profiles/${profileId}/rotate`;

/** Secret rows of a profile, oldest first. */
async function secretRows(profileId: string) {
  const { results } = await env.DB.prepare(
    "SELECT id, expires_at FROM auth_profile_secrets WHERE profile_id = ? ORDER BY id",
  )
    .bind(profileId)
    .all<{ id: string; expires_at: number | null }>();
  return results;
}

async function currentRowId(profileId: string): Promise<string> {
  const row = (await secretRows(profileId)).find((r) => r.expires_at === null);
  if (!row) throw new Error("profile has no current secret");
  return row.id;
}

async function rotate(appId: string, profileId: string, graceSeconds = 3600): Promise<string> {
  const res = await call<ProfileBody>("POST", rotatePath(appId, profileId), {
    body: { graceSeconds },
  });
  expect(res.status).toBe(200);
  return res.body.secret ?? "";
}

/** Runs one delivery to the endpoint through the consumer and returns what the receiver got. */
async function deliverOnce(
  appId: string,
  endpointId: string,
  vars: Partial<Record<keyof Env, string>> = {},
): Promise<Seen> {
  const seen = receiver(() => new Response("ok"));
  const [task] = await seedDeliveries(appId, [endpointId]);
  const result = await runConsumer([task], vars);
  expect(result.explicitAcks).toEqual(["q0"]);
  const req = seen[0];
  if (!req) throw new Error("the receiver got no request");
  return req;
}

function verifies(secret: string, req: Seen): boolean {
  try {
    new Webhook(secret).verify(req.body, req.headers);
    return true;
  } catch {
    return false;
  }
}

describe("signing-secret rotation", () => {
  it("drops the oldest secrets beyond ten: 12 rotations keep the current and the 10 newest old ones", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const secrets = [ep.secret];
    const rowIds = [await currentRowId(ep.authProfileId)];
    for (let i = 0; i < 12; i++) {
      secrets.push(await rotate(appId, ep.authProfileId));
      rowIds.push(await currentRowId(ep.authProfileId));
    }
    expect(new Set(rowIds).size).toBe(13);

    const rows = await secretRows(ep.authProfileId);
    expect(rows).toHaveLength(11);
    expect(rows.filter((r) => r.expires_at === null)).toHaveLength(1);
    // The first secret and the first rotation's are gone; every later one is kept.
    expect(rows.map((r) => r.id)).toEqual(rowIds.slice(2));

    // What a receiver sees: 11 signatures, none of them by the two dropped secrets.
    const req = await deliverOnce(appId, ep.id);
    expect(req.headers["webhook-signature"]?.split(" ")).toHaveLength(11);
    expect(secrets.map((s) => verifies(s, req))).toEqual([
      false,
      false,
      ...Array<boolean>(11).fill(true),
    ]);
  });

  it("stops signing with an old secret once its grace period is over", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const oldRowId = await currentRowId(ep.authProfileId);
    const next = await rotate(appId, ep.authProfileId, 3600);

    // Inside the grace period both secrets sign.
    const during = await deliverOnce(appId, ep.id);
    expect(during.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(verifies(ep.secret, during)).toBe(true);

    // The grace period elapses (the row stays until a sweep or the next rotation drops it).
    await env.DB.prepare("UPDATE auth_profile_secrets SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1000, oldRowId)
      .run();
    expect(await secretRows(ep.authProfileId)).toHaveLength(2);

    const after = await deliverOnce(appId, ep.id);
    const signatures = after.headers["webhook-signature"]?.split(" ") ?? [];
    expect(signatures).toHaveLength(1);
    expect(signatures[0]).toMatch(/^v1,/);
    expect(verifies(next, after)).toBe(true);
    expect(verifies(ep.secret, after)).toBe(false);
  });

  it("drops a secret rotated out with no grace at once", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const next = await rotate(appId, ep.authProfileId, 0);
    expect(await secretRows(ep.authProfileId)).toEqual([
      { id: await currentRowId(ep.authProfileId), expires_at: null },
    ]);
    const req = await deliverOnce(appId, ep.id);
    expect(verifies(next, req)).toBe(true);
    expect(verifies(ep.secret, req)).toBe(false);
  });

  it("signs with the current secret alone when an old one's encryption key was retired", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    // The profile was created under the test key; the operator moves to a new key and
    // rotates the signing secret while the old key is still listed...
    const testKey = env.ENCRYPTION_KEY;
    const newKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const res = await call<ProfileBody>("POST", rotatePath(appId, ep.authProfileId), {
      body: { graceSeconds: 3600 },
      vars: { ENCRYPTION_KEY: newKey, ENCRYPTION_KEYS_OLD: testKey },
    });
    expect(res.status).toBe(200);
    const next = res.body.secret ?? "";
    // ...then retires the old key too early: the old secret, still in grace, cannot be opened.
    const req = await deliverOnce(appId, ep.id, {
      ENCRYPTION_KEY: newKey,
      ENCRYPTION_KEYS_OLD: "",
    });
    expect(req.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
    expect(verifies(next, req)).toBe(true);
  });
});
