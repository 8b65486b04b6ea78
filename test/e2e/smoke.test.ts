import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  findSecrets,
  type Hooklane,
  type Receiver,
  redactSecrets,
  startHooklane,
  startReceiver,
} from "./harness";

/** The harness itself works: the README's command starts a service, and a receiver records. */
describe("e2e smoke", () => {
  let hooklane: Hooklane | undefined;
  let receiver: Receiver | undefined;

  beforeAll(async () => {
    receiver = await startReceiver();
    hooklane = await startHooklane();
  });

  afterAll(async () => {
    await hooklane?.stop();
    await receiver?.close();
  });

  it("answers GET /healthz", async () => {
    if (!hooklane) throw new Error("not started");
    const res = await fetch(`${hooklane.baseUrl}/healthz`);
    expect(res.status, hooklane.logs()).toBe(200);
    await res.arrayBuffer();
  });

  it("reaches the receiver and records the request", async () => {
    if (!receiver) throw new Error("not started");
    const res = await fetch(receiver.url("/x"), { method: "POST", body: '{"a":1}' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok");
    await receiver.waitFor(() => receiver?.requests.length === 1, 2_000, "the direct request");
    expect(receiver.requests[0]).toMatchObject({
      path: "/x",
      method: "POST",
      body: '{"a":1}',
      attempt: 1,
      verified: undefined,
      responseStatus: 200,
    });
  });

  it("verifies Standard Webhooks signatures for paths with a secret", async () => {
    if (!receiver) throw new Error("not started");
    const r = receiver;
    const secret = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
    r.setSecret("/signed", secret);
    const body = '{"type":"t","timestamp":"2026-01-01T00:00:00Z","data":{}}';
    const sign = (id: string) => {
      const signature = new Webhook(secret).sign(id, new Date(), body);
      const timestamp = String(Math.floor(Date.now() / 1000));
      return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature };
    };
    await fetch(r.url("/signed"), { method: "POST", body, headers: sign("msg_1") });
    const bad = { ...sign("msg_1"), "webhook-signature": "v1,AAAA" };
    await fetch(r.url("/signed"), { method: "POST", body, headers: bad });
    await r.waitFor(() => r.requests.filter((q) => q.path === "/signed").length === 2, 2_000, "2");
    const signed = r.requests.filter((q) => q.path === "/signed");
    expect(signed.map((q) => [q.webhookId, q.attempt, q.verified])).toEqual([
      ["msg_1", 1, true],
      ["msg_1", 2, false],
    ]);
  });

  it("runs the R2 archive bucket locally, like D1 and the queues", async () => {
    if (!hooklane) throw new Error("not started");
    expect(hooklane.logs()).toMatch(/env\.ARCHIVE \(hooklane-archive\)\s+R2 Bucket\s+local/);
    const auth = { authorization: `Bearer ${hooklane.adminToken}` };
    const app = await fetch(`${hooklane.baseUrl}/v1/apps`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ name: "archive-smoke" }),
    });
    const { id } = (await app.json()) as { id: string };
    // Listed from the local bucket (a deployment without one answers 404 here).
    const res = await fetch(`${hooklane.baseUrl}/v1/apps/${id}/archive`, { headers: auth });
    expect(res.status, hooklane.logs()).toBe(200);
    expect(await res.json()).toEqual({ data: [], nextCursor: null });
  });

  it("fires the sweeper ticker against /__scheduled", async () => {
    if (!hooklane) throw new Error("not started");
    const h = hooklane;
    // SWEEP_TICK_S is 2 in tests: the ticker must have called /__scheduled within a few seconds.
    const deadline = Date.now() + 15_000;
    while (!h.logs().includes("GET /__scheduled") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(h.logs()).toContain("GET /__scheduled");
  });
});

/** Fake secrets in each of Hooklane's formats: the shapes the scan must catch. */
const FAKE = {
  whsec: `whsec_${Buffer.alloc(32, 1).toString("base64")}`,
  whsk: `whsk_${Buffer.alloc(64, 2).toString("base64")}`,
  hlb: `hlb_${Buffer.alloc(32, 3).toString("base64url")}`,
  hk: `hk_${Buffer.alloc(32, 4).toString("base64url")}`,
};
const KNOWN = [
  { name: "the admin token", value: `hladm_${Buffer.alloc(32, 5).toString("base64url")}` },
  { name: "the encryption key", value: Buffer.alloc(32, 6).toString("base64") },
];

describe("the harness's secret scan", () => {
  it.each([
    { secret: FAKE.whsec, name: "a whsec_ signing secret" },
    { secret: FAKE.whsk, name: "a whsk_ ed25519 private key" },
    { secret: FAKE.hlb, name: "an hlb_ bearer token" },
    { secret: FAKE.hk, name: "an hk_ API key" },
  ])("finds $name in a log line, and names it without its value", ({ secret, name }) => {
    const text = `[wrangler:info] ready\n{"msg":"oops","value":"${secret}"}\nGET /healthz 200 OK`;
    const findings = findSecrets(text);
    expect(findings.map((f) => f.name)).toEqual([name]);
    const shown = JSON.stringify(findings);
    expect(shown.includes(secret.slice(secret.indexOf("_") + 1))).toBe(false);
    expect(findings[0]?.excerpt).toBe(`{"msg":"oops","value":"[redacted ${name}]"}`);
  });

  it("finds known values, also without their prefix, and redacts them", () => {
    const [admin, key] = KNOWN.map((k) => k.value);
    const body = admin?.replace(/^hladm_/, "") ?? "";
    const text = `authorization: Bearer ${body}\nENCRYPTION_KEY=${key}`;
    expect(findSecrets(text, KNOWN).map((f) => f.name)).toEqual([
      "the admin token",
      "the encryption key",
    ]);
    expect(redactSecrets(text, KNOWN)).toBe(
      "authorization: Bearer [redacted the admin token]\nENCRYPTION_KEY=[redacted the encryption key]",
    );
  });

  it("does not mistake ids, public keys or talk about secret formats for secrets", () => {
    const legit = [
      "[wrangler:info] POST /v1/apps/app_01J9Z3K4M5N6P7Q8R9S0T1V2W3/api-keys 201 Created (12ms)",
      "DELETE /v1/apps/app_01J9Z3K4M5N6P7Q8R9S0T1V2W3/api-keys/key_01J9Z3K4M5N6P7Q8R9S0T1V2W3 204",
      '{"msg":"sweep","requeued":0} ep_01J9Z3K4M5N6P7Q8R9S0T1V2W3 dlv_01J9Z3K4M5N6P7Q8R9S0T1V2W3',
      `publicKey: whpk_${Buffer.alloc(32, 7).toString("base64")}`,
      "secret: whsec_ followed by base64 of 24 to 64 bytes",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a source line, as a stack trace shows it
      "  at newSecret (src/security/tokens.ts:29:10) return `whsec_${toBase64(randomBytes(32))}`",
      "[dev] Admin token: ADMIN_TOKEN in /tmp/hooklane-e2e-x/.dev.vars",
      'env.ADMIN_TOKEN ("(hidden)")  Environment Variable  local',
      "chk_0123456789abcdefghij webhook_0123456789abcdef",
    ].join("\n");
    expect(findSecrets(legit, KNOWN)).toEqual([]);
  });

  it("fails stop() when the service printed a secret, naming it without its value", async () => {
    // wrangler logs every request line, so a request path is a way to make the service print.
    const leaky = await startHooklane({ sweepTickS: "0" });
    try {
      const adminBody = leaky.adminToken.replace(/^hladm_/, "");
      for (const path of [`/leak/${FAKE.whsec}`, `/leak/${adminBody}`]) {
        const res = await fetch(`${leaky.baseUrl}${path}`);
        await res.arrayBuffer();
      }
      const deadline = Date.now() + 15_000;
      while (!leaky.logs().includes(adminBody) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const error: unknown = await leaky.stop().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toContain("a whsec_ signing secret");
      expect(message).toContain("the admin token");
      expect(message.includes(FAKE.whsec.slice("whsec_".length))).toBe(false);
      expect(message.includes(adminBody)).toBe(false);
      // Reported once: cleanup calls after the failure do not fail again.
      await expect(leaky.stop()).resolves.toBeUndefined();
    } finally {
      await leaky.stop().catch(() => {});
    }
  });
});
