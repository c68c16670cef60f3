-- PLACEHOLDER on branch i17-escalation only: migration numbers must be gapless and 0020 is issued to (helper R, i17-rootcause).
-- Delete this file when merging i17-escalation after that branch (its real 0020 replaces it).
SELECT 1;
