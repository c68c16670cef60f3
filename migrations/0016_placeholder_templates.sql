-- PLACEHOLDER on branch i16-latency only: migration numbers must be gapless and 0016 is issued to (helper A, i16-templates).
-- Delete this file when merging i16-latency after that branch (its real 0016 replaces it).
SELECT 1;
