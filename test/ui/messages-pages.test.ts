import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fanOutColumn } from "../../src/db/messages";
import { idFloor, newId } from "../../src/lib/ids";
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
    // A time that is not one is refused with the API's reason, not silently dropped.
    const bad = await page("GET", `/dashboard/apps/${appId}/messages?from=yesterday`, { cookie });
    const badHtml = await bad.text();
    expect(badHtml).toContain('role="alert"');
    expect(badHtml).toContain("after");
    expect(badHtml).not.toContain(messageId);

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
    // Copy buttons come from the one same-origin script; hidden until it runs.
    expect(html).toContain('<script src="/dashboard/assets/enhance-1.js" defer=""></script>');
    expect(html).toMatch(/<button type="button" class="copy" data-copy="payload-pretty" hidden/);
    const script = await page("GET", "/dashboard/assets/enhance-1.js", { cookie });
    expect(script.headers.get("content-type")).toContain("text/javascript");
    expect(script.headers.get("cache-control")).toContain("immutable");
  });

  it("replays one dead letter from the message page and back there, never to another site", async () => {
    const { appId, messageId, gone } = await fixture();
    // A second dead letter: the endpoint is disabled (410), so this one ends endpoint_disabled.
    const second = await seedDeliveries(appId, [gone.id]);
    await runConsumer(second);
    await env.DB.prepare("UPDATE endpoints SET disabled = 0 WHERE id = ?").bind(gone.id).run();
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie);
    const replayAction = async (id: string) => {
      const html = await (
        await page("GET", `/dashboard/apps/${appId}/messages/${id}`, { cookie })
      ).text();
      return /<form method="post" action="([^"]+\/replay)"/.exec(html)?.[1] ?? "";
    };
    const action = await replayAction(messageId);
    expect(action).toMatch(/\/dead-letters\/dlv_[0-9A-Z]+\/replay$/);
    const replayed = await page("POST", action, {
      cookie,
      origin: HTTPS,
      form: { csrf, back: `/dashboard/apps/${appId}/messages/${messageId}` },
    });
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get("location")).toBe(
      `/dashboard/apps/${appId}/messages/${messageId}?notice=replayed`,
    );
    // A `back` outside the app's pages is not followed: the dead letters page instead.
    const elsewhere = await page("POST", await replayAction(second[0]?.messageId ?? ""), {
      cookie,
      origin: HTTPS,
      form: { csrf, back: "https://evil.example/" },
    });
    expect(elsewhere.status).toBe(303);
    expect(elsewhere.headers.get("location")).toBe(
      `/dashboard/apps/${appId}/dead-letters?notice=replayed`,
    );
    const letters = await page("GET", `/dashboard/apps/${appId}/dead-letters`, { cookie });
    expect(await letters.text()).toContain("No dead letter matches.");
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

  it("pages Older and Newer, and says how far a bounded scan read", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const t0 = Date.parse("2026-11-23T10:00:00Z");
    const rows = Array.from({ length: 600 }, (_, i) => [
      `${idFloor("msg", t0 + i)}${newId("msg").slice(-16)}`,
    ]);
    await env.DB.prepare(
      `INSERT INTO messages (app_id, id, event_type, payload, endpoints)
       SELECT ?1, value ->> 0, 'order.created', '{}', ?2 FROM json_each(?3)`,
    )
      .bind(appId, fanOutColumn([ep.id]), JSON.stringify(rows))
      .run();
    const { cookie } = await signIn();
    const links = (html: string) => ({
      older: /<a href="([^"]+)" rel="next">/.exec(html)?.[1]?.replaceAll("&amp;", "&"),
      newer: /<a href="([^"]+)" rel="prev">/.exec(html)?.[1]?.replaceAll("&amp;", "&"),
    });
    const first = await (await page("GET", `/dashboard/apps/${appId}/messages`, { cookie })).text();
    expect(links(first).newer).toBeUndefined();
    const second = await (await page("GET", links(first).older ?? "", { cookie })).text();
    const third = await (await page("GET", links(second).older ?? "", { cookie })).text();
    const backToSecond = await (await page("GET", links(third).newer ?? "", { cookie })).text();
    const ids = (html: string) =>
      [...html.matchAll(/<code>(msg_[0-9A-Z]+)<\/code>/g)].map((m) => m[1]);
    expect(ids(backToSecond)).toEqual(ids(second));
    expect(ids(second)).toHaveLength(25);
    expect(ids(second)[0]).not.toBe(ids(first)[0]);
    const backToFirst = await (await page("GET", links(second).newer ?? "", { cookie })).text();
    expect(ids(backToFirst)).toEqual(ids(first));

    const scan = await (
      await page("GET", `/dashboard/apps/${appId}/messages?eventType=invoice.paid`, { cookie })
    ).text();
    expect(scan).toContain("Scanned 500 messages, back to");
    expect(scan).toContain("Continue searching older messages");
  });
});
