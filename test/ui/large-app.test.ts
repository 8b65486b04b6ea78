import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { newId } from "../../src/lib/ids";
import { readOps, resetOps } from "../../src/lib/ops";
import { ADMIN, call } from "../helpers";
import { HTTPS, signIn } from "./support";

/** Messages in the seeded app: the size a page must never count its way through. */
const MESSAGES = 100_000;

/** The env with the operation counters on, so a request's D1 rows read can be read back. */
const counted = { ...env, OPS_COUNTERS: "true" } as Env;

/** D1 rows one request reads, through the real Worker with counting on. */
async function rowsReadBy(path: string, headers: Record<string, string>) {
  resetOps();
  const res = await worker.fetch(
    new Request(`${HTTPS}${path}`, { headers, redirect: "manual" }),
    counted,
    createExecutionContext(),
  );
  const body = await res.text();
  return { status: res.status, body, rowsRead: readOps().d1RowsRead };
}

describe("an app with 100,000 messages", () => {
  let appId = "";

  beforeAll(async () => {
    const created = await call("POST", "/v1/apps", { body: { name: "Big Co" } });
    appId = (created.body as { id: string }).id;
    const endpoint = await call("POST", `/v1/apps/${appId}/endpoints`, {
      body: { url: "https://receiver.example/hook", eventTypes: ["order.paid"] },
    });
    const endpointId = (endpoint.body as { id: string }).id.replace(/^ep_/, "");
    // One statement writes them all: ids share a real time prefix and count up after it, so
    // they sort as ingest's would.
    const prefix = newId("msg").slice(0, 14);
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO messages (app_id, id, event_type, payload, event_id, idempotency_key, endpoints)
       SELECT ?, ? || printf('%016d', i), 'order.paid', '{"n":' || i || '}', NULL, NULL, ?
       FROM n`,
    )
      .bind(MESSAGES, appId, prefix, JSON.stringify([endpointId]))
      .run();
    const count = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE app_id = ?")
      .bind(appId)
      .first<{ n: number }>();
    expect(count?.n).toBe(MESSAGES);
  });

  it("lists the newest page through the API reading a page's rows, not the app's", async () => {
    const res = await rowsReadBy(`/v1/apps/${appId}/messages?limit=50`, {
      authorization: `Bearer ${ADMIN}`,
    });
    expect(res.status).toBe(200);
    const page = JSON.parse(res.body) as { data: { id: string }[]; nextCursor: string | null };
    expect(page.data).toHaveLength(50);
    expect(page.data[0]?.id.endsWith(String(MESSAGES).padStart(16, "0"))).toBe(true);
    expect(page.nextCursor).not.toBeNull();
    expect(res.rowsRead).toBeLessThan(1_000);
  });

  it("renders the dashboard's pages from cursor pages, whatever the filter", async () => {
    const { cookie } = await signIn();
    const messages = await rowsReadBy(`/dashboard/apps/${appId}/messages`, { cookie });
    expect(messages.status).toBe(200);
    expect(messages.body).toContain(String(MESSAGES).padStart(16, "0"));
    expect(messages.rowsRead).toBeLessThan(1_000);

    // A filter no index answers (no message is dead) scans a bounded stretch and says so.
    const dead = await rowsReadBy(`/dashboard/apps/${appId}/messages?status=dead`, { cookie });
    expect(dead.status).toBe(200);
    expect(dead.rowsRead).toBeLessThan(5_000);

    for (const path of ["", "/endpoints", "/dead-letters", "/audit"]) {
      const res = await rowsReadBy(`/dashboard/apps/${appId}${path}`, { cookie });
      expect(res.status, path).toBe(200);
      expect(res.rowsRead, path).toBeLessThan(1_000);
    }
  });
});
