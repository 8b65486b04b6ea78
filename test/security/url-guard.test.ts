import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkTargetUrl, isPublicAddress } from "../../src/security/url-guard";

const PROD = { allowInsecure: false };
const DEV = { allowInsecure: true };

function reasonOf(input: string, opts: { allowInsecure: boolean }): string {
  const result = checkTargetUrl(input, opts);
  if (result.ok) throw new Error(`expected ${input} to be refused`);
  return result.reason;
}

describe("WHATWG URL canonicalisation in workerd", () => {
  // The guard relies on these; if the runtime ever stops canonicalising, this fails first.
  it.each([
    ["127.1", "127.0.0.1"],
    ["2130706433", "127.0.0.1"],
    ["0x7f000001", "127.0.0.1"],
    ["0177.0.0.1", "127.0.0.1"],
    ["0", "0.0.0.0"],
    ["127.0.0.1.", "127.0.0.1"],
    ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]"],
    ["[0:0:0:0:0:0:0:1]", "[::1]"],
    ["[2001:0DB8:0000::0001]", "[2001:db8::1]"],
    ["%6c%6fcalhost", "localhost"],
    ["ｌｏｃａｌｈｏｓｔ", "localhost"],
  ])("parses host %s as %s", (host, canonical) => {
    expect(new URL(`https://${host}/`).hostname).toBe(canonical);
  });
});

// [host spelling, what the reason must say about its class]
const NON_LOOPBACK_HOSTS: [string, RegExp][] = [
  ["0", /unspecified/],
  ["[::]", /unspecified/],
  ["[::ffff:127.0.0.1]", /IPv4-mapped form of 127\.0\.0\.1, a loopback/],
  ["[::ffff:10.0.0.1]", /IPv4-mapped form of 10\.0\.0\.1, a private/],
  ["[fe80::1]", /link-local/],
  ["[fc00::1]", /unique local/],
  ["[fd12::1]", /unique local/],
  ["[fec0::1]", /site-local/],
  ["[ff02::1]", /multicast/],
  ["[64:ff9b::7f00:1]", /NAT64/],
  ["[64:ff9b:1::1]", /NAT64/],
  ["[100::1]", /discard-only/],
  ["[2002:7f00:1::]", /6to4/],
  ["[2001:db8::1]", /documentation/],
  ["[2001:0:4136:e378::1]", /Teredo/],
  ["[2001:10::1]", /ORCHID/],
  ["[2001:20::1]", /ORCHID/],
  ["[::7f00:1]", /reserved/],
  ["169.254.169.254", /link-local/],
  ["100.64.0.1", /CGNAT/],
  ["198.18.0.1", /benchmarking/],
  ["192.0.0.8", /IETF protocol/],
  ["192.0.2.1", /documentation/],
  ["198.51.100.1", /documentation/],
  ["203.0.113.1", /documentation/],
  ["192.88.99.1", /6to4 relay/],
  ["10.0.0.1", /private/],
  ["172.16.0.1", /private/],
  ["172.31.255.255", /private/],
  ["192.168.1.1", /private/],
  ["224.0.0.1", /multicast/],
  ["240.0.0.1", /reserved/],
  ["255.255.255.255", /broadcast/],
  ["a.localhost", /loopback name/],
  ["printer.local", /\.local/],
  ["metadata.google.internal", /\.internal/],
  ["nas.home.arpa", /\.home\.arpa/],
  ["intranet", /single-label/],
];

// Refused in production, allowed in local development.
const LOOPBACK_HOSTS: [string, RegExp][] = [
  ["127.1", /127\.0\.0\.1 is a loopback address/],
  ["2130706433", /127\.0\.0\.1 is a loopback address/],
  ["0x7f000001", /127\.0\.0\.1 is a loopback address/],
  ["0177.0.0.1", /127\.0\.0\.1 is a loopback address/],
  ["127.0.0.1", /loopback address/],
  ["[::1]", /\[::1\] is a loopback address/],
  ["localhost", /loopback name/],
  ["localhost.", /loopback name/],
  ["ｌｏｃａｌｈｏｓｔ", /loopback name/],
];

const BAD_URLS: [string, RegExp][] = [
  ["http://user:pass@example.com/", /username or password/],
  ["https://user@example.com/", /username or password/],
  ["https://:pass@example.com/", /username or password/],
  ["ftp://example.com/", /must use http/],
  ["javascript:alert(1)", /must use http/],
  ["file:///etc/passwd", /must use http/],
  ["data:text/plain,hi", /must use http/],
  ["example.com/hook", /not a valid absolute URL/],
  ["https://exa\nmple.com/", /whitespace or control/],
  [" https://example.com/", /whitespace or control/],
  [`https://example.com/${"a".repeat(2048)}`, /longer than 2048/],
];

describe("checkTargetUrl in production", () => {
  it.each([...NON_LOOPBACK_HOSTS, ...LOOPBACK_HOSTS])("refuses https://%s/", (host, reason) => {
    expect(reasonOf(`https://${host}/hook`, PROD)).toMatch(reason);
  });

  it.each(BAD_URLS)("refuses %s", (input, reason) => {
    expect(reasonOf(input, PROD)).toMatch(reason);
  });

  it.each(["https://1.1.1.1/", "https://[2606:4700::1111]/", "https://[::ffff:1.1.1.1]/"])(
    "refuses the public IP literal %s",
    (input) => {
      expect(reasonOf(input, PROD)).toMatch(/is an IP address; use a DNS name/);
    },
  );

  it("refuses http", () => {
    expect(reasonOf("http://example.com/hook", PROD)).toMatch(/must use https/);
  });

  it.each([
    "https://example.com/hook",
    "https://api.example.co.uk:8443/x?y=1",
    "https://example.com./",
  ])("accepts %s", (input) => {
    const result = checkTargetUrl(input, PROD);
    expect(result.ok && result.url.href).toBe(new URL(input).href);
  });

  it("accepts a URL of exactly 2048 characters", () => {
    const base = "https://example.com/";
    expect(checkTargetUrl(base + "a".repeat(2048 - base.length), PROD).ok).toBe(true);
  });

  it("checks the normalised length, after percent-encoding", () => {
    const base = "https://example.com/";
    expect(reasonOf(`${base}${"é".repeat(1000)}`, PROD)).toMatch(/once normalised/);
  });
});

describe("checkTargetUrl in local development", () => {
  it.each(NON_LOOPBACK_HOSTS)("still refuses http://%s/", (host, reason) => {
    expect(reasonOf(`http://${host}/hook`, DEV)).toMatch(reason);
  });

  it.each(BAD_URLS)("still refuses %s", (input, reason) => {
    expect(reasonOf(input, DEV)).toMatch(reason);
  });

  it.each(LOOPBACK_HOSTS)("allows loopback http://%s:9000/hook", (host) => {
    expect(checkTargetUrl(`http://${host}:9000/hook`, DEV).ok).toBe(true);
  });

  it.each([
    "http://127.0.0.1:9000/hook",
    "http://localhost:9000",
    "https://[2606:4700::1111]/",
    "https://1.1.1.1/",
    "http://example.com/hook",
  ])("accepts %s", (input) => {
    const result = checkTargetUrl(input, DEV);
    expect(result.ok && result.url.href).toBe(new URL(input).href);
  });

  it("judges every integer spelling of an IPv4 address like its dotted form", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (n) => {
        const dotted = [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join(".");
        const expected = isPublicAddress(dotted) || dotted.startsWith("127.");
        for (const spelling of [String(n), `0x${n.toString(16)}`, dotted]) {
          expect(checkTargetUrl(`http://${spelling}/`, DEV).ok).toBe(expected);
        }
      }),
    );
  });
});

describe("isPublicAddress", () => {
  it.each([
    "1.1.1.1",
    "8.8.8.8",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700::1111",
    "[2606:4700::1111]",
    "2a00:1450:4001:82a::200e",
    "::ffff:1.1.1.1",
    "::ffff:101:101",
  ])("%s is public", (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it.each([
    "127.0.0.1",
    "10.1.2.3",
    "169.254.169.254",
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "fe80::1",
    "fd00::1",
    "64:ff9b::808:808",
    "2001:db8::1",
    "2002:808:808::1",
    // Not an address at all, or a form a resolver never returns: not public.
    "",
    "example.com",
    "127.1",
    "256.1.1.1",
    "1.2.3",
    "fe80::1%eth0",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "12345::1",
  ])("%s is not public", (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });
});
