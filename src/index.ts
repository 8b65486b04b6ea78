import { createApi } from "./api/app";
import { EndpointGate } from "./gate/endpoint-gate";

export { EndpointGate };

const api = createApi();

/** The Worker: HTTP API, delivery queue consumers and the sweeper cron. */
export default {
  fetch: api.fetch,
} satisfies ExportedHandler<Env>;
