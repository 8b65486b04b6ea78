import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, afterEach, beforeEach, expect, vi } from "vitest";
import { ADMIN, rememberedSecrets } from "./helpers";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
await applyD1Migrations(env.TEST_DB_B, env.TEST_MIGRATIONS);

// Miniflare runs the real queue consumers for messages tests enqueue, and they make outbound
// requests. By default every receiver answers 200; a test that needs another receiver installs
// its own implementation on the same spy.
/** Every receiver answers 200 unless a test says otherwise. */
function defaultReceiver(): void {
  vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("ok"));
}
beforeEach(() => {
  defaultReceiver();
});
afterEach(() => {
  vi.restoreAllMocks();
  // Consumers still running in the background between tests must not reach the real network.
  defaultReceiver();
});

// Secrets are never logged (README, "Safe by default"). Everything written through console during
// this test file (tests, the Worker's handlers and its queue consumers share this isolate) is
// captured, still printed, and scanned once the file is done.
const CONSOLE_METHODS = ["log", "info", "warn", "error", "debug"] as const;
const CAPTURE_KEY = Symbol.for("hooklane.test.console");
type Capture = { lines: string[] };

function formatArg(arg: unknown): string {
  if (typeof arg === "string") return arg;
  if (arg instanceof Error) return `${arg.name}: ${arg.message}\n${arg.stack ?? ""}`;
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}

function consoleCapture(): Capture {
  const g = globalThis as { [CAPTURE_KEY]?: Capture };
  const existing = g[CAPTURE_KEY];
  if (existing) return existing;
  const capture: Capture = { lines: [] };
  g[CAPTURE_KEY] = capture;
  // Wrapped once per isolate; vi.spyOn(console, ...) in a test wraps (and restores to) these.
  for (const method of CONSOLE_METHODS) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      capture.lines.push(`[${method}] ${args.map(formatArg).join(" ")}`);
      original(...args);
    };
  }
  return capture;
}

const captured = consoleCapture();
captured.lines.length = 0;

/** Prefixes of the secrets and tokens Hooklane generates (hmac, ed25519, bearer, API keys). */
const SECRET_PATTERNS = [/whsec_/, /whsk_/, /hlb_/, /\bhk_[A-Za-z0-9_-]{16,}/];

afterAll(() => {
  const output = captured.lines.join("\n");
  // Failures name the kind of secret and the line number, never the value: a failing scan
  // must not print what it found.
  for (const pattern of SECRET_PATTERNS) {
    const at = captured.lines.findIndex((l) => pattern.test(l));
    expect(at, `console line ${at + 1} matches ${pattern}`).toBe(-1);
  }
  // Values a test created or supplied (very short ones would match by accident).
  [ADMIN, ...rememberedSecrets()].forEach((secret, i) => {
    if (secret.length < 8) return;
    const kind = i === 0 ? "the admin token" : `secret #${i} returned by the API`;
    expect(output.includes(secret), `console output contains ${kind}`).toBe(false);
  });
});
