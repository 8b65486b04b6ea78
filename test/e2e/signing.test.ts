import { createPublicKey, verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Hooklane,
  type Received,
  type Receiver,
  startHooklane,
  startReceiver,
} from "./harness";

/**
 * Every auth kind as a receiver checks it, outside the Workers runtime: ed25519 (`v1a`) with
 * Node's own crypto and nothing but the public key (standardwebhooks 1.1 verifies `v1` only),
 * a rotation signing with both keys, new first, and bearer tokens.
 */

interface Profile {
  id: string;
  type: string;
  secret?: string;
  publicKey?: string;
}

/** A `whpk_` public key as a Node KeyObject. */
function publicKeyOf(whpk: string) {
  const raw = Buffer.from(whpk.replace(/^whpk_/, ""), "base64");
  return createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") },
    format: "jwk",
  });
}

/** The `v1a` signatures of a request, in header order. */
function v1aSignatures(req: Received): Buffer[] {
  const header = String(req.headers["webhook-signature"] ?? "");
  return header
    .split(" ")
    .filter((s) => s.startsWith("v1a,"))
    .map((s) => Buffer.from(s.slice(4), "base64"));
}

function verifiesWith(whpk: string, req: Received, signature: Buffer | undefined): boolean {
  if (!signature) return false;
  const signed = `${req.headers["webhook-id"]}.${req.headers["webhook-timestamp"]}.${req.body}`;
  return verify(null, Buffer.from(signed), publicKeyOf(whpk), signature);
}

describe("e2e signing: ed25519 and bearer, verified in Node", () => {
  let hooklane: Hooklane | undefined;
  let receiver: Receiver | undefined;
  let appId = "";

  beforeAll(async () => {
    receiver = await startReceiver();
    hooklane = await startHooklane();
    const app = await hooklane.api("/v1/apps", { body: { name: "signing" } });
    expect(app.status, hooklane.logs()).toBe(201);
    appId = (app.body as { id: string }).id;
  });

  afterAll(async () => {
    await hooklane?.stop();
    await receiver?.close();
  });

  /** Creates an endpoint on `path` with the profile; returns a sender of one message to it. */
  async function endpointWith(h: Hooklane, r: Receiver, path: string, profileId: string) {
    const endpoint = await h.api(`/v1/apps/${appId}/endpoints`, {
      body: { url: r.url(path), authProfileId: profileId },
    });
    expect(endpoint.status).toBe(201);
    return (n: number) => sendAndWait(h, r, path, n);
  }

  /** Sends one message and returns the request the receiver got for it on `path`. */
  async function sendAndWait(h: Hooklane, r: Receiver, path: string, n: number) {
    const sent = await h.api(`/v1/apps/${appId}/messages`, {
      body: { eventType: "invoice.paid", payload: { n } },
    });
    expect(sent.status).toBe(202);
    const id = (sent.body as { id: string }).id;
    const find = () => r.requests.find((q) => q.path === path && q.webhookId === id);
    await r.waitFor(() => find() !== undefined, 15_000, `the delivery of ${id} to ${path}`);
    const req = find();
    if (!req) throw new Error("unreachable");
    return req;
  }

  it("ed25519: v1a signatures verify with the public key alone, both keys during a rotation", async () => {
    if (!hooklane || !receiver) throw new Error("not started");
    const created = await hooklane.api(`/v1/apps/${appId}/auth-profiles`, {
      body: { type: "ed25519", name: "asymmetric" },
    });
    expect(created.status).toBe(201);
    const profile = created.body as Profile;
    expect(profile.publicKey).toMatch(/^whpk_/);
    const oldKey = profile.publicKey ?? "";

    const send = await endpointWith(hooklane, receiver, "/ed25519", profile.id);
    const first = await send(1);
    const [only, ...none] = v1aSignatures(first);
    expect(none).toEqual([]);
    expect(verifiesWith(oldKey, first, only)).toBe(true);
    // The same signature does not verify a tampered body.
    expect(verifiesWith(oldKey, { ...first, body: `${first.body} ` }, only)).toBe(false);

    const rotated = await hooklane.api(`/v1/apps/${appId}/auth-profiles/${profile.id}/rotate`, {
      body: { graceSeconds: 3600 },
    });
    expect(rotated.status).toBe(200);
    const newKey = (rotated.body as Profile).publicKey ?? "";
    expect(newKey).toMatch(/^whpk_/);
    expect(newKey).not.toBe(oldKey);

    const second = await send(2);
    const [newest, previous] = v1aSignatures(second);
    expect(verifiesWith(newKey, second, newest)).toBe(true);
    expect(verifiesWith(oldKey, second, previous)).toBe(true);
    expect(verifiesWith(oldKey, second, newest)).toBe(false);
  });

  it("bearer: the token in Authorization, no signature header", async () => {
    if (!hooklane || !receiver) throw new Error("not started");
    const created = await hooklane.api(`/v1/apps/${appId}/auth-profiles`, {
      body: { type: "bearer", name: "token" },
    });
    expect(created.status).toBe(201);
    const profile = created.body as Profile;
    const send = await endpointWith(hooklane, receiver, "/bearer", profile.id);
    const req = await send(3);
    expect(req.headers.authorization).toBe(`Bearer ${profile.secret}`);
    expect(req.headers["webhook-signature"]).toBeUndefined();
    expect(req.headers["webhook-id"]).toMatch(/^msg_/);
  });
});
