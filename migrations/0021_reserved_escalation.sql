-- Placeholder on branch i17-makerule only: number 0021 belongs to the escalation work
-- (branch i17-escalation). Delete this file when merging that branch's 0021 migration.
SELECT 1;
