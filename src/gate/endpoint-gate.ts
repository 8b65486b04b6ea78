import { DurableObject } from "cloudflare:workers";

/**
 * One per endpoint (`idFromName(endpointId)`): decides whether a delivery may go now.
 * The breaker, rate limit and concurrency land with the gate issue; until then every
 * request is allowed.
 */
export class EndpointGate extends DurableObject<Env> {}
