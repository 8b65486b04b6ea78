import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signatureHeader, signedContent } from "../../src/delivery/signing";
import { fromBase64, randomBytes, toBase64, utf8 } from "../../src/lib/encoding";
import { newEd25519Pair } from "../../src/security/ed25519";

const newHmacSecret = () => `whsec_${toBase64(randomBytes(24))}`;
const hmac = (secret: string) => ({ kind: "hmac-sha256" as const, secret });

function verifyWith(secret: string, id: string, timestamp: number, body: string, sig: string) {
  return new Webhook(secret).verify(body, {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": sig,
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("signatureHeader", () => {
  it("matches the Standard Webhooks known answer", async () => {
    const header = await signatureHeader(
      [hmac("whsec_plJ3nmyCDGBKInavdOK15jsl")],
      "msg_loFOjxBNrRLzqYUf",
      1731705121,
      '{"event_type":"ping","data":{"success":true}}',
    );
    expect(header).toBe("v1,rAvfW3dJ/X/qxhsaXPOyyCGmRKsaKWcsNccKXlIktD0=");
  });

  it("produces a header the standardwebhooks library accepts", async () => {
    const secret = newHmacSecret();
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: "invoice.paid", data: { id: "inv_1", note: "héllo ✓" } });
    const header = await signatureHeader([hmac(secret)], "msg_1", now, body);
    expect(verifyWith(secret, "msg_1", now, body, header)).toEqual(JSON.parse(body));
  });

  it("signs with every secret during rotation, newest first, each verifying alone", async () => {
    const fresh = newHmacSecret();
    const old = newHmacSecret();
    const now = Math.floor(Date.now() / 1000);
    const body = '{"type":"ping","data":{}}';
    const header = await signatureHeader([hmac(fresh), hmac(old)], "msg_2", now, body);
    const entries = header.split(" ");
    expect(entries).toHaveLength(2);
    expect(entries[0]).toBe(await signatureHeader([hmac(fresh)], "msg_2", now, body));
    expect(entries[1]).toBe(await signatureHeader([hmac(old)], "msg_2", now, body));
    expect(() => verifyWith(fresh, "msg_2", now, body, header)).not.toThrow();
    expect(() => verifyWith(old, "msg_2", now, body, header)).not.toThrow();
    expect(() => verifyWith(newHmacSecret(), "msg_2", now, body, header)).toThrow();
  });

  it("fails verification when the body was altered", async () => {
    const secret = newHmacSecret();
    const now = Math.floor(Date.now() / 1000);
    const header = await signatureHeader([hmac(secret)], "msg_3", now, '{"a":1}');
    expect(() => verifyWith(secret, "msg_3", now, '{"a":2}', header)).toThrow();
  });

  it("signs ed25519 profiles with v1a, verifiable with the public key", async () => {
    const pair = await newEd25519Pair();
    const body = '{"type":"ping"}';
    const header = await signatureHeader(
      [{ kind: "ed25519", secret: pair.secret }],
      "msg_4",
      1731705121,
      body,
    );
    expect(header).toMatch(/^v1a,[A-Za-z0-9+/]+=*$/);
    const publicKey = await crypto.subtle.importKey(
      "raw",
      fromBase64(pair.publicKey.replace(/^whpk_/, "")),
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    const signature = fromBase64(header.slice("v1a,".length));
    const content = utf8.encode(signedContent("msg_4", 1731705121, body));
    expect(await crypto.subtle.verify({ name: "Ed25519" }, publicKey, signature, content)).toBe(
      true,
    );
    const tampered = utf8.encode(signedContent("msg_4", 1731705122, body));
    expect(await crypto.subtle.verify({ name: "Ed25519" }, publicKey, signature, tampered)).toBe(
      false,
    );
  });

  it("mixes hmac and ed25519 entries in the order given", async () => {
    const pair = await newEd25519Pair();
    const header = await signatureHeader(
      [{ kind: "ed25519", secret: pair.secret }, hmac(newHmacSecret())],
      "msg_5",
      1,
      "{}",
    );
    expect(header).toMatch(/^v1a,\S+ v1,\S+$/);
  });

  it("imports each secret once per isolate", async () => {
    const secret = newHmacSecret();
    const importKey = vi.spyOn(crypto.subtle, "importKey");
    await signatureHeader([hmac(secret)], "msg_6", 1, "{}");
    await signatureHeader([hmac(secret)], "msg_7", 2, "{}");
    await Promise.all([1, 2, 3].map((t) => signatureHeader([hmac(secret)], "msg_8", t, "{}")));
    expect(importKey).toHaveBeenCalledTimes(1);
  });

  it("returns an empty header for no secrets", async () => {
    expect(await signatureHeader([], "msg_9", 1, "{}")).toBe("");
  });
});
