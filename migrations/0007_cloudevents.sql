-- Delivery formats (docs/ARCHITECTURE.md, "Delivery formats: CloudEvents").
--
-- How an endpoint's requests are shaped: 'standard-webhooks' (the {type, timestamp, data}
-- envelope), 'cloudevents' (CloudEvents 1.0 structured mode) or 'cloudevents-binary' (the
-- payload as the body, attributes in ce-* headers). Every format is signed the same way.
ALTER TABLE endpoints ADD COLUMN format TEXT NOT NULL DEFAULT 'standard-webhooks'
  CHECK (format IN ('standard-webhooks', 'cloudevents', 'cloudevents-binary'));

-- The CloudEvents `source` attribute of an app's events; NULL: '/hooklane/{appId}'. On the apps
-- row, so it moves with the app between shards, and the consumer reads it in the same query as
-- the endpoints of a batch (a join), never with a read of its own.
ALTER TABLE apps ADD COLUMN ce_source TEXT;
