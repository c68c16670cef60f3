-- Placeholder for migration 0016 of issue 16's collection templates (branch i16-templates), so that
-- this branch's 0017 follows without a gap. When i16-templates is merged its own 0016 replaces this
-- file (delete this one then). It changes nothing.
SELECT 1;
