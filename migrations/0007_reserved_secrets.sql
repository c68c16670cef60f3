-- Placeholder on branch sec-web only: number 0007 belongs to the secrets-at-rest
-- branch. Migrations must be numbered without gaps, and this branch needs 0009.
-- When merging, take the real 0007 (and 0008) and delete this file.
SELECT 1;
