import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiResponse,
  type Hooklane,
  type Receiver,
  startHooklane,
  startReceiver,
} from "./harness";

/**
 * Issue 5, "Must show": a receiver answering 302 towards an internal address is not followed.
 * Two endpoints redirect: one to a second local receiver (which records every hit, so "never
 * followed" is observed, not inferred), one to the cloud metadata address. Each delivery is
 * tried, retried, and ends dead with reason "exhausted", every attempt logged as a 302.
 */

/** Two retries a second apart: three attempts. */
const RETRY_SCHEDULE = "1,1";
const ATTEMPTS = 3;
const WAIT_MS = 60_000;
const METADATA = "http://169.254.169.254/latest/meta-data";

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function body<T>(res: ApiResponse, what: string): T {
  if (typeof res.body !== "object" || res.body === null) {
    throw new Error(`${what}: ${res.status} ${String(res.body)}`);
  }
  return res.body as T;
}

interface Attempt {
  deliveryId: string;
  endpointId: string;
  attempt: number;
  statusCode?: number;
  error?: string;
  responseExcerpt?: string;
}
interface DeadLetter {
  deliveryId: string;
  messageId: string;
  endpointId: string;
  reason: string;
  attempts: number;
}

describe("e2e: redirects are never followed", () => {
  let hooklane: Hooklane | undefined;
  let redirector: Receiver | undefined;
  let internal: Receiver | undefined;
  /** Every secret the service handed out in this file, for the log scan. */
  const secrets: string[] = [];

  beforeAll(async () => {
    internal = await startReceiver(() => ({ status: 200, body: "internal secret data" }));
    const internalUrl = internal.url("/internal-metadata");
    redirector = await startReceiver(({ path }) => {
      if (path === "/to-internal") return { status: 302, headers: { location: internalUrl } };
      if (path === "/to-metadata") return { status: 302, headers: { location: METADATA } };
      return { status: 404 };
    });
    hooklane = await startHooklane({ vars: { RETRY_SCHEDULE } });
  });

  afterAll(async () => {
    await Promise.all([hooklane?.stop(), redirector?.close(), internal?.close()]);
  });

  it("records the 302, retries, dead-letters as exhausted, and never reaches the Location", async () => {
    if (!hooklane || !redirector || !internal) throw new Error("setup failed");
    const h = hooklane;
    const app = body<{ id: string }>(
      await h.api("/v1/apps", { body: { name: "redirects" } }),
      "app",
    );
    const endpoints: Record<string, string> = {};
    for (const path of ["/to-internal", "/to-metadata"]) {
      const ep = await h.api(`/v1/apps/${app.id}/endpoints`, {
        body: { url: redirector.url(path) },
      });
      expect(ep.status, JSON.stringify(ep.body)).toBe(201);
      const made = body<{ id: string; secret: string }>(ep, "endpoint");
      endpoints[path] = made.id;
      secrets.push(made.secret);
    }
    // Profiles of the other two kinds, revealed once, so the log scan has them to look for.
    for (const type of ["bearer", "ed25519"]) {
      const p = body<{ id: string; secret: string }>(
        await h.api(`/v1/apps/${app.id}/auth-profiles`, { body: { type } }),
        type,
      );
      const shown = body<{ secret: string }>(
        await h.api(`/v1/apps/${app.id}/auth-profiles/${p.id}/reveal`, { method: "POST" }),
        "reveal",
      );
      expect(shown.secret).toBe(p.secret);
      secrets.push(p.secret);
    }
    const sent = await h.api(`/v1/apps/${app.id}/messages`, {
      body: { eventType: "invoice.paid", payload: { invoice: "1001" } },
    });
    expect(sent.status).toBe(202);
    const msg = body<{ id: string }>(sent, "message");

    // Wait for both dead letters.
    const deadline = Date.now() + WAIT_MS;
    let dead: DeadLetter[] = [];
    for (;;) {
      const res = await h.api(`/v1/apps/${app.id}/dead-letters`);
      dead = body<{ data: DeadLetter[] }>(res, "dead letters").data;
      if (dead.length >= 2) break;
      if (Date.now() > deadline) {
        throw new Error(
          `only ${dead.length} dead letter(s) after ${WAIT_MS} ms; redirector saw ` +
            `${redirector.requests.length} request(s). Logs:\n${h.logs().slice(-4000)}`,
        );
      }
      await sleep(250);
    }

    expect(dead).toHaveLength(2);
    for (const d of dead) {
      expect(d).toMatchObject({ messageId: msg.id, reason: "exhausted", attempts: ATTEMPTS });
    }
    expect(dead.map((d) => d.endpointId).sort()).toEqual(Object.values(endpoints).sort());

    // The attempt log: every attempt of both deliveries answered 302, nothing else.
    const log = body<{ data: Attempt[] }>(
      await h.api(`/v1/apps/${app.id}/messages/${msg.id}/attempts`),
      "attempts",
    ).data;
    expect(log).toHaveLength(2 * ATTEMPTS);
    for (const a of log) {
      expect(a.statusCode, JSON.stringify(a)).toBe(302);
      expect(a.error).toBeUndefined();
    }
    for (const id of Object.values(endpoints)) {
      expect(
        log
          .filter((a) => a.endpointId === id)
          .map((a) => a.attempt)
          .sort(),
      ).toEqual([1, 2, 3]);
    }
    const message = body<{
      deliveries: { endpointId: string; status: string; attempts: number }[];
    }>(await h.api(`/v1/apps/${app.id}/messages/${msg.id}`), "message");
    expect(message.deliveries.map((d) => [d.status, d.attempts])).toEqual([
      ["dead", ATTEMPTS],
      ["dead", ATTEMPTS],
    ]);

    // The redirector was asked three times per path; the redirect target never once.
    expect(redirector.requests.filter((r) => r.path === "/to-internal")).toHaveLength(ATTEMPTS);
    expect(redirector.requests.filter((r) => r.path === "/to-metadata")).toHaveLength(ATTEMPTS);
    expect(redirector.requests.every((r) => r.responseStatus === 302)).toBe(true);
    await sleep(1_000); // a late follow-up, were there one, would land here
    expect(internal.requests).toEqual([]);
  });

  it("logged no secret or bearer token", () => {
    if (!hooklane) throw new Error("setup failed");
    const logs = hooklane.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const prefix of ["whsec_", "whsk_", "hlb_"]) {
      expect(logs.includes(prefix), `logs contain ${prefix}`).toBe(false);
    }
    expect(secrets.map((s) => s.slice(0, 4)).sort()).toEqual(["hlb_", "whse", "whse", "whsk"]);
    for (const secret of secrets) {
      expect(logs.includes(secret.replace(/^[a-z]+_/, "")), "logs contain a secret").toBe(false);
    }
  });
});
