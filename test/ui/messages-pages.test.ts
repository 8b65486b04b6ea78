import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { receiver, runConsumer, seedDeliveries } from "../delivery/fixtures";
import { newApp, newEndpoint } from "../helpers";
import { csrfOf, HTTPS, page, signIn } from "./support";

beforeEach(() => {
  vi.spyOn(env.DELIVERIES, "send").mockResolvedValue({
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** An app with one message sent (succeeded) and one dead letter (410 Gone). */
async function fixture() {
  const { appId } = await newApp();
  const ep = await newEndpoint(appId, { url: "https://ok.example.com/h" });
  const gone = await newEndpoint(appId, { url: "https://gone.example.com/h" });
  receiver(
    (req) =>
      new Response(req.url.includes("gone") ? "gone" : "thanks", {
        status: req.url.includes("gone") ? 410 : 200,
      }),
  );
  const tasks = await seedDeliveries(appId, [ep.id, gone.id], { big: 1 });
  await runConsumer(tasks);
  const messageId = tasks[0]?.messageId ?? "";
  // The stored payload with a number JSON.parse would round.
  await env.DB.prepare("UPDATE messages SET payload = ? WHERE id = ?")
    .bind('{"big":12345678901234567890123}', messageId)
    .run();
  return { appId, ep, gone, messageId };
}

describe("dashboard: messages, dead letters, audit", () => {
  it("searches messages and shows a message with its payload exact and its attempts' headers", async () => {
    const { appId, ep, messageId } = await fixture();
    const { cookie } = await signIn();
    const list = await page("GET", `/dashboard/apps/${appId}/messages?status=dead`, { cookie });
    expect(list.status).toBe(200);
    const listHtml = await list.text();
    expect(listHtml).toContain(messageId);
    const none = await page("GET", `/dashboard/apps/${appId}/messages?status=pending`, { cookie });
    expect(await none.text()).toContain("No message matches.");

    const detail = await page("GET", `/dashboard/apps/${appId}/messages/${messageId}`, { cookie });
    expect(detail.status).toBe(200);
    const html = await detail.text();
    expect(html).toContain("12345678901234567890123");
    expect(html).toContain('data-header="webhook-signature"');
    expect(html).toContain("recomputed on read");
    expect(html).toContain("thanks");
    expect(html).toContain(ep.id);
    expect(html).toContain("curl -X POST");
    expect(html).not.toContain(ep.secret);
  });

  it("replays matching dead letters after a bounded count and shows progress; the audit page lists both trails", async () => {
    const { appId, messageId, gone } = await fixture();
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie);
    const list = await page("GET", `/dashboard/apps/${appId}/dead-letters`, { cookie });
    expect(await list.text()).toContain(messageId);

    const confirm = await page(
      "GET",
      `/dashboard/apps/${appId}/dead-letters/replay?endpointId=${gone.id}`,
      { cookie },
    );
    const confirmHtml = await confirm.text();
    expect(confirmHtml).toContain("1 dead letter matches");
    await env.DB.prepare("UPDATE endpoints SET disabled = 0 WHERE id = ?").bind(gone.id).run();
    const run = await page("POST", `/dashboard/apps/${appId}/dead-letters/replay`, {
      cookie,
      origin: HTTPS,
      form: { csrf, endpointId: gone.id },
    });
    expect(run.status).toBe(303);
    const progressUrl = run.headers.get("location") ?? "";
    expect(progressUrl).toMatch(/\/dead-letters\/replays\/rpl_/);
    const progress = await page("GET", progressUrl, { cookie });
    expect(progress.headers.get("refresh")).toBe("2");
    expect(await progress.text()).toContain("Running: 0 of 1 finished.");

    const audit = await page("GET", `/dashboard/apps/${appId}/audit`, { cookie });
    const auditHtml = await audit.text();
    expect(auditHtml).toContain("replay");
    expect(auditHtml).toContain("endpoint.disabled");
  });
});
