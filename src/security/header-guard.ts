/** Custom-header guard: which endpoint headers Hooklane will add to each delivery request. */

export type HeaderProblem = { field: string; detail: string };

const MAX_HEADERS = 20;
const MAX_VALUE_BYTES = 4096;

// Framing and hop-by-hop headers belong to the HTTP layer; letting a user set them could
// desynchronise the request or smuggle a second one through a proxy.
const RESERVED: ReadonlyMap<string, string> = new Map([
  ["host", "is derived from the target URL"],
  ["content-length", "is computed from the payload"],
  ["transfer-encoding", "is a framing header set by the HTTP client"],
  ["connection", "is a hop-by-hop header"],
  ["keep-alive", "is a hop-by-hop header"],
  ["upgrade", "is a hop-by-hop header"],
  ["te", "is a hop-by-hop header"],
  ["trailer", "is a hop-by-hop header"],
  ["content-type", "is set by the endpoint's format"],
]);

// RFC 9110 section 5.6.2 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 field-value characters: HTAB, SP, VCHAR and obs-text (latin1 0x80-0xFF).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Problems with an endpoint's custom headers, one per bad header; empty when all are acceptable. */
export function checkCustomHeaders(
  headers: Record<string, string>,
  opts: { authSetsAuthorization: boolean },
): HeaderProblem[] {
  const entries = Object.entries(headers);
  // One problem is enough here: listing hundreds of headers back would just echo the abuse.
  if (entries.length > MAX_HEADERS) {
    return [{ field: "headers", detail: `At most ${MAX_HEADERS} custom headers are allowed.` }];
  }
  const problems: HeaderProblem[] = [];
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    const detail = nameProblem(name, opts) ?? valueProblem(name, value);
    const lower = name.toLowerCase();
    if (detail !== null) {
      problems.push({ field: `headers.${name}`, detail });
    } else if (seen.has(lower)) {
      // `Headers` would merge the two into one comma-joined value the user did not write.
      problems.push({
        field: `headers.${name}`,
        detail: `Header ${name} is given more than once; names are case-insensitive.`,
      });
    }
    seen.add(lower);
  }
  return problems;
}

function nameProblem(name: string, opts: { authSetsAuthorization: boolean }): string | null {
  if (!TOKEN.test(name)) {
    return `Header name ${JSON.stringify(name)} is not a valid HTTP token.`;
  }
  const lower = name.toLowerCase();
  const reserved = RESERVED.get(lower);
  if (reserved !== undefined) return `Header ${name} cannot be set: it ${reserved}.`;
  if (lower.startsWith("proxy-"))
    return `Header ${name} cannot be set: proxy-* headers are for proxies.`;
  if (lower.startsWith("webhook-")) {
    return `Header ${name} cannot be set: webhook-* headers carry the Standard Webhooks signature.`;
  }
  if (lower === "authorization" && opts.authSetsAuthorization) {
    return `Header ${name} cannot be set: this endpoint's auth setting already sets it.`;
  }
  return null;
}

function valueProblem(name: string, value: string): string | null {
  if (/[\r\n\0]/.test(value)) {
    return `Header ${name} must not contain CR, LF or NUL characters.`;
  }
  if (!FIELD_VALUE.test(value)) {
    return `Header ${name} may contain only visible ASCII, space, tab or latin1 characters.`;
  }
  // Every character is now one latin1 byte on the wire, so length is the byte count.
  if (value.length > MAX_VALUE_BYTES) {
    return `Header ${name} is longer than ${MAX_VALUE_BYTES} bytes.`;
  }
  return null;
}
