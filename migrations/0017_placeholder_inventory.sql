-- PLACEHOLDER on branch i16-latency only: migration numbers must be gapless and 0017 is issued to (helper B, i16-inventory).
-- Delete this file when merging i16-latency after that branch (its real 0017 replaces it).
SELECT 1;
