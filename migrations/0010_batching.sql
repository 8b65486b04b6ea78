-- Endpoint batching (docs/ARCHITECTURE.md, "Batching").
--
-- endpoints.batch: {"maxEvents","maxWaitMs"} as compact JSON; NULL: one delivery per request.
-- Read with the endpoint row the consumer already reads for each batch.
ALTER TABLE endpoints ADD COLUMN batch TEXT;

-- open_deliveries.batch_id: the batch a retrying delivery was sent in, so its retry goes out
-- with the same members under the same webhook-id; NULL: not sent in a batch (or waiting to
-- be grouped). Written by the same park upsert as the rest of the row: no extra write.
ALTER TABLE open_deliveries ADD COLUMN batch_id TEXT;
