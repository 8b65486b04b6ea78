import { fromBase64, toBase64, toHex, utf8 } from "../lib/encoding";

/**
 * AES-256-GCM for secrets at rest. Ciphertexts read `v1.<keyId>.<iv>.<data>`; the key id is a
 * fingerprint of the key so ENCRYPTION_KEY can rotate: the new key encrypts, keys listed in
 * ENCRYPTION_KEYS_OLD still decrypt what they wrote.
 */
interface Keyring {
  current: { id: string; key: CryptoKey };
  byId: Map<string, CryptoKey>;
}

const keyrings = new Map<string, Promise<Keyring>>();

async function importKey(b64: string): Promise<{ id: string; key: CryptoKey }> {
  const raw = fromBase64(b64.trim());
  if (raw.byteLength !== 32) throw new Error("ENCRYPTION_KEY must be base64 of 32 bytes");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  const id = toHex(digest.subarray(0, 4));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { id, key };
}

function keyring(current: string, old = ""): Promise<Keyring> {
  const cacheKey = `${current}|${old}`;
  let ring = keyrings.get(cacheKey);
  if (!ring) {
    ring = (async () => {
      const cur = await importKey(current);
      const byId = new Map([[cur.id, cur.key]]);
      for (const b64 of old.split(",").filter((s) => s.trim())) {
        const k = await importKey(b64);
        byId.set(k.id, k.key);
      }
      return { current: cur, byId };
    })();
    ring.catch(() => keyrings.delete(cacheKey));
    keyrings.set(cacheKey, ring);
  }
  return ring;
}

export interface SecretKeys {
  ENCRYPTION_KEY: string;
  ENCRYPTION_KEYS_OLD?: string;
}

/** Encrypts a secret under the current key. */
export async function seal(keys: SecretKeys, plaintext: string): Promise<string> {
  const ring = await keyring(keys.ENCRYPTION_KEY, keys.ENCRYPTION_KEYS_OLD);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    ring.current.key,
    utf8.encode(plaintext),
  );
  return `v1.${ring.current.id}.${toBase64(iv)}.${toBase64(new Uint8Array(data))}`;
}

/** Decrypts a sealed secret with whichever known key wrote it. */
export async function open(keys: SecretKeys, sealed: string): Promise<string> {
  const [version, keyId, iv, data] = sealed.split(".");
  if (version !== "v1" || !keyId || !iv || !data) throw new Error("unknown secret format");
  const ring = await keyring(keys.ENCRYPTION_KEY, keys.ENCRYPTION_KEYS_OLD);
  const key = ring.byId.get(keyId);
  if (!key) throw new Error(`no encryption key with id ${keyId}`);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv) },
    key,
    fromBase64(data),
  );
  return new TextDecoder().decode(plain);
}
