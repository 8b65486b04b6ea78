import { fromBase64, toBase64 } from "../lib/encoding";

/**
 * Ed25519 keys in Standard Webhooks form: the secret is `whsk_` + base64(seed || publicKey)
 * (the 64-byte libsodium layout), the public key `whpk_` + base64(publicKey).
 */
const PKCS8_ED25519_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

export interface Ed25519Pair {
  secret: string;
  publicKey: string;
}

/** A fresh key pair. */
export async function newEd25519Pair(): Promise<Ed25519Pair> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(
    (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer,
  );
  const pub = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  const seed = pkcs8.subarray(PKCS8_ED25519_PREFIX.length);
  const both = new Uint8Array(64);
  both.set(seed, 0);
  both.set(pub, 32);
  return { secret: `whsk_${toBase64(both)}`, publicKey: `whpk_${toBase64(pub)}` };
}

/** Imports a `whsk_` secret as a signing CryptoKey. */
export async function importEd25519Secret(secret: string): Promise<CryptoKey> {
  const raw = fromBase64(secret.replace(/^whsk_/, ""));
  const pkcs8 = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
  pkcs8.set(PKCS8_ED25519_PREFIX, 0);
  pkcs8.set(raw.subarray(0, 32), PKCS8_ED25519_PREFIX.length);
  return crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
}
