-- How many endpoints an app may have (NULL: the deployment's MAX_ENDPOINTS). A message fans out
-- to every matching endpoint however many there are, so the cap is checked when endpoints are
-- added, never at ingest; it bounds the fan-out list a message row holds.
ALTER TABLE apps ADD COLUMN max_endpoints INTEGER;
