// @ts-check
/**
 * Fan-out 10 shape: an app with 10 endpoints (one receiver path each), a backlog of N messages
 * each fanned out to all 10, drained and counted exactly like phase (b): deliveries per second
 * after the release, `/__ops` per successful delivery, D1 bytes per delivery.
 */
import { post } from "../lib/api.mjs";
import { progress } from "../lib/context.mjs";
import { sleep } from "../lib/stats.mjs";
import { backlogRun } from "./delivery.mjs";

/**
 * @param {import("../lib/context.mjs").Bench} b
 * @param {import("../lib/context.mjs").App} prime the app whose batch blocks the consumer
 */
export async function fanout10Run(b, prime) {
  const { receiver, plan } = b;
  const { endpoints, messages } = plan.fanout10;
  const phase = "fan-out 10 H";
  const bucket = "/h/fan10";
  await b.beforePhase(phase);
  const app = await b.client.makeApp(
    "bench-fanout10",
    Array.from({ length: endpoints }, (_, i) => `${bucket}/${i}`),
  );
  // Warm-up (not measured): every endpoint's gate leaves slow start before the backlog builds.
  const warm = 2;
  for (let i = 0; i < warm; i++) await post(app.messagesUrl, b.client.auth, b.eventJson);
  if (!(await receiver.waitFor(bucket, warm * endpoints, 30_000)))
    progress(
      phase,
      `WARNING: ${receiver.count(bucket)}/${warm * endpoints} warm-up deliveries arrived within 30 s`,
    );
  await sleep(1000);
  progress(phase, `${endpoints} endpoints; ${messages} messages of ${endpoints} deliveries each`);
  const run = await backlogRun(b, {
    phase,
    who: "H",
    bucket,
    before: receiver.count(bucket),
    url: app.messagesUrl,
    prime,
    messages,
    perMessage: endpoints,
    capS: plan.caps.fanout10DrainS,
  });
  b.afterPhase(phase);
  return { endpoints, messages, ...run };
}
