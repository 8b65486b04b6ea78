-- Payload filters (docs/ARCHITECTURE.md, "Payload filters").
--
-- An endpoint's filter over the payload, as compact JSON (numbers as written, so big integers
-- stay exact); NULL: every message of its event types. Ingest reads it with the endpoints it
-- already reads (and caches), so filtering costs no read of its own.
ALTER TABLE endpoints ADD COLUMN filter TEXT;

-- The endpoints a message's filters left out, in the ingest INSERT of the message (no write of
-- its own): a JSON array of their ULIDs without the `ep_` prefix, like `endpoints`; NULL when
-- no filter refused it, which is nearly free.
ALTER TABLE messages ADD COLUMN filtered TEXT;
