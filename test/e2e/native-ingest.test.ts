import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { relocatedConfig } from "../../scripts/topology.mjs";
import { freePort, type Receiver, startReceiver } from "./harness";

/**
 * examples/producer next to Hooklane in one `wrangler dev` (two configs, one local runtime, so
 * the service binding and the ingest queue connect): the test talks to the producer, which
 * sends over the binding (RPC), publishes to `hooklane-ingest`, reads `hooklane-ingest-dlq`,
 * and passes the rest to Hooklane's HTTP API over its other binding. Hooklane's entry here is
 * test/fixtures/first-ack-lost.ts, which loses the first ack of every ingest-queue message, so
 * the local queue really delivers each one again. Deliveries reach a real receiver that
 * verifies them with `standardwebhooks`.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER_JS = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

describe("native ingest: examples/producer under wrangler dev", () => {
  let dir = "";
  let child: ChildProcess | undefined;
  let log = "";
  let base = "";
  let receiver: Receiver | undefined;
  const adminToken = `hladm_${randomBytes(24).toString("base64url")}`;

  /** A call to the producer; `auth` adds the admin token (for the proxied Hooklane API). */
  async function call(path: string, init: { body?: string; key?: string; auth?: boolean } = {}) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (init.auth) headers.authorization = `Bearer ${adminToken}`;
    if (init.key) headers["idempotency-key"] = init.key;
    const res = await fetch(`${base}${path}`, {
      method: init.body === undefined ? "GET" : "POST",
      headers,
      body: init.body,
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) };
  }

  beforeAll(async () => {
    receiver = await startReceiver();
    dir = await mkdtemp(join(tmpdir(), "hooklane-native-"));
    const state = join(dir, "state");
    await cp(inject("migratedState"), state, { recursive: true });
    // Hooklane runs as the second worker: it reads its secrets from the .dev.vars beside its
    // config, so it gets a copy of wrangler.toml (its paths made absolute) in a directory of
    // its own.
    const own = join(dir, "hooklane");
    await mkdir(own);
    // Its entry is the fixture that loses each ingest-queue message's first ack, so every
    // message published below is delivered twice by the queue (see the fixture).
    const fixture = join(ROOT, "test", "fixtures", "first-ack-lost.ts");
    await writeFile(
      join(own, "wrangler.toml"),
      relocatedConfig().replace(/^main = .*$/m, `main = ${JSON.stringify(fixture)}`),
    );
    const key = randomBytes(32).toString("base64");
    await writeFile(
      join(own, ".dev.vars"),
      `ADMIN_TOKEN=${adminToken}\nENCRYPTION_KEY=${key}\nALLOW_INSECURE_TARGETS=true\n`,
    );
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Detached: wrangler leads its own process group, so one signal also reaches workerd.
    child = spawn(
      process.execPath,
      [
        WRANGLER_JS,
        "dev",
        "--local",
        "-c",
        join(ROOT, "examples", "producer", "wrangler.toml"),
        "-c",
        join(own, "wrangler.toml"),
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--inspector-port",
        String(await freePort()),
        "--persist-to",
        state,
        "--show-interactive-dev-session=false",
      ],
      {
        cwd: ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    child.stdout?.on("data", (c: Buffer) => {
      log += c.toString("utf8");
    });
    child.stderr?.on("data", (c: Buffer) => {
      log += c.toString("utf8");
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`${base}/healthz`)
        .then((r) => r.status === 200 || r.status === 503)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`producer + Hooklane did not start. Logs:\n${log}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  afterAll(async () => {
    if (child?.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await new Promise((r) => setTimeout(r, 1_000));
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await receiver?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    // Nothing secret may show in what the two workers printed.
    expect(log).not.toContain(adminToken);
  });

  it("sends over the binding and the queue, accepts redelivered and republished messages once, dead-letters a refused one", async () => {
    const r = receiver;
    if (!r) throw new Error("not started");
    const app = await call("/v1/apps", { body: '{"name":"native"}', auth: true });
    expect(app.status, app.text).toBe(201);
    const appId = app.json().id as string;
    const ep = await call(`/v1/apps/${appId}/endpoints`, {
      body: JSON.stringify({ url: r.url("/native"), eventTypes: ["order.paid"] }),
      auth: true,
    });
    expect(ep.status, ep.text).toBe(201);
    r.setSecret("/native", ep.json().secret);
    const message = (n: number) =>
      `{"eventType":"order.paid","payload":{"n":${n},"amount":12345678901234567890123}}`;

    // The binding: 202 with the message; the same key again answers the same message.
    const rpc = await call(`/send/rpc/${appId}`, { body: message(1), key: "rpc-1" });
    expect(rpc.status, rpc.text).toBe(202);
    const again = await call(`/send/rpc/${appId}`, { body: message(1), key: "rpc-1" });
    expect(again.json()).toMatchObject({ ok: true, replayed: true });
    expect(again.json().message.id).toBe(rpc.json().message.id);
    const refused = await call(`/send/rpc/${appId}`, { body: '{"eventType":"order.paid"}' });
    expect(refused.status).toBe(422);
    expect(refused.json().problem.errors[0].field).toBe("payload");

    // The queue: published once without a key (redelivered, accepted once under the key made
    // from its queue message id), and published twice under one key (a producer retrying its
    // publish, each redelivered too): two messages from three publishes and six deliveries.
    expect((await call(`/send/queue/${appId}`, { body: message(2) })).status).toBe(202);
    for (let i = 0; i < 2; i++)
      expect((await call(`/send/queue/${appId}`, { body: message(3), key: "q-3" })).status).toBe(
        202,
      );
    // A message the API refuses: dead-lettered with its reason.
    expect((await call(`/send/queue/${appId}`, { body: '{"payload":{}}' })).status).toBe(202);

    await r.waitFor(
      () => r.requests.filter((q) => q.path === "/native").length >= 3,
      30_000,
      "the binding's and the queue's messages delivered",
    );
    // Every queue message was delivered twice (its first ack lost): the refused one is
    // dead-lettered each time, under its one queue message id, with the same reason.
    let rejected: { reason: string; status: number; queueMessageId: string }[] = [];
    const until = Date.now() + 30_000;
    while (rejected.length < 2 && Date.now() < until) {
      rejected = (await call("/rejected")).json();
      if (rejected.length < 2) await new Promise((res) => setTimeout(res, 250));
    }
    expect(rejected).toHaveLength(2);
    expect(new Set(rejected.map((x) => x.queueMessageId)).size).toBe(1);
    for (const x of rejected) {
      expect(x.status).toBe(422);
      expect(x.reason).toMatch(/eventType/);
    }
    // Four queue messages, each redelivered after its first ack was lost.
    expect(log.match(/ack of \S+ lost; the queue delivers it again/g)).toHaveLength(4);

    const list = await call(`/v1/apps/${appId}/messages`, { auth: true });
    expect(list.json().data).toHaveLength(3);
    // Each delivered once more would mean a duplicate accept: wait a little, count again.
    await new Promise((res) => setTimeout(res, 2_000));
    const delivered = r.requests.filter((q) => q.path === "/native");
    expect(delivered).toHaveLength(3);
    for (const q of delivered) {
      expect(q.verified, q.verifyError).toBe(true);
      expect(q.body).toContain('"amount":12345678901234567890123');
    }
  });
});
