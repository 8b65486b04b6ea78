/**
 * What a transform may set besides the body: a path suffix on the endpoint's URL and a few
 * headers. Both are checked on every evaluation, since they are computed from the payload.
 */
import { checkCustomHeaders } from "../security/header-guard";
import { TRANSFORM_LIMITS } from "./limits";

// RFC 3986 pchar plus "/": no query, no fragment, no backslash, no space.
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const PERCENT = /%(?![0-9A-Fa-f]{2})/;
// Headers a receiver or its proxy may trust as set by the network, not by the sender.
const NETWORK_HEADERS = /^x-(forwarded(-.*)?|real-ip|original-(url|host|forwarded-for)|client-ip)$/;

/** Why a path suffix is refused, or null when it may be appended. */
export function pathProblem(path: string): string | null {
  if (path.length > TRANSFORM_LIMITS.pathChars)
    return `path is longer than ${TRANSFORM_LIMITS.pathChars} characters`;
  if (!path.startsWith("/")) return 'path must start with "/"';
  if (!PATH_CHARS.test(path))
    return "path may hold only URL path characters (no query, fragment, space or backslash)";
  if (PERCENT.test(path)) return "path has a % not followed by two hex digits";
  if (path.includes("//")) return 'path must not contain "//"';
  // Dot segments, also percent-encoded (URL parsers resolve %2e%2e as ".."), would climb out of
  // the endpoint's own path.
  const segments = path.split("/").map((s) => s.replace(/%2e/gi, "."));
  if (segments.some((s) => s === "." || s === ".."))
    return 'path must not contain "." or ".." segments';
  return null;
}

/**
 * The endpoint URL with `path` appended to its path (its query stays); throws when the result
 * would leave the endpoint's origin or its path, which `pathProblem` should already prevent.
 */
export function withPath(endpointUrl: string, path: string): string {
  const base = new URL(endpointUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  const expected = `${prefix}${path}`;
  const url = new URL(`${base.origin}${expected}${base.search}`);
  if (url.origin !== base.origin || url.pathname !== expected)
    throw new Error("the path suffix would change the URL beyond appending to its path");
  return url.toString();
}

/** Why a header a transform set is refused, one line per header; empty when all may be sent. */
export function headerProblems(headers: Record<string, string>): string[] {
  const names = Object.keys(headers);
  if (names.length > TRANSFORM_LIMITS.headers)
    return [`at most ${TRANSFORM_LIMITS.headers} headers may be set`];
  const problems: string[] = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    if (!lower.startsWith("x-") || lower.length < 3)
      problems.push(`header ${name} cannot be set: a transform may set only x-* headers`);
    else if (NETWORK_HEADERS.test(lower))
      problems.push(`header ${name} cannot be set: receivers trust it as set by their network`);
  }
  // The endpoint guard's rules (token names, value characters and sizes, no duplicates).
  for (const p of checkCustomHeaders(headers, { authSetsAuthorization: true }))
    problems.push(p.detail);
  return problems;
}

/**
 * The endpoint's own headers with the transform's laid over them; a name given in both (in any
 * case) takes the transform's value, so the request never carries two spellings of one header.
 */
export function mergeHeaders(
  own: Record<string, string> | null,
  extra: Record<string, string> | undefined,
): Record<string, string> {
  const out: Record<string, string> = { ...own };
  if (!extra) return out;
  const lower = new Set(Object.keys(extra).map((n) => n.toLowerCase()));
  for (const name of Object.keys(out)) if (lower.has(name.toLowerCase())) delete out[name];
  return Object.assign(out, extra);
}
