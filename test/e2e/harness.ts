/**
 * End-to-end harness: starts Hooklane exactly as the README does (`node scripts/dev.mjs`, i.e.
 * `wrangler dev --local` plus the sweeper ticker) and a real webhook receiver, both on 127.0.0.1.
 *
 * Runs in plain Node (vitest.e2e.config.ts), never inside workerd: it spawns processes and
 * listens on ports, which the Workers pool cannot do.
 */

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";
import { freePort, groupAlive, killGroup, sleep, waitForExit } from "./processes";
import {
  findSecrets,
  type KnownSecret,
  leakError,
  maskTokenAnnouncement,
  mergeFindings,
  redactSecrets,
  SCAN_OVERLAP_CHARS,
  type SecretFinding,
} from "./secrets";

export { freePort } from "./processes";
export * from "./receiver";
export {
  findSecrets,
  type KnownSecret,
  maskTokenAnnouncement,
  redactSecrets,
  type SecretFinding,
} from "./secrets";

/** Repo root: this file lives in `<root>/test/e2e/`. */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DEV_SCRIPT = join(ROOT, "scripts", "dev.mjs");
/**
 * From spawn to a first answer, migrations included: a two-shard service migrating from empty
 * while two other files start took 30-40 s on a loaded 2-core machine. Under the 120 s hook.
 */
const READY_TIMEOUT_MS = 90_000;
/** How long dev.mjs gets to stop wrangler gracefully before everything is SIGKILLed. */
const STOP_GRACE_MS = 15_000;
/** Keep only the tail of very chatty logs so a long test cannot exhaust memory. */
const MAX_LOG_CHARS = 2_000_000;

/** One readiness probe's limit. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * GET `url`'s status, given up after `timeoutMs` whatever happens: the abort is a plain timer
 * and the wait races it, so a connection that never answers cannot hold the readiness loop
 * (and its 90 s limit) past the test hook's own.
 */
async function probe(url: string, timeoutMs: number): Promise<number> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      fetch(url, { signal: controller.signal }).then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      }),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

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

/** Reads `NAME="value"` (or unquoted) from a dotenv-style file's text. */
function dotenvValue(text: string, name: string): string | undefined {
  const m = new RegExp(`^${name}=(?:"([^"]*)"|(\\S*))\\s*$`, "m").exec(text);
  return m ? (m[1] ?? m[2]) : undefined;
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
 * Resolves once GET /healthz answers; rejects (with the captured logs) after 90 s or when the
 * process exits early, having cleaned up everything it started.
 */
export async function startHooklane(opts: HooklaneOptions = {}): Promise<Hooklane> {
  const entered = Date.now();
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
  const spawnedAfterMs = Date.now() - entered;
  let lastError = "";
  let warned = false;
  for (;;) {
    if (!warned && Date.now() > deadline - READY_TIMEOUT_MS / 2) {
      // A slow start says where it is, so a hook timeout never comes without a clue.
      warned = true;
      console.warn(
        `[harness] ${baseUrl} not ready ${READY_TIMEOUT_MS / 2000} s after spawning (spawned ${spawnedAfterMs} ms after the call); last: ${lastError}`,
      );
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      const code = child.exitCode ?? child.signalCode;
      await stop();
      throw new Error(
        `scripts/dev.mjs exited (${code}) before becoming ready. Logs:\n${redactSecrets(maskTokenAnnouncement(log), known)}`,
      );
    }
    try {
      const status = await probe(`${baseUrl}/healthz`, PROBE_TIMEOUT_MS);
      // 503 is a running service reporting itself degraded (what its last sweep saw): up.
      if (status === 200 || status === 503) break;
      lastError = `GET /healthz answered ${status}`;
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
