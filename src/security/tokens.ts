import { randomBytes, toBase64, toBase64Url, toHex, utf8 } from "../lib/encoding";

/** SHA-256 of a token, hex: what is stored for API keys and compared on each request. */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(text))));
}

/** Constant-time equality of two strings (equal length is checked first, which leaks only length). */
export function timingSafeEqualText(a: string, b: string): boolean {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  if (x.byteLength !== y.byteLength) return false;
  return crypto.subtle.timingSafeEqual(x, y);
}

/** Constant-time check of a presented token against the admin token (hashes equalise length). */
export async function matchesToken(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(presented), sha256Hex(expected)]);
  return timingSafeEqualText(a, b);
}

/** A new app API key, `hk_` + 32 random bytes. */
export function newApiKeyToken(): string {
  return `hk_${toBase64Url(randomBytes(32))}`;
}

/** A new Standard Webhooks symmetric secret: `whsec_` + base64 of 32 random bytes. */
export function newHmacSecret(): string {
  return `whsec_${toBase64(randomBytes(32))}`;
}

/** A new bearer token for receivers that only check `Authorization`. */
export function newBearerToken(): string {
  return `hlb_${toBase64Url(randomBytes(32))}`;
}
