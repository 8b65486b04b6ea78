import { TtlCache } from "../lib/ttl-cache";
import { isPublicAddress } from "./url-guard";

/**
 * A best-effort check that a target's name does not resolve to a private address, over
 * DNS-over-HTTPS (Cloudflare's JSON API, what `node:dns` uses in Workers too). Best effort
 * only: fetch resolves the name again, and a rebinding server can answer differently the
 * second time. It catches the common case, a public-looking name pointing into a private
 * network, at endpoint creation and before sends.
 */

const DOH_URL = "https://cloudflare-dns.com/dns-query";
/** A lookup slower than this says nothing; the send (or the create) goes on. */
const LOOKUP_TIMEOUT_MS = 2000;
const A = 1;
const AAAA = 28;

export type DnsCheck =
  | { ok: true }
  | { ok: false; reason: string }
  /** The lookup failed or timed out: no verdict, the caller goes on. */
  | { ok: "unknown"; reason: string };

interface DohAnswer {
  Status?: number;
  Answer?: { type?: number; data?: string }[];
}

/** Judges a host by its DNS answers: refused when any A or AAAA record is not public. */
export function judgeAnswers(host: string, addresses: string[]): DnsCheck {
  const bad = addresses.find((a) => !isPublicAddress(a));
  return bad === undefined
    ? { ok: true }
    : { ok: false, reason: `The target host ${host} resolves to ${bad}, which is not public.` };
}

async function lookup(host: string, type: number, signal: AbortSignal): Promise<string[]> {
  const url = `${DOH_URL}?name=${encodeURIComponent(host)}&type=${type}`;
  const res = await fetch(url, { headers: { accept: "application/dns-json" }, signal });
  if (!res.ok) throw new Error(`DNS-over-HTTPS answered ${res.status}`);
  const body = (await res.json()) as DohAnswer;
  // NXDOMAIN and friends: nothing to judge; fetch will fail on its own.
  if (body.Status !== 0) return [];
  return (body.Answer ?? [])
    .filter((a) => a.type === type && typeof a.data === "string")
    .map((a) => a.data as string);
}

/** Resolves `host` (A and AAAA) and judges the answers; never throws. */
export async function checkResolvedHost(host: string): Promise<DnsCheck> {
  // Address literals were judged by the URL guard already; there is nothing to resolve.
  if (host.startsWith("[") || /^[\d.]+$/.test(host)) return { ok: true };
  const signal = AbortSignal.timeout(LOOKUP_TIMEOUT_MS);
  const [v4, v6] = await Promise.allSettled([lookup(host, A, signal), lookup(host, AAAA, signal)]);
  if (v4.status === "rejected" && v6.status === "rejected") {
    return { ok: "unknown", reason: String(v4.reason) };
  }
  const addresses = [
    ...(v4.status === "fulfilled" ? v4.value : []),
    ...(v6.status === "fulfilled" ? v6.value : []),
  ];
  return judgeAnswers(host, addresses);
}

/** Verdicts per host for the send path: one lookup per host per minute per isolate. */
const verdicts = new TtlCache<Promise<DnsCheck>>(60_000, 1000);

/** `checkResolvedHost`, remembered for a minute (the send path's form). */
export function checkResolvedHostCached(host: string): Promise<DnsCheck> {
  let hit = verdicts.get(host);
  if (!hit) {
    hit = checkResolvedHost(host);
    // A failed lookup is not remembered: the next send asks again.
    void hit.then((v) => {
      if (v.ok === "unknown") verdicts.delete(host);
    });
    verdicts.set(host, hit);
  }
  return hit;
}
