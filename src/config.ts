/**
 * Every tunable of Hooklane in one place: read from Worker vars (wrangler.toml `[vars]`,
 * `.dev.vars`, `--var`, test bindings) with the defaults the README's "Settings" lists.
 */
export interface Settings {
  /** Seconds before each retry; its length is the number of retries. */
  retrySchedule: number[];
  requestTimeoutMs: number;
  breakerFailures: number;
  breakerCooldownS: number;
  breakerCooldownMaxS: number;
  disableAfterS: number;
  /** Fewest failures within the no-success window before an endpoint is auto-disabled. */
  disableMinFailures: number;
  /** Failure share (0..1] over the breaker window above which a closed breaker opens. */
  breakerFailureRate: number;
  /** Length of the window over which the breaker measures its failure rate. */
  breakerWindowS: number;
  /** Fewest outcomes in that window before the failure rate may open the breaker. */
  breakerMinRequests: number;
  /** Messages, attempts and dead letters stay in D1 this long; then archived to R2 (or purged without an archive). */
  d1RetentionDays: number;
  /** Archived hours stay in R2 this long (by the hour of their messages' creation). */
  archiveRetentionDays: number;
  /** How long an isolate trusts the directory's answer about an app's shard (seconds). */
  directoryCacheS: number;
  /** Audit entries are kept this long (longer than messages: they say who changed what). */
  auditRetentionDays: number;
  /** Most endpoints one message may fan out to; more is refused at ingest. */
  /** Endpoints an app may have unless the operator set its own limit. */
  maxEndpoints: number;
  /** How long a hand-off may stay unanswered (a first try with no outcome, a lease run out) before the sweeper takes over. */
  sweepGraceS: number;
  /** Local development only: allow `http:` and loopback targets. Never set in production. */
  allowInsecureTargets: boolean;
  /** Resolve target names over DNS-over-HTTPS and refuse private answers (off with insecure targets). */
  dnsCheck: boolean;
}

/** Optional vars with defaults; listed here because `wrangler types` only knows vars that are set. */
type OptionalVar =
  | "DISABLE_MIN_FAILURES"
  | "BREAKER_FAILURE_RATE"
  | "BREAKER_WINDOW_S"
  | "BREAKER_MIN_REQUESTS"
  | "DIRECTORY_CACHE_S";

type Vars = Partial<Record<keyof Env | OptionalVar, unknown>>;

function int(value: unknown, fallback: number, min = 0): number {
  if (typeof value !== "string" || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n >= min ? Math.floor(n) : fallback;
}

function fraction(value: unknown, fallback: number): number {
  if (typeof value !== "string" || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 && n <= 1 ? n : fallback;
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
    disableMinFailures: int(env.DISABLE_MIN_FAILURES, 10, 1),
    breakerFailureRate: fraction(env.BREAKER_FAILURE_RATE, 0.75),
    breakerWindowS: int(env.BREAKER_WINDOW_S, 60, 1),
    breakerMinRequests: int(env.BREAKER_MIN_REQUESTS, 20, 1),
    d1RetentionDays: int(env.D1_RETENTION_DAYS, 7, 1),
    archiveRetentionDays: int(env.ARCHIVE_RETENTION_DAYS, 90, 1),
    directoryCacheS: int(env.DIRECTORY_CACHE_S, 30, 1),
    auditRetentionDays: int(env.AUDIT_RETENTION_DAYS, 365, 1),
    maxEndpoints: Math.min(int(env.MAX_ENDPOINTS, 10_000, 1), MAX_ENDPOINTS_CEILING),
    sweepGraceS: int(env.SWEEP_GRACE_S, 120, 1),
    allowInsecureTargets: env.ALLOW_INSECURE_TARGETS === "true",
    dnsCheck: env.DNS_CHECK !== "false" && env.ALLOW_INSECURE_TARGETS !== "true",
  };
  cache.set(env, parsed);
  return parsed;
}

/** Extra lease time beyond the request deadline before a handed-out delivery counts as lost. */
export const LEASE_MARGIN_MS = 30_000;

/** How long a consumer may hold a delivery it was handed (its lease). */
export function leaseMs(cfg: Settings): number {
  return cfg.requestTimeoutMs + LEASE_MARGIN_MS;
}

/**
 * The most endpoints any app may have: a message row lists its fan-out (~28 bytes per
 * endpoint), and a D1 row holds at most 2 MB.
 */
export const MAX_ENDPOINTS_CEILING = 50_000;

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
