import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { checkResolvedHost, judgeAnswers } from "../../src/security/dns-guard";
import {
  attemptRows,
  deadLetterOf,
  deliveryRow,
  runConsumer,
  seedDeliveries,
} from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

/** Production settings with the DNS check on (the test config turns it off by default). */
const PROD = { ALLOW_INSECURE_TARGETS: "false", DNS_CHECK: "true" };

/**
 * The network as the Worker sees it: DNS-over-HTTPS questions answered from `zone`
 * (host -> addresses, or "fail" for a resolver error), everything else is the receiver.
 */
function network(zone: Record<string, string[] | "fail">) {
  const questions: { name: string; type: string; accept: string | null }[] = [];
  const posts: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = new URL(
      typeof input === "string" ? input : input instanceof URL ? input : input.url,
    );
    if (url.hostname === "cloudflare-dns.com") {
      const name = url.searchParams.get("name") ?? "";
      const type = url.searchParams.get("type") ?? "";
      questions.push({ name, type, accept: new Headers(init?.headers).get("accept") });
      const answer = zone[name];
      if (answer === "fail") return new Response("unavailable", { status: 503 });
      const records = (answer ?? [])
        .filter((a) => (type === "1") === !a.includes(":"))
        .map((data) => ({ name: `${name}.`, type: Number(type), TTL: 60, data }));
      return Response.json({ Status: answer ? 0 : 3, Answer: records });
    }
    posts.push(url.href);
    return new Response("ok");
  });
  return { questions, posts };
}

describe("judgeAnswers", () => {
  it("accepts public answers and no answers", () => {
    expect(judgeAnswers("a.example.com", ["93.184.216.34", "2606:4700::6810:84e5"])).toEqual({
      ok: true,
    });
    expect(judgeAnswers("a.example.com", [])).toEqual({ ok: true });
  });

  it.each([
    "10.0.0.5",
    "127.0.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "::1",
    "fd00::1",
    "::ffff:10.0.0.1",
  ])("refuses a name with any answer in a non-public range: %s", (address) => {
    const verdict = judgeAnswers("inside.example.com", ["93.184.216.34", address]);
    expect(verdict).toEqual({
      ok: false,
      reason: `The target host inside.example.com resolves to ${address}, which is not public.`,
    });
  });
});

describe("checkResolvedHost", () => {
  it("asks for A and AAAA over DNS-over-HTTPS and judges both", async () => {
    const { questions } = network({ "mixed.example.com": ["93.184.216.34", "fc00::7"] });
    const verdict = await checkResolvedHost("mixed.example.com");
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringContaining("fc00::7") });
    expect(questions).toEqual(
      expect.arrayContaining([
        { name: "mixed.example.com", type: "1", accept: "application/dns-json" },
        { name: "mixed.example.com", type: "28", accept: "application/dns-json" },
      ]),
    );
  });

  it("has no verdict when the resolver fails, and passes a name that does not exist", async () => {
    network({ "down.example.com": "fail" });
    expect(await checkResolvedHost("down.example.com")).toMatchObject({ ok: "unknown" });
    expect(await checkResolvedHost("nxdomain.example.com")).toEqual({ ok: true });
  });

  it("leaves address literals to the URL guard", async () => {
    const { questions } = network({});
    expect(await checkResolvedHost("[2606:4700::1]")).toEqual({ ok: true });
    expect(await checkResolvedHost("93.184.216.34")).toEqual({ ok: true });
    expect(questions).toEqual([]);
  });
});

describe("the DNS check on the create and send paths", () => {
  it("refuses an endpoint whose name resolves to a private address, writing nothing", async () => {
    const { appId } = await newApp();
    network({ "rebind.example.com": ["10.1.2.3"], "fine.example.com": ["93.184.216.34"] });
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM endpoints").first<{
      n: number;
    }>();
    const refused = await call("POST", `/v1/apps/${appId}/endpoints`, {
      body: { url: "https://rebind.example.com/hook" },
      vars: PROD,
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      errors: [{ field: "url", detail: expect.stringContaining("resolves to 10.1.2.3") }],
    });
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM endpoints").first<{
      n: number;
    }>();
    expect(after?.n).toBe(before?.n);

    const accepted = await call("POST", `/v1/apps/${appId}/endpoints`, {
      body: { url: "https://fine.example.com/hook" },
      vars: PROD,
    });
    expect(accepted.status).toBe(201);
  });

  it("accepts the endpoint when the lookup fails (best effort; the send path asks again)", async () => {
    const { appId } = await newApp();
    network({ "flaky-dns.example.com": "fail" });
    const res = await call("POST", `/v1/apps/${appId}/endpoints`, {
      body: { url: "https://flaky-dns.example.com/hook" },
      vars: PROD,
    });
    expect(res.status).toBe(201);
  });

  it("refuses on the send path a name that has moved into a private network since creation, as a failed attempt that retries", async () => {
    const { appId } = await newApp();
    const moved = await newEndpoint(appId, { url: "https://moved.example.com/hook" });
    const stays = await newEndpoint(appId, { url: "https://stays.example.com/hook" });
    const { posts } = network({
      "moved.example.com": ["192.168.1.20"],
      "stays.example.com": ["93.184.216.34"],
    });
    const tasks = await seedDeliveries(appId, [moved.id, stays.id]);
    const before = Date.now();
    await runConsumer(tasks, { ...PROD, RETRY_SCHEDULE: "300" });
    expect(posts).toEqual(["https://stays.example.com/hook"]);
    const [toMoved, toStays] = tasks;
    // DNS answers change (a rebinding name may point back out): not a dead letter at once but a
    // failed attempt, waiting for its retry on the schedule.
    const refused = await deliveryRow(toMoved?.deliveryId ?? "");
    expect(refused).toMatchObject({
      status: "failed",
      attempts: 1,
      state: "waiting",
      last_status_code: null,
      last_error: expect.stringContaining("resolves to 192.168.1.20"),
    });
    // The schedule's 300 s, give or take its 20% jitter.
    expect(refused?.next_attempt_at).toBeGreaterThanOrEqual(before + 240_000);
    expect(refused?.next_attempt_at).toBeLessThanOrEqual(Date.now() + 360_000);
    expect(await attemptRows(toMoved?.deliveryId ?? "")).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: "failed",
        status_code: null,
        error: expect.stringContaining("target_refused"),
      }),
    ]);
    expect(await deadLetterOf(toMoved?.deliveryId ?? "")).toBeNull();
    expect(await deliveryRow(toStays?.deliveryId ?? "")).toMatchObject({ status: "succeeded" });
  });
});
