/**
 * An example producer Worker next to Hooklane (examples/producer/README.md):
 * - `POST /send/rpc/{appId}`: the body (a message, as JSON text) through the service binding;
 * - `POST /send/queue/{appId}`: the same message published to the ingest queue;
 * - `GET /rejected`: what Hooklane refused from the queue, with its reasons (this isolate's);
 * - anything else is passed to Hooklane's HTTP API over the binding.
 * An `idempotency-key` header on a send is passed on.
 */
import type { HooklaneIngest } from "../../../src/native/entrypoint";
import type { IngestRejection } from "../../../src/native/queue";

interface ProducerEnv {
  HOOKLANE: Service<HooklaneIngest>;
  HOOKLANE_API: Fetcher;
  INGEST: Queue<{ appId: string; message: string; idempotencyKey?: string }>;
}

/** The dead-letter queue's latest rejections seen by this isolate, newest last. */
const rejected: IngestRejection[] = [];

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const send = /^\/send\/(rpc|queue)\/([^/]+)$/.exec(url.pathname);
    if (send && request.method === "POST") {
      const [, via, appId = ""] = send;
      const message = await request.text();
      const idempotencyKey = request.headers.get("idempotency-key") ?? undefined;
      if (via === "rpc") {
        const result = await env.HOOKLANE.send(appId, message, { idempotencyKey });
        return Response.json(result, { status: result.status });
      }
      await env.INGEST.send({ appId, message, ...(idempotencyKey ? { idempotencyKey } : {}) });
      return Response.json({ queued: true }, { status: 202 });
    }
    if (url.pathname === "/rejected") return Response.json(rejected);
    return env.HOOKLANE_API.fetch(request);
  },

  async queue(batch) {
    for (const m of batch.messages) {
      rejected.push(m.body as IngestRejection);
      if (rejected.length > 100) rejected.shift();
      m.ack();
    }
  },
} satisfies ExportedHandler<ProducerEnv>;
