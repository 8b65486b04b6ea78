-- A batching endpoint's batch that is still filling (docs/ARCHITECTURE.md, "Batching"): first
-- tries parked under one batch id (`attempts = 0`, `batch_id` set) until the batch is full or
-- its oldest has waited maxWaitMs. A consumer with more first tries for the endpoint finds the
-- group here and joins it, reading only the group's rows.
CREATE INDEX open_deliveries_filling ON open_deliveries(endpoint_id, batch_id)
  WHERE attempts = 0 AND batch_id IS NOT NULL;
