import { api } from "./api/instance";
import { consumeDeadLetters } from "./deadletters/consumer";
import { consumeDeliveries } from "./delivery/consumer";
import { EndpointGate } from "./gate/endpoint-gate";
import { IngestLimiter } from "./gate/ingest-limiter";
import { instrument, instrumentBatch } from "./lib/ops";
import { HooklaneIngest } from "./native/entrypoint";
import { consumeIngest } from "./native/queue";
import { sweep } from "./sweeper/sweep";

export { EndpointGate, HooklaneIngest, IngestLimiter };

/**
 * The Worker: HTTP API, the delivery, dead-letter and ingest queue consumers, the sweeper cron;
 * `HooklaneIngest` is the service-binding entrypoint.
 */
export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    return api.fetch(request, instrument(env), ctx);
  },

  // The context is optional so tests can hand a batch to the handler as the runtime does.
  async queue(batch, env, ctx?: ExecutionContext) {
    const counted = instrument(env);
    if (batch.queue === "hooklane-ingest") await consumeIngest(batch, counted, ctx);
    else if (batch.queue.startsWith("hooklane-dlq"))
      await consumeDeadLetters(instrumentBatch(batch), counted);
    else await consumeDeliveries(instrumentBatch(batch), counted);
  },

  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(sweep(instrument(env)));
  },
} satisfies ExportedHandler<Env>;
