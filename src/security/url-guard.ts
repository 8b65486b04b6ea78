/**
 * Target URL guard: decides whether Hooklane may deliver to a URL (README, "Safe by default").
 *
 * Parsing is left to WHATWG `URL`, which is what `fetch` uses: it canonicalises every IPv4
 * spelling (`127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`) to dotted form and IPv6 to
 * compressed hex, so the checks below only ever see one spelling of each address. Addresses are
 * parsed and matched against CIDR blocks with `ipaddr.js`; the table of what a webhook must
 * never reach, and why, is ours.
 */

import ipaddr from "ipaddr.js";

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2048;

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = { cidr: [Address, number]; description: string; loopback: boolean };
type NonPublic = { description: string; loopback: boolean };

function range(cidr: string, description: string, loopback = false): Range {
  return { cidr: ipaddr.parseCIDR(cidr), description, loopback };
}

const PRIVATE = "a private address";
const LINK_LOCAL = "a link-local address";
const DOCUMENTATION = "a documentation address";
const RESERVED = "a reserved address";

// IANA special-purpose registries, trimmed to what a webhook must never reach.
const NON_PUBLIC_RANGES: readonly Range[] = [
  range("0.0.0.0/8", 'an unspecified ("this network") address'),
  range("10.0.0.0/8", PRIVATE),
  range("100.64.0.0/10", "a shared (CGNAT) address"),
  range("127.0.0.0/8", "a loopback address", true),
  range("169.254.0.0/16", LINK_LOCAL),
  range("172.16.0.0/12", PRIVATE),
  range("192.0.0.0/24", "an IETF protocol assignment address"),
  range("192.0.2.0/24", DOCUMENTATION),
  range("192.88.99.0/24", "a 6to4 relay anycast address"),
  range("192.168.0.0/16", PRIVATE),
  range("198.18.0.0/15", "a benchmarking address"),
  range("198.51.100.0/24", DOCUMENTATION),
  range("203.0.113.0/24", DOCUMENTATION),
  range("255.255.255.255/32", "the broadcast address"),
  range("224.0.0.0/4", "a multicast address"),
  range("240.0.0.0/4", RESERVED),
  range("::/128", "an unspecified address"),
  range("::1/128", "a loopback address", true),
  range("64:ff9b::/96", "a NAT64 address"),
  range("64:ff9b:1::/48", "a NAT64 address"),
  range("100::/64", "a discard-only address"),
  range("2001::/32", "a Teredo address"),
  range("2001:2::/48", "a benchmarking address"),
  range("2001:db8::/32", DOCUMENTATION),
  range("2001:10::/28", "an ORCHID address"),
  range("2001:20::/28", "an ORCHID address"),
  range("2002::/16", "a 6to4 address"),
  range("3fff::/20", DOCUMENTATION),
  range("fc00::/7", "a unique local address"),
  range("fe80::/10", LINK_LOCAL),
  range("fec0::/10", "a site-local address"),
  range("ff00::/8", "a multicast address"),
];

// Outside 2000::/3 IPv6 is unallocated or special (IPv4-compatible ::a.b.c.d, SRv6 SIDs...),
// so anything not in it is refused rather than listing every reserved block.
const GLOBAL_UNICAST = range("2000::/3", "global unicast");

// Names that resolve only on the local host or network (RFC 6761, RFC 6762, RFC 8375, ICANN .internal).
const LOCAL_SUFFIXES: readonly [suffix: string, description: string][] = [
  [".localhost", "a loopback name"],
  [".local", "a multicast DNS (.local) name"],
  [".internal", "a private-use (.internal) name"],
  [".home.arpa", "a home network (.home.arpa) name"],
];

/** Checks a webhook target URL against the safety rules; allowInsecure is for local development only. */
export function checkTargetUrl(input: string, opts: { allowInsecure: boolean }): UrlCheck {
  if (input.length > MAX_URL_LENGTH) {
    return refuse(`The target URL is longer than ${MAX_URL_LENGTH} characters.`);
  }
  // `URL` silently drops tabs and newlines and trims spaces; refusing them keeps what the
  // user typed and what we store identical.
  if (/[\s\p{Cc}]/u.test(input)) {
    return refuse("The target URL must not contain whitespace or control characters.");
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return refuse("The target URL is not a valid absolute URL.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return refuse(
      opts.allowInsecure
        ? "The target URL must use http or https."
        : "The target URL must use https.",
    );
  }
  if (url.username !== "" || url.password !== "") {
    return refuse("The target URL must not contain a username or password.");
  }
  if (url.protocol === "http:" && !opts.allowInsecure) {
    return refuse("The target URL must use https; http is allowed only in local development.");
  }
  // Percent-encoding and IDNA can lengthen the URL, so the stored form is checked too.
  if (url.href.length > MAX_URL_LENGTH) {
    return refuse(`The target URL is longer than ${MAX_URL_LENGTH} characters once normalised.`);
  }
  const reason = hostProblem(url.hostname, opts.allowInsecure);
  return reason === null ? { ok: true, url } : refuse(reason);
}

/**
 * True when `ip` (an IPv4 dotted quad or IPv6 text, brackets allowed) is a publicly routable
 * unicast address. Anything that does not parse, or carries a zone id, counts as not public.
 * IPv4-mapped IPv6 is judged by the IPv4 address it embeds.
 */
export function isPublicAddress(ip: string): boolean {
  const address = parseAddress(ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip);
  return address !== null && nonPublic(address) === null;
}

function refuse(reason: string): UrlCheck {
  return { ok: false, reason };
}

/** Why the host may not be a target, or null when it may. */
function hostProblem(host: string, allowInsecure: boolean): string | null {
  const address = host.startsWith("[") ? parseIPv6(host.slice(1, -1)) : parseIPv4(host);
  if (address !== null) {
    const found = nonPublic(address);
    if (found !== null) {
      return found.loopback && allowInsecure
        ? null
        : `The target host ${host} is ${found.description}.`;
    }
    // Production Workers cannot fetch IP literals, and a name keeps TLS verification meaningful.
    return allowInsecure ? null : `The target host ${host} is an IP address; use a DNS name.`;
  }
  // A trailing dot is the same name to DNS (`localhost.` is localhost).
  const name = host.replace(/\.+$/, "");
  if (name === "localhost") {
    return allowInsecure ? null : `The target host ${host} is a loopback name.`;
  }
  for (const [suffix, description] of LOCAL_SUFFIXES) {
    if (name.endsWith(suffix)) return `The target host ${host} is ${description}.`;
  }
  if (!name.includes(".")) {
    return `The target host ${host} is a single-label name, which only resolves on a local network.`;
  }
  return null;
}

function nonPublic(address: Address): NonPublic | null {
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    const embedded = (address as ipaddr.IPv6).toIPv4Address();
    const found = nonPublic(embedded);
    // Mapped loopback is never treated as loopback: the dev exemption is for plain 127/8 and ::1.
    return found === null
      ? null
      : {
          description: `an IPv4-mapped form of ${embedded.toString()}, ${found.description}`,
          loopback: false,
        };
  }
  const match = NON_PUBLIC_RANGES.find((r) => inRange(address, r));
  if (match !== undefined) return { description: match.description, loopback: match.loopback };
  if (address.kind() === "ipv6" && !inRange(address, GLOBAL_UNICAST)) {
    return { description: RESERVED, loopback: false };
  }
  return null;
}

function inRange(address: Address, r: Range): boolean {
  return address.kind() === r.cidr[0].kind() && address.match(r.cidr);
}

function parseAddress(text: string): Address | null {
  return text.includes(":") ? parseIPv6(text) : parseIPv4(text);
}

/** Strict dotted quad only: lenient spellings are canonicalised by `URL` before reaching here. */
function parseIPv4(text: string): ipaddr.IPv4 | null {
  return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : null;
}

/** IPv6 text (a trailing dotted IPv4 allowed, as DNS answers may have); a zone id never is. */
function parseIPv6(text: string): ipaddr.IPv6 | null {
  if (text.includes("%") || !ipaddr.IPv6.isValid(text)) return null;
  return ipaddr.IPv6.parse(text);
}
