/**
 * The EndpointGate's RPC contract, shared by the Durable Object and its callers (the delivery
 * consumer, the health route, re-enabling an endpoint).
 */

import type { SeriesCell } from "./series";

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
  /**
   * With a rate limit: the time (ms epoch) before which each granted request must not be sent,
   * one per lease. The gate paces by these, so the caller must wait for them.
   */
  notBefore?: number[];
  /** For the ungranted rest: ms until a slot may be available (0 if all granted). */
  retryAfterMs: number;
  breaker: "closed" | "open" | "half-open";
  /**
   * The caller may reuse each slot for several requests in a row within one invocation (so a
   * batch flows at `maxConcurrency` in flight instead of `maxConcurrency` per batch). Only when
   * nothing else bounds the sends: breaker closed, no probe, no rate limit, not FIFO, not in
   * slow start.
   */
  reusable: boolean;
  /** Consecutive failures the caller may see before it must stop sending (the breaker would open). */
  failureBudget: number;
  /**
   * What the ungranted rest waits for: a slot (a report frees one and wakes the endpoint's
   * parked deliveries) or a time (breaker cool-down, pause, pacing: `retryAfterMs`).
   */
  waitFor?: "slot" | "time";
  /** How many times deliveries were parked so far; a wake that found nothing echoes it back. */
  parkSeq?: number;
}

/**
 * What the caller left behind for this endpoint, reported with the outcomes: the gate wakes the
 * endpoint's parked deliveries (a `wake` queue task) when a slot frees or their time comes.
 */
export interface BacklogNote {
  endpointId: string;
  /** The endpoint's app: its wakes name it, so a consumer knows the shard to read. */
  appId: string;
  /** Deliveries were parked; the earliest may go at this time (ms epoch). */
  parkedUntil?: number;
  /** A wake handed out everything that was due; the `parkSeq` its admit returned. */
  drained?: number;
  /** This report answers a wake (another may be sent). */
  woke?: boolean;
  /** Leases granted but not used (a wake found fewer deliveries than slots). */
  unusedLeases?: string[];
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

/** An endpoint's traffic as histogram cells per step, for charts (see series.ts). */
export interface GateSeries {
  breaker: "closed" | "open" | "half-open";
  nextProbeAt: string | null;
  cells: SeriesCell[];
}
