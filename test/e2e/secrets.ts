/**
 * Secrets in a service's output: what Hooklane generates (by prefix) and the values a test
 * knows, found, redacted and reported by name and place, never by value. The e2e harness scans
 * everything `npm run dev` printed with these when a service stops.
 */

/**
 * Secrets Hooklane generates, by prefix. A prefix alone is not enough to match: it must be
 * followed by the start of a secret's body, so messages that merely name the format (a
 * validation error saying "whsec_ followed by base64", a source line `whsec_${...}`) do not
 * count. Ids (`key_`, `ep_`, `app_`...) and ed25519 public keys (`whpk_`) are not secrets.
 */
const SECRET_PATTERNS: readonly { name: string; pattern: RegExp }[] = [
  { name: "a whsec_ signing secret", pattern: /whsec_[A-Za-z0-9+/]{8,}=*/g },
  { name: "a whsk_ ed25519 private key", pattern: /whsk_[A-Za-z0-9+/]{8,}=*/g },
  { name: "an hlb_ bearer token", pattern: /hlb_[A-Za-z0-9_-]{8,}/g },
  { name: "an hk_ API key", pattern: /\bhk_[A-Za-z0-9_-]{16,}/g },
];
/** Known secret values shorter than this are not searched for: they would match by accident. */
const MIN_SECRET_CHARS = 12;
/** Text scanned again across a cut, so a secret split by the log's tail trimming is still seen. */
export const SCAN_OVERLAP_CHARS = 512;

/** One kind of secret found in a service's output: what it is and where, never its value. */
export interface SecretFinding {
  /** Which pattern or known value matched, e.g. "a whsec_ signing secret" or "the admin token". */
  name: string;
  /** The first line it appeared on, with every secret replaced by `[redacted ...]`. */
  excerpt: string;
}

/** A secret value the service was given or answered with, named for reports. */
export interface KnownSecret {
  name: string;
  value: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Matchers for the prefix patterns and for known values. A known value is searched for without
 * its `word_` prefix (`whsec_`, `hladm_`...), so its body leaking on its own is caught too.
 */
function secretMatchers(known: readonly KnownSecret[]): { name: string; pattern: RegExp }[] {
  const matchers = SECRET_PATTERNS.map(({ name, pattern }) => ({
    name,
    pattern: new RegExp(pattern.source, pattern.flags),
  }));
  for (const { name, value } of known) {
    const body = value.replace(/^[a-z]+_/, "");
    if (body.length < MIN_SECRET_CHARS) continue;
    matchers.push({ name, pattern: new RegExp(escapeRegExp(body), "g") });
  }
  return matchers;
}

/** `text` with every secret (prefix patterns and known values) replaced by `[redacted <name>]`. */
export function redactSecrets(text: string, known: readonly KnownSecret[] = []): string {
  let out = text;
  for (const { name, pattern } of secretMatchers(known)) {
    out = out.replace(pattern, `[redacted ${name}]`);
  }
  return out;
}

/**
 * Secrets in a service's output: Hooklane's secret and token formats (`whsec_`, `whsk_`,
 * `hlb_`, `hk_`) and the known values (admin token, encryption key, secrets the API answered).
 * Empty when the text is clean. Findings name the kind of secret, never its value.
 */
export function findSecrets(text: string, known: readonly KnownSecret[] = []): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const { name, pattern } of secretMatchers(known)) {
    if (findings.some((f) => f.name === name)) continue;
    const first = pattern.exec(text);
    if (first === null) continue;
    const lineStart = text.lastIndexOf("\n", first.index) + 1;
    const lineEnd = text.indexOf("\n", first.index);
    const line = text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
    const redacted = redactSecrets(line, known);
    // Overlapping secrets could survive one pass of replacements: then show no excerpt at all.
    const clean = secretMatchers(known).every((m) => !m.pattern.test(redacted));
    findings.push({ name, excerpt: clean ? redacted.slice(0, 300) : "(withheld)" });
  }
  return findings;
}

/**
 * dev.mjs prints a token it has just generated, once and by design (the README's "prints the
 * token"): `[dev] Admin token (also in <file> as ADMIN_TOKEN):`, then `[dev]   hladm_...`.
 * That one line is masked before a scan; the token anywhere else still counts as a leak.
 */
export function maskTokenAnnouncement(text: string): string {
  return text.replace(
    /^(\[dev\] Admin token \(also in .+ as ADMIN_TOKEN\):\r?\n\[dev\] {3})hladm_[A-Za-z0-9_-]+$/gm,
    "$1[announced]",
  );
}

/** Adds findings of a later scan of the same output; the first excerpt of each kind stays. */
export function mergeFindings(into: Map<string, SecretFinding>, found: SecretFinding[]): void {
  for (const f of found) if (!into.has(f.name)) into.set(f.name, f);
}

/** The error stop() throws when the output held secrets: what leaked and where, no values. */
export function leakError(findings: SecretFinding[]): Error {
  const lines = findings.map((f) => `  - ${f.name}, first in: ${JSON.stringify(f.excerpt)}`);
  return new Error(
    `Hooklane's output (dev.mjs, wrangler, the Worker) contains secrets; values not shown:\n${lines.join("\n")}`,
  );
}
