import { createApi } from "./api/app";
import { consumeDeadLetters } from "./deadletters/consumer";
import { consumeDeliveries } from "./delivery/consumer";
import { EndpointGate } from "./gate/endpoint-gate";
import { sweep } from "./sweeper/sweep";

export { EndpointGate };

const api = createApi();

/** The Worker: HTTP API, the delivery and dead-letter queue consumers, the sweeper cron. */
export default {
  fetch: api.fetch,

  async queue(batch, env) {
    if (batch.queue.startsWith("hooklane-dlq")) await consumeDeadLetters(batch, env);
    else await consumeDeliveries(batch, env);
  },

  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(sweep(env));
  },
} satisfies ExportedHandler<Env>;
