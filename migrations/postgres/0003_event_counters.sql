-- Event ids for several writers (several central nodes' event store threads on one database).
-- Each writer takes a block of ids at a time: nextval gives the first id of a block of
-- INCREMENT ids (the block is [v, v + 10000)), so two writers never assign the same id. Ids
-- increase per writer; across writers they interleave (a page in id order is not time order
-- across nodes, which the API does not promise).
CREATE SEQUENCE event_id_blocks AS bigint INCREMENT BY 10000 MINVALUE 1 START WITH 1;
-- Events already stored (ids assigned by one writer before this): blocks start above them.
SELECT setval('event_id_blocks', (SELECT max(id) FROM events) + 1, false) WHERE EXISTS (SELECT 1 FROM events);

-- The counters (event_minutes, event_seconds, event_counts, unknown_senders; tables in
-- 0002_core.sql) are added to by every writer in its batch's transaction with
-- INSERT ... ON CONFLICT DO UPDATE (keys in one order, so two writers do not deadlock), and the
-- sums of several writers add up. Their primary keys begin with the minute/second: reads by time
-- use them; no further index.
