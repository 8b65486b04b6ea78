/**
 * End-to-end harness: starts Hooklane exactly as the README does (`node scripts/dev.mjs`, i.e.
 * `wrangler dev --local` plus the sweeper ticker) and a real webhook receiver, both on 127.0.0.1.
 *
 * Runs in plain Node (vitest.e2e.config.ts), never inside workerd: it spawns processes and
 * listens on ports, which the Workers pool cannot do.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";
import { inject } from "vitest";

/** Repo root: this file lives in `<root>/test/e2e/`. */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DEV_SCRIPT = join(ROOT, "scripts", "dev.mjs");
const READY_TIMEOUT_MS = 60_000;
/** How long dev.mjs gets to stop wrangler gracefully before everything is SIGKILLed. */
const STOP_GRACE_MS = 15_000;
/** Keep only the tail of very chatty logs so a long test cannot exhaust memory. */
const MAX_LOG_CHARS = 2_000_000;

/** Options for {@link startHooklane}. */
export interface HooklaneOptions {
  /** Worker vars, passed as `--var K:V` (they win over wrangler.toml and the secrets file). */
  vars?: Record<string, string>;
  /** Port for `wrangler dev`; a free one when omitted. */
  port?: number;
  /** Seconds between sweeper runs (`SWEEP_TICK_S`); "2" by default so tests recover quickly. */
  sweepTickS?: string;
  /**
   * Keep state here instead of a fresh temp dir, and leave it on stop(): a second start with
   * the same dir (and the same `secrets`) is a restart of the same service.
   */
  stateDir?: string;
  /** Admin token and encryption key to reuse across a restart. */
  secrets?: { adminToken: string; encryptionKey: string };
  /**
   * Run as a developer's `npm run dev` does: dev.mjs gets this secrets file
   * (`HOOKLANE_DEV_VARS_PATH`), creating it when missing, and ADMIN_TOKEN, ENCRYPTION_KEY and
   * ALLOW_INSECURE_TARGETS are not passed as `--var` (`vars` still are), so the service uses
   * the file's. `adminToken` is then the file's, read once the service answers; `secrets` is
   * ignored. stop() leaves the file in place.
   */
  devVarsPath?: string;
  /** D1 shards and delivery queues (`--shards`, `--delivery-queues`); one of each by default. */
  topology?: { shards: number; deliveryQueues: number };
}

/** Options for {@link Hooklane.api}. */
export interface ApiInit {
  /** Defaults to POST when a body is given, GET otherwise. */
  method?: string;
  /** Bearer token; the admin token when omitted, no Authorization header when `null`. */
  token?: string | null;
  /** Strings are sent verbatim (to test malformed JSON); anything else is JSON-encoded. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** An HTTP answer from the service; `body` is parsed JSON when the answer says it is JSON. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** A running local Hooklane. */
export interface Hooklane {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  baseUrl: string;
  /** The operator's admin token this instance was started with. */
  adminToken: string;
  /** Everything dev.mjs, wrangler and the Worker printed so far (stdout and stderr). */
  logs(): string;
  /**
   * Stops the service (whole process tree) and removes its state directory. Idempotent. Then
   * scans everything the service printed for secrets (see {@link findSecrets}) and rejects,
   * naming what matched but never the value, when one leaked; only the first call rejects.
   */
  stop(): Promise<void>;
  /**
   * Kills the whole process tree at once with SIGKILL, as a crash would, then cleans up and
   * scans like stop().
   */
  crash(): Promise<void>;
  /** Calls the HTTP API with the admin token unless told otherwise. */
  api(path: string, init?: ApiInit): Promise<ApiResponse>;
}

/** Signals a whole process group; a group already gone is fine. */
function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/** Whether any process of the group is still alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1 (listen on port 0, read it, close).
 * Another process could take it before it is used; good enough for tests on one machine.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the port of a test socket"));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}

/** Waits for a child to exit, at most `timeoutMs`; true when it did. */
function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

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
const SCAN_OVERLAP_CHARS = 512;

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

/** Reads `NAME="value"` (or unquoted) from a dotenv-style file's text. */
function dotenvValue(text: string, name: string): string | undefined {
  const m = new RegExp(`^${name}=(?:"([^"]*)"|(\\S*))\\s*$`, "m").exec(text);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Adds findings of a later scan of the same output; the first excerpt of each kind stays. */
function mergeFindings(into: Map<string, SecretFinding>, found: SecretFinding[]): void {
  for (const f of found) if (!into.has(f.name)) into.set(f.name, f);
}

/** The error stop() throws when the output held secrets: what leaked and where, no values. */
function leakError(findings: SecretFinding[]): Error {
  const lines = findings.map((f) => `  - ${f.name}, first in: ${JSON.stringify(f.excerpt)}`);
  return new Error(
    `Hooklane's output (dev.mjs, wrangler, the Worker) contains secrets; values not shown:\n${lines.join("\n")}`,
  );
}

/**
 * Starts Hooklane with `node scripts/dev.mjs` (the README's command) on a free port, with a
 * fresh state directory (`--persist-to`), random secrets and loopback receivers allowed.
 *
 * `HOOKLANE_DEV_VARS_PATH` points dev.mjs at a secrets file inside the temp dir, so tests never
 * create, read or depend on the developer's own `.dev.vars` (whose other settings, such as a
 * shortened RETRY_SCHEDULE, would otherwise leak into the tests). The `--var` flags win anyway.
 *
 * Always call `stop()` (in `afterAll`). Should the test process die without it, dev.mjs sees
 * its stdin close and stops wrangler by itself (`HOOKLANE_STOP_ON_STDIN_EOF`); only the temp
 * directory is then left behind. (vitest's fork workers end without a Node "exit" event, so an
 * exit hook here would not help.)
 *
 * Resolves once GET /healthz answers; rejects (with the captured logs) after 60 s or when the
 * process exits early, having cleaned up everything it started.
 */
export async function startHooklane(opts: HooklaneOptions = {}): Promise<Hooklane> {
  const port = opts.port ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const dir = await mkdtemp(join(tmpdir(), "hooklane-e2e-"));
  const stateDir = opts.stateDir ?? join(dir, "state");
  // A fresh default service starts from the migrated template (see global-setup.ts); a given
  // state dir, a secrets file (the README's path) or another topology migrates by itself.
  if (opts.stateDir === undefined && opts.devVarsPath === undefined && !opts.topology)
    await cp(inject("migratedState"), stateDir, { recursive: true });
  const devVarsPath = opts.devVarsPath ?? join(dir, ".dev.vars");
  const fromFile = opts.devVarsPath !== undefined;
  // From the file (read once ready) when it is the service's source of secrets.
  let adminToken = opts.secrets?.adminToken ?? `hladm_${randomBytes(32).toString("base64url")}`;
  const encryptionKey = opts.secrets?.encryptionKey ?? randomBytes(32).toString("base64");
  const vars: Record<string, string> = {
    ...(fromFile
      ? {}
      : { ADMIN_TOKEN: adminToken, ENCRYPTION_KEY: encryptionKey, ALLOW_INSECURE_TARGETS: "true" }),
    ...opts.vars,
  };
  /** Values that must never appear in the output; api() adds every secret the service answers. */
  const known: KnownSecret[] = fromFile
    ? []
    : [
        { name: "the admin token", value: adminToken },
        { name: "the encryption key", value: encryptionKey },
      ];
  const args = [
    DEV_SCRIPT,
    "--port",
    String(port),
    // Its own inspector port: two `wrangler dev` starting at once (side-by-side test files, the
    // browser tests among them) would both try 9229, and the loser exits before it is ready.
    "--inspector-port",
    String(await freePort()),
    "--persist-to",
    stateDir,
  ];
  if (opts.topology)
    args.push(
      "--shards",
      String(opts.topology.shards),
      "--delivery-queues",
      String(opts.topology.deliveryQueues),
    );
  for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);

  // detached: dev.mjs leads its own process group, so stop() can signal it as a unit.
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      SWEEP_TICK_S: opts.sweepTickS ?? "2",
      HOOKLANE_DEV_VARS_PATH: devVarsPath,
      // We hold dev.mjs's stdin; if this test process dies, the pipe closes and dev.mjs stops.
      HOOKLANE_STOP_ON_STDIN_EOF: "1",
      WRANGLER_SEND_METRICS: "false",
      // No colours: logs are read by people in assertion messages, not by a terminal.
      NO_COLOR: "1",
      FORCE_COLOR: "0",
    },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  const pgid = child.pid;
  if (pgid === undefined) {
    await rm(dir, { recursive: true, force: true });
    throw new Error("could not spawn scripts/dev.mjs");
  }

  let log = "";
  /** Secrets found in output already trimmed from `log`; the rest is scanned on stop. */
  const leaks = new Map<string, SecretFinding>();
  /** wrangler runs in its own group (see dev.mjs); learnt from dev.mjs's output. */
  let wranglerPgid: number | undefined;
  const onData = (chunk: Buffer): void => {
    log += chunk.toString("utf8");
    if (log.length > MAX_LOG_CHARS) {
      const cut = log.length - MAX_LOG_CHARS;
      // Scan what is about to go (and a little past it, for a secret split by the cut).
      const gone = maskTokenAnnouncement(log.slice(0, cut + SCAN_OVERLAP_CHARS));
      mergeFindings(leaks, findSecrets(gone, known));
      log = log.slice(cut);
    }
    if (wranglerPgid === undefined) {
      const m = /\[dev\] wrangler dev started: pid (\d+)/.exec(log);
      if (m?.[1] !== undefined) wranglerPgid = Number(m[1]);
    }
  };
  // dev.mjs never reads what we write; EPIPE after it exits is expected and harmless.
  child.stdin?.on("error", () => {});
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);

  let stopped: Promise<void> | undefined;
  let scanned = false;
  /** Stops (or crashes) the service, then fails, once, if its output held a secret. */
  const stopAndScan = async (signal?: NodeJS.Signals): Promise<void> => {
    await stop(signal);
    if (scanned) return;
    scanned = true;
    mergeFindings(leaks, findSecrets(maskTokenAnnouncement(log), known));
    if (leaks.size > 0) throw leakError([...leaks.values()]);
  };
  const stop = (signal: NodeJS.Signals = "SIGTERM"): Promise<void> => {
    stopped ??= (async () => {
      if (signal === "SIGKILL" && wranglerPgid !== undefined) killGroup(wranglerPgid, "SIGKILL");
      // dev.mjs forwards SIGTERM to wrangler's group and exits when wrangler has.
      killGroup(pgid, signal);
      if (!(await waitForExit(child, STOP_GRACE_MS))) killGroup(pgid, "SIGKILL");
      await waitForExit(child, 5_000);
      // Belt and braces: if dev.mjs died abruptly, wrangler and workerd may still be running.
      if (wranglerPgid !== undefined) {
        for (let i = 0; i < 20 && groupAlive(wranglerPgid); i++) await sleep(100);
        killGroup(wranglerPgid, "SIGKILL");
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const api = async (path: string, init: ApiInit = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = {};
    const token = init.token === undefined ? adminToken : init.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
      headers["content-type"] = "application/json";
    }
    Object.assign(headers, init.headers);
    const res = await fetch(`${baseUrl}${path}`, {
      method: init.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
      redirect: "manual",
    });
    const text = await res.text();
    const type = res.headers.get("content-type") ?? "";
    let parsed: unknown = text;
    // application/json and application/problem+json alike.
    if (/\bjson\b/.test(type) && text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        // Keep the raw text: a test asserting on a broken answer wants to see it.
      }
    }
    // Answers carry `secret` (auth profiles, endpoints) and `token` (API keys) once.
    if (typeof parsed === "object" && parsed !== null) {
      for (const field of ["secret", "token"] as const) {
        const value = (parsed as Record<string, unknown>)[field];
        if (typeof value === "string" && !known.some((k) => k.value === value)) {
          known.push({ name: `a ${field} the API answered`, value });
        }
      }
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };

  // Wait until the Worker answers, failing fast if the launcher dies.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = "";
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const code = child.exitCode ?? child.signalCode;
      await stop();
      throw new Error(
        `scripts/dev.mjs exited (${code}) before becoming ready. Logs:\n${redactSecrets(maskTokenAnnouncement(log), known)}`,
      );
    }
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      // 503 is a running service reporting itself degraded (what its last sweep saw): up.
      if (res.ok || res.status === 503) break;
      lastError = `GET /healthz answered ${res.status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `Hooklane did not answer GET /healthz within ${READY_TIMEOUT_MS / 1000} s ` +
          `(last: ${lastError}). Logs:\n${redactSecrets(maskTokenAnnouncement(log), known)}`,
      );
    }
    await sleep(200);
  }

  if (fromFile) {
    // dev.mjs wrote (or kept) the file before starting wrangler, so it is there by now.
    const text = await readFile(devVarsPath, "utf8").catch(() => "");
    const fileToken = dotenvValue(text, "ADMIN_TOKEN");
    const fileKey = dotenvValue(text, "ENCRYPTION_KEY");
    if (fileKey) known.push({ name: "the encryption key", value: fileKey });
    if (!fileToken) {
      await stop();
      throw new Error(`${devVarsPath} is unreadable or has no ADMIN_TOKEN`);
    }
    adminToken = fileToken;
    known.push({ name: "the admin token", value: adminToken });
  }

  return {
    baseUrl,
    adminToken,
    logs: () => log,
    stop: () => stopAndScan(),
    crash: () => stopAndScan("SIGKILL"),
    api,
  };
}

/** What the receiver's behaviour sees of a request. */
export interface ReceiverRequest {
  /** The `webhook-id` header ("" when absent). */
  webhookId: string;
  /** 1 for the first request with this webhook id on this path, 2 for the next, ... */
  attempt: number;
  /** URL path without the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Raw body as received. */
  body: string;
}

/** How the receiver answers one request. */
export interface ReceiverReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (to exercise timeouts and concurrency limits). */
  delayMs?: number;
  /** Drop the connection instead of answering (after delayMs), like a crashed receiver. */
  destroy?: boolean;
}

/** A behaviour deciding each reply; may be async. */
export type ReceiverBehaviour = (req: ReceiverRequest) => ReceiverReply | Promise<ReceiverReply>;

/** One request the receiver got. */
export interface Received extends ReceiverRequest {
  method: string;
  /** Arrival time, `Date.now()` when the body was complete. */
  receivedAt: number;
  /** Signature check result when a secret is set for the path; undefined otherwise. */
  verified: boolean | undefined;
  /** Why verification failed, when it did. */
  verifyError?: string;
  /** The status answered (undefined while pending, or when the connection was dropped). */
  responseStatus?: number;
}

/** A running test receiver. */
export interface Receiver {
  /** `http://127.0.0.1:<port><path>`. */
  url(path: string): string;
  /** Every request so far, in arrival order (live array). */
  requests: Received[];
  /** Verify requests to `path` with this Standard Webhooks secret (`whsec_...`). */
  setSecret(path: string, secret: string): void;
  /** Polls `pred` every 50 ms; rejects naming `what` and listing the requests on timeout. */
  waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Stops listening and drops open connections (including delayed answers). */
  close(): Promise<void>;
}

/** Flattens Node's header record to what standardwebhooks expects. */
function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

/**
 * Starts an HTTP receiver on a free 127.0.0.1 port. It records every request and, for paths
 * with a secret, verifies the Standard Webhooks signature. Answers 200 "ok" unless a
 * behaviour says otherwise; a behaviour that throws answers 500.
 */
export async function startReceiver(behaviour?: ReceiverBehaviour): Promise<Receiver> {
  const decide: ReceiverBehaviour = behaviour ?? (() => ({ status: 200, body: "ok" }));
  const requests: Received[] = [];
  const secrets = new Map<string, string>();
  const attempts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const receivedAt = Date.now();
    const path = new URL(req.url ?? "/", "http://receiver").pathname;
    const header = req.headers["webhook-id"];
    const webhookId = (Array.isArray(header) ? header[0] : header) ?? "";
    // Counted per path: the same message goes to several endpoints, each with its own retries.
    const key = `${path}\u0000${webhookId}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);

    let verified: boolean | undefined;
    let verifyError: string | undefined;
    const secret = secrets.get(path);
    if (secret !== undefined) {
      try {
        // jsonParse off: judge the signature only, not whether the body happens to be JSON.
        new Webhook(secret).verify(body, flatHeaders(req.headers), { jsonParse: false });
        verified = true;
      } catch (err) {
        verified = false;
        verifyError = err instanceof Error ? err.message : String(err);
      }
    }
    const record: Received = {
      webhookId,
      attempt,
      path,
      headers: req.headers,
      body,
      method: req.method ?? "",
      receivedAt,
      verified,
      ...(verifyError === undefined ? {} : { verifyError }),
    };
    requests.push(record);

    let reply: ReceiverReply;
    try {
      reply = await decide({ webhookId, attempt, path, headers: req.headers, body });
    } catch (err) {
      reply = { status: 500, body: `receiver behaviour threw: ${String(err)}` };
    }
    if (reply.delayMs !== undefined && reply.delayMs > 0) await delay(reply.delayMs);
    // The client may have given up (timeout) or close() may have dropped the socket meanwhile.
    if (res.destroyed) return;
    if (reply.destroy) {
      req.socket.destroy();
      return;
    }
    record.responseStatus = reply.status;
    res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
    res.end(reply.body ?? "");
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new Error("could not read the receiver's port");
  }
  const base = `http://127.0.0.1:${address.port}`;

  let closed: Promise<void> | undefined;
  return {
    url: (path) => `${base}${path.startsWith("/") ? path : `/${path}`}`,
    requests,
    setSecret: (path, secret) => {
      secrets.set(path, secret);
    },
    waitFor: async (pred, timeoutMs, what) => {
      const deadline = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > deadline) {
          const seen = requests
            .map((r) => `  ${r.path} id=${r.webhookId} #${r.attempt} -> ${r.responseStatus}`)
            .join("\n");
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; ` +
              `receiver saw ${requests.length} request(s)${seen ? `:\n${seen}` : ""}`,
          );
        }
        await sleep(50);
      }
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        // Keep-alive sockets from workerd would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
