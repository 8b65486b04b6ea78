-- Endpoint transforms (docs/ARCHITECTURE.md, "Transformations").
--
-- A JSONata expression that reshapes the body the endpoint's format would send, and may add a
-- path suffix and x-* headers; NULL: the body goes out as built, byte for byte. Read with the
-- endpoint row the consumer already reads for each batch, so a transform costs no read or
-- write per delivery.
ALTER TABLE endpoints ADD COLUMN transform TEXT;
