-- Issue 14: event storms. Full-text search, per-minute counters, unknown senders, smaller events.
-- Rows stored before this migration keep their params as JSON and are indexed and counted at
-- start-up by the event store thread, newest first, in bounded batches (event_backfill).

-- The events table keeps only its primary key. Time ranges map to id ranges through
-- event_minutes; unknown senders have their own summary; source, severity and device are words
-- of the full-text index (a few bytes an event there against 15-21 in a B-tree index each, and
-- ~3 us less per event stored), which answers those filters newest first.
DROP INDEX IF EXISTS events_unknown_sender;
DROP INDEX IF EXISTS events_received;
DROP INDEX IF EXISTS events_source;
DROP INDEX IF EXISTS events_device;

-- One row per minute of receive time (received_at / 60000): events stored, by severity, and the
-- lowest / highest event id of the minute (time range -> id range). Kept while the minute's
-- events are, and at least for the dashboard's hour when the row cap removed them.
CREATE TABLE event_minutes (
  minute   INTEGER PRIMARY KEY,
  n        INTEGER NOT NULL,
  critical INTEGER NOT NULL DEFAULT 0,
  major    INTEGER NOT NULL DEFAULT 0,
  minor    INTEGER NOT NULL DEFAULT 0,
  warning  INTEGER NOT NULL DEFAULT 0,
  info     INTEGER NOT NULL DEFAULT 0,
  debug    INTEGER NOT NULL DEFAULT 0,
  min_id   INTEGER NOT NULL,
  max_id   INTEGER NOT NULL
);

-- Events stored per minute by type, source, severity and device (0 = none), same lifetime.
CREATE TABLE event_counts (
  minute    INTEGER NOT NULL,
  type      TEXT    NOT NULL,
  source    TEXT    NOT NULL,
  severity  INTEGER NOT NULL,
  device_id INTEGER NOT NULL,
  n         INTEGER NOT NULL,
  PRIMARY KEY (minute, type, source, severity, device_id)
) WITHOUT ROWID;

-- Senders that are no device: how many of their events are stored, first / last seen, the last
-- message. first_id is the oldest event counted (retention subtracts only events counted).
CREATE TABLE unknown_senders (
  address      TEXT    PRIMARY KEY,
  count        INTEGER NOT NULL,
  first_seen   INTEGER NOT NULL,
  last_seen    INTEGER NOT NULL,
  last_message TEXT    NOT NULL,
  first_id     INTEGER NOT NULL,
  last_id      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX unknown_senders_recent ON unknown_senders(last_seen, address);

-- The full-text index is kept in partitions (FTS5 tables events_fts_<part>, contentless; columns
-- message, type, host, app, vars, tags), each for a range of event ids: retention drops a partition once all its events are gone (deleting
-- from an FTS5 index row by row costs 10-20 us per row and stalls for up to a second at a time).
CREATE TABLE event_fts_parts (
  part       INTEGER PRIMARY KEY AUTOINCREMENT,
  min_id     INTEGER NOT NULL,
  max_id     INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

-- Rows stored before this migration still to be indexed and counted: ids low_id..next_id, done
-- from next_id down. No row when there is nothing to do.
CREATE TABLE event_backfill (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  next_id INTEGER NOT NULL,
  low_id  INTEGER NOT NULL
);
INSERT INTO event_backfill (id, next_id, low_id)
  SELECT 1, (SELECT max(id) FROM events), (SELECT min(id) FROM events) WHERE EXISTS (SELECT 1 FROM events);
