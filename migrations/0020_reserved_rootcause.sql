-- Placeholder on branch i17-makerule only: number 0020 belongs to the root-cause work
-- (branch i17-rootcause). Delete this file when merging that branch's 0020 migration.
SELECT 1;
