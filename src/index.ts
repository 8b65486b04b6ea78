import { createApi } from "./api/app";
import { consumeDeadLetters } from "./deadletters/consumer";
import { consumeDeliveries } from "./delivery/consumer";
import { EndpointGate } from "./gate/endpoint-gate";
import { IngestLimiter } from "./gate/ingest-limiter";
import { instrument, instrumentBatch } from "./lib/ops";
import { sweep } from "./sweeper/sweep";

export { EndpointGate, IngestLimiter };

const api = createApi();

/** The Worker: HTTP API, the delivery and dead-letter queue consumers, the sweeper cron. */
export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    return api.fetch(request, instrument(env), ctx);
  },

  async queue(batch, env) {
    const counted = instrument(env);
    if (batch.queue.startsWith("hooklane-dlq"))
      await consumeDeadLetters(instrumentBatch(batch), counted);
    else await consumeDeliveries(instrumentBatch(batch), counted);
  },

  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(sweep(instrument(env)));
  },
} satisfies ExportedHandler<Env>;
