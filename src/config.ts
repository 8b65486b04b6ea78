/**
 * Every tunable of Hooklane in one place: read from Worker vars (wrangler.toml `[vars]`,
 * `.dev.vars`, `--var`, test bindings) with the defaults of DESIGN.md.
 */
export interface Settings {
  /** Seconds before each retry; its length is the number of retries. */
  retrySchedule: number[];
  requestTimeoutMs: number;
  breakerFailures: number;
  breakerCooldownS: number;
  breakerCooldownMaxS: number;
  disableAfterS: number;
  retentionDays: number;
  /** Most endpoints one message may fan out to; more is refused at ingest. */
  maxFanout: number;
  /** How long a delivery may sit in `pending`/`delivering` before the sweeper re-enqueues it. */
  sweepGraceS: number;
  /** Local development only: allow `http:` and loopback targets. Never set in production. */
  allowInsecureTargets: boolean;
}

type Vars = Partial<Record<keyof Env, unknown>>;

function int(value: unknown, fallback: number, min = 0): number {
  if (typeof value !== "string" || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n >= min ? Math.floor(n) : fallback;
}

function schedule(value: unknown): number[] {
  const fallback = [5, 300, 1800, 7200, 18000, 36000, 36000];
  if (typeof value !== "string") return fallback;
  const parts = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (parts.length === 0 || parts.some((n) => !Number.isFinite(n) || n < 0)) return fallback;
  return parts;
}

const cache = new WeakMap<object, Settings>();

/** Settings for this env, parsed once per env object. */
export function settings(env: Vars): Settings {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed: Settings = {
    retrySchedule: schedule(env.RETRY_SCHEDULE),
    requestTimeoutMs: int(env.REQUEST_TIMEOUT_MS, 15_000, 1),
    breakerFailures: int(env.BREAKER_FAILURES, 5, 1),
    breakerCooldownS: int(env.BREAKER_COOLDOWN_S, 30, 1),
    breakerCooldownMaxS: int(env.BREAKER_COOLDOWN_MAX_S, 600, 1),
    disableAfterS: int(env.DISABLE_AFTER_S, 432_000, 1),
    retentionDays: int(env.RETENTION_DAYS, 30, 1),
    maxFanout: int(env.MAX_FANOUT, 100, 1),
    sweepGraceS: int(env.SWEEP_GRACE_S, 120, 1),
    allowInsecureTargets: env.ALLOW_INSECURE_TARGETS === "true",
  };
  cache.set(env, parsed);
  return parsed;
}

/** Hard limits that are not per-deployment settings. */
export const LIMITS = {
  /** Largest request body accepted on ingest (bytes). */
  ingestBodyBytes: 256 * 1024,
  /** Largest request body accepted on management routes (bytes). */
  managementBodyBytes: 64 * 1024,
  jsonDepth: 32,
  pageSizeDefault: 50,
  pageSizeMax: 250,
  responseExcerptBytes: 4096,
  /** Queue sendBatch takes at most 100 messages per call. */
  queueBatch: 100,
} as const;
