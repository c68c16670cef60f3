-- Placeholder on branch sec-web only: number 0008 is reserved for another part of
-- issue 13. Migrations must be numbered without gaps, and this branch needs 0009.
-- When merging, take the real 0008 and delete this file.
SELECT 1;
