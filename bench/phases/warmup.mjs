// @ts-check
/**
 * Warm-up before any measurement: compile, fill per-isolate caches, take every gate out of slow
 * start. Not measured; when deliveries are missing it says why (Hooklane's own log lines, the
 * deliveries' statuses and one failed attempt log), and fails only when none arrived at all.
 */
import { performance } from "node:perf_hooks";
import { JSON_HEADERS, pool, post } from "../lib/api.mjs";
import { progress } from "../lib/context.mjs";
import { sleep } from "../lib/stats.mjs";

/**
 * @typedef {import("../lib/context.mjs").App} App
 * @typedef {{ ingest: App[], delivery: App[], e2e: App, warm: App, prime: App }} WarmApps
 */

/**
 * Sends the warm-up messages and waits up to 30 s for their deliveries; returns what was
 * missing (null when everything arrived).
 * @param {import("../lib/context.mjs").Bench} b
 * @param {WarmApps} apps
 * @returns {Promise<string | null>}
 */
export async function warmUp(b, apps) {
  const { receiver, plan, eventJson } = b;
  const { auth, api } = b.client;
  const n = 20;
  let warmDeliveries = 0;
  const w0 = performance.now();
  await post(apps.prime.messagesUrl, auth, eventJson);
  await pool(n, 8, async (i) => {
    const res = await post(apps.warm.messagesUrl, auth, eventJson);
    if (res.status === 202) warmDeliveries += JSON.parse(res.text).deliveries?.length ?? 0;
    await post(`${b.floor.baseUrl}/ingest/warm`, JSON_HEADERS, eventJson);
    const ingestApp = apps.ingest[i % apps.ingest.length];
    const deliveryApp = apps.delivery[i % apps.delivery.length];
    if (i < 4) {
      if (ingestApp) await post(ingestApp.messagesUrl, auth, eventJson);
      if (deliveryApp) await post(deliveryApp.messagesUrl, auth, eventJson);
      await post(apps.e2e.messagesUrl, auth, eventJson);
    }
  });
  const want = (/** @type {string} */ bucket, /** @type {number} */ k) =>
    receiver.waitFor(bucket, k, 30_000);
  const ok = (
    await Promise.all([
      want("/h/warm", n),
      want("/f/warm", n),
      want("/h/e2e", 4),
      want("/h/prime", plan.prime),
      ...apps.ingest.map((_, r) => want(`/h/ingest${r + 1}`, Math.ceil(4 / plan.rounds))),
      ...apps.delivery.map((_, r) => want(`/h/dlv${r + 1}`, Math.ceil(4 / plan.rounds))),
    ])
  ).every(Boolean);
  /** @type {string | null} */
  let incomplete = null;
  if (!ok) {
    const seen = ["/h/warm", "/f/warm", "/h/e2e", "/h/prime", "/h/ingest1", "/h/dlv1"]
      .map((x) => `${x} ${receiver.count(x)}`)
      .join(", ");
    // The Worker's own JSON log lines usually say why (e.g. "gate unreachable; deferring").
    const reasons = [
      ...new Set(
        b.hook
          .logs()
          .split("\n")
          .filter((l) => l.startsWith('{"msg"'))
          .slice(-200)
          .map((l) => l.slice(0, 220)),
      ),
    ].slice(-3);
    // What Hooklane itself says about the warm-up messages' deliveries.
    const list = await api(`/v1/apps/${apps.warm.appId}/messages?limit=50`);
    /** @type {Record<string, number>} */
    const statuses = {};
    for (const m of list.body?.data ?? [])
      for (const d of m.deliveries ?? []) statuses[d.status] = (statuses[d.status] ?? 0) + 1;
    // And why attempts failed, from the attempt log of one message with a failed delivery.
    let attemptErrors = "";
    const failedMsg = (list.body?.data ?? []).find((/** @type {any} */ m) =>
      (m.deliveries ?? []).some((/** @type {any} */ d) => d.status === "failed"),
    );
    if (failedMsg) {
      const att = await api(`/v1/apps/${apps.warm.appId}/messages/${failedMsg.id}/attempts`);
      attemptErrors = `; its attempts: ${JSON.stringify(
        (att.body?.data ?? []).map((/** @type {any} */ a) => ({
          statusCode: a.statusCode,
          error: a.error,
          durationMs: a.durationMs,
          excerpt: a.responseExcerpt?.slice(0, 120),
        })),
      )}`;
    }
    const detail = `${seen}; the ${n} warm-up messages were accepted with ${warmDeliveries} deliveries, now ${JSON.stringify(statuses)}${attemptErrors}${reasons.length ? `; Hooklane logged:\n  ${reasons.join("\n  ")}` : ""}`;
    const hookArrivals = ["/h/warm", "/h/e2e", "/h/prime", "/h/ingest1", "/h/dlv1"].reduce(
      (a, x) => a + receiver.count(x),
      0,
    );
    if (hookArrivals === 0)
      throw new Error(
        `no warm-up delivery arrived within 30 s (${detail}); see bench/results/last-hooklane.log`,
      );
    // Some arrived: the warm-up only prepares; say what is missing and measure anyway.
    progress("warm-up", `WARNING: not every warm-up delivery arrived within 30 s (${detail})`);
    incomplete = detail;
  }
  await sleep(1000);
  progress("warm-up", `done in ${((performance.now() - w0) / 1000).toFixed(1)} s`);
  return incomplete;
}
