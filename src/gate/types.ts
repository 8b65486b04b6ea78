/**
 * The EndpointGate's RPC contract, shared by the Durable Object and its callers (the delivery
 * consumer, the health route, re-enabling an endpoint).
 */

/** The endpoint's own limits, passed on every admit so an edit takes effect at once. */
export interface GateLimits {
  rateLimit: number | null;
  maxConcurrency: number;
  fifo: boolean;
}

/** What admit granted: a lease per slot, and when to ask again for the rest. */
export interface AdmitResult {
  /** One lease id per granted slot (length <= n). */
  leases: string[];
  /** For the ungranted rest: ms until a slot may be available (0 if all granted). */
  retryAfterMs: number;
  breaker: "closed" | "open" | "half-open";
}

/** The result of one attempt made under a lease. */
export interface GateOutcome {
  leaseId: string;
  /** The attempt succeeded. */
  ok: boolean;
  /** For the breaker (timeouts, connect errors, 5xx, 429, configured 4xx); the caller decides. */
  countsAsFailure: boolean;
  latencyMs: number;
  /** A 429/503 Retry-After: pause the whole endpoint that long. */
  retryAfterMs?: number;
}

/** Set when auto-disable triggers. */
export interface ReportResult {
  /** The reason text to store as the endpoint's disabledReason. */
  disable?: string;
}

/** Traffic figures over one window. */
export interface GateWindow {
  requests: number;
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** The gate's view of an endpoint, for the health route. */
export interface GateHealth {
  breaker: "closed" | "open" | "half-open";
  consecutiveFailures: number;
  nextProbeAt: string | null;
  pausedUntil: string | null;
  /** Requests still allowed in the current 1 s window (null = no rate limit). */
  tokens: number | null;
  inFlight: number;
  lastHour: GateWindow;
  lastDay: GateWindow;
  lastSuccessAt: string | null;
}
