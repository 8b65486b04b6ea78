// @ts-check
/**
 * Cloudflare list prices used to turn measured operations into USD. ONE dated table: when a
 * price changes, change it here (and the date), then re-run the bench.
 *
 * Prices as of 2026-11-23 (Workers Paid plan, usage beyond the included amounts).
 * RE-CHECK the current pricing pages before quoting these numbers:
 *   https://developers.cloudflare.com/workers/platform/pricing/
 *   https://developers.cloudflare.com/queues/platform/pricing/
 *   https://developers.cloudflare.com/d1/platform/pricing/
 *   https://developers.cloudflare.com/durable-objects/platform/pricing/
 */
export const PRICES = {
  date: "2026-11-23",
  /** Workers: per million requests beyond the included 10 M/month. */
  workersRequestsPerMillion: 0.3,
  /** Workers: per million CPU milliseconds beyond the included 30 M/month. */
  workersCpuMsPerMillion: 0.02,
  /** Queues: per million operations; each 64 KB written, read or deleted is one operation. */
  queueOpsPerMillion: 0.4,
  /** D1: per million rows read / written. */
  d1RowsReadPerMillion: 0.001,
  d1RowsWrittenPerMillion: 1.0,
  /** Durable Objects: per million requests (RPC calls included), per million GB-s of duration. */
  doRequestsPerMillion: 0.15,
  doGbSecondsPerMillion: 12.5,
  /** Durable Objects SQLite storage: billed like D1 rows. */
  doRowsReadPerMillion: 0.001,
  doRowsWrittenPerMillion: 1.0,
};

/**
 * Assumptions next to the table (what the local run cannot measure):
 *  - Included monthly allowances and the $5/month plan fee are ignored: this is the marginal
 *    cost at volume (a billion deliveries a month dwarfs every allowance).
 *  - Every message is < 64 KB, so one write, read or delete is one queue operation; a queue
 *    message costs write (send) + read (each time it is handed to a consumer) + delete (ack).
 *    `message.retry()` is billed as the extra read it causes, already in `queueReceived`.
 *  - Each queue-consumer invocation (one batch) is billed as one Workers request; the count of
 *    batches comes from Miniflare's `QUEUE <name> a/b` log lines.
 *  - CPU ms: workerd's own CPU time during the phase (from /proc), divided by deliveries. It
 *    includes the local D1/Queues/Durable Object simulators and wrangler's proxy, so it is an
 *    upper bound on billed Worker CPU.
 *  - Durable Object duration: each request keeps the object active ~5 ms at 128 MB.
 *  - Durable Object storage: the gate does one synchronous-KV read and write per call plus a
 *    latency-histogram upsert on reports: assume 1 row read and 2 rows written per DO request.
 *  - D1 storage (GB-month) is left out: with 30-day retention it is a capacity limit (see
 *    docs/SCALING.md) rather than a per-delivery cost.
 */
export const ASSUMPTIONS = {
  queueOpsPer64KbMessage: 1,
  consumerInvocationIsWorkersRequest: true,
  doActiveMsPerRequest: 5,
  doMemoryGb: 0.128,
  doRowsReadPerRequest: 1,
  doRowsWrittenPerRequest: 2,
};

/**
 * @typedef {object} PerDelivery operations per successful delivery
 * @property {number} workersRequests ingest HTTP requests + consumer invocations
 * @property {number} cpuMs
 * @property {number} queueOps
 * @property {number} d1RowsRead
 * @property {number} d1RowsWritten
 * @property {number} doRequests
 */

/**
 * USD per million successful deliveries, itemised.
 * @param {PerDelivery} per
 */
export function costPerMillion(per) {
  const doGbS = per.doRequests * (ASSUMPTIONS.doActiveMsPerRequest / 1000) * ASSUMPTIONS.doMemoryGb;
  const items = {
    workersRequests: per.workersRequests * PRICES.workersRequestsPerMillion,
    workersCpu: per.cpuMs * PRICES.workersCpuMsPerMillion,
    queues: per.queueOps * PRICES.queueOpsPerMillion,
    d1RowsRead: per.d1RowsRead * PRICES.d1RowsReadPerMillion,
    d1RowsWritten: per.d1RowsWritten * PRICES.d1RowsWrittenPerMillion,
    doRequests: per.doRequests * PRICES.doRequestsPerMillion,
    doDuration: doGbS * PRICES.doGbSecondsPerMillion,
    doStorage:
      per.doRequests *
      (ASSUMPTIONS.doRowsReadPerRequest * PRICES.doRowsReadPerMillion +
        ASSUMPTIONS.doRowsWrittenPerRequest * PRICES.doRowsWrittenPerMillion),
  };
  // Each item above is "units per delivery x USD per million units" = USD per million deliveries.
  const total = Object.values(items).reduce((a, b) => a + b, 0);
  return { total, items };
}
