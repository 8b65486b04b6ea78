import { fromBase64, toBase64, utf8 } from "../lib/encoding";
import { importEd25519Secret } from "../security/ed25519";

/** One secret of an auth profile; a rotation carries two, newest first. */
export interface SigningSecret {
  kind: "hmac-sha256" | "ed25519";
  secret: string;
}

// Importing a key costs more than signing with it, and the same few secrets sign every
// delivery an isolate handles, so keys live per isolate. Promises are cached so concurrent
// deliveries share one import. Bounded so a long-lived isolate serving many endpoints
// cannot grow without limit; least recently used goes first.
const MAX_CACHED_KEYS = 1000;
const keyCache = new Map<string, Promise<CryptoKey>>();

function importKey(s: SigningSecret): Promise<CryptoKey> {
  if (s.kind === "ed25519") return importEd25519Secret(s.secret);
  const raw = fromBase64(s.secret.replace(/^whsec_/, ""));
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

function cachedKey(s: SigningSecret): Promise<CryptoKey> {
  const id = `${s.kind}:${s.secret}`;
  const hit = keyCache.get(id);
  if (hit) {
    keyCache.delete(id);
    keyCache.set(id, hit);
    return hit;
  }
  if (keyCache.size >= MAX_CACHED_KEYS) {
    const oldest = keyCache.keys().next();
    if (!oldest.done) keyCache.delete(oldest.value);
  }
  const pending = importKey(s);
  keyCache.set(id, pending);
  // A bad secret must not poison the cache: the next call retries the import.
  pending.catch(() => {
    if (keyCache.get(id) === pending) keyCache.delete(id);
  });
  return pending;
}

/** The Standard Webhooks signed content: `{msgId}.{timestamp}.{body}`. */
export function signedContent(msgId: string, timestamp: number, body: string): string {
  return `${msgId}.${timestamp}.${body}`;
}

/** The `webhook-signature` value: one `v1,`/`v1a,` entry per secret, in the order given. */
export async function signatureHeader(
  secrets: SigningSecret[],
  msgId: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const content = utf8.encode(signedContent(msgId, timestamp, body));
  const parts = await Promise.all(
    secrets.map(async (s) => {
      const key = await cachedKey(s);
      const algorithm = s.kind === "ed25519" ? { name: "Ed25519" } : { name: "HMAC" };
      const sig = new Uint8Array(await crypto.subtle.sign(algorithm, key, content));
      return `${s.kind === "ed25519" ? "v1a" : "v1"},${toBase64(sig)}`;
    }),
  );
  return parts.join(" ");
}
