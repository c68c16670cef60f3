-- Issue 18: alerts from Prometheus Alertmanager become events of their own source, 'alertmanager'.
-- SQLite cannot change a CHECK constraint in place (defensive mode forbids editing the schema), so the
-- events table is rebuilt with the wider constraint: same columns, same ids (the full-text partitions,
-- alarm links and counters refer to event ids, which are kept), no indexes of its own since 0010.
-- Cost: one copy of the table at the first start after the upgrade: 7.9 s for 1 million events on a
-- 2-core test machine (so up to ~80 s at the default 10 million cap), and free disk for a second copy
-- of the events table while it runs (the WAL holds it until the next checkpoint).
CREATE TABLE events_0015 (
  id             INTEGER PRIMARY KEY,
  received_at    INTEGER NOT NULL,
  reported_at    INTEGER,
  source         TEXT    NOT NULL CHECK (source IN ('syslog', 'trap', 'poll', 'icmp', 'system', 'alertmanager')),
  source_address TEXT,
  device_id      INTEGER,
  severity       INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 5),
  type           TEXT    NOT NULL,
  message        TEXT    NOT NULL,
  params         TEXT    NOT NULL DEFAULT '{}'
);
INSERT INTO events_0015 (id, received_at, reported_at, source, source_address, device_id, severity, type, message, params)
  SELECT id, received_at, reported_at, source, source_address, device_id, severity, type, message, params FROM events ORDER BY id;
DROP TABLE events;
ALTER TABLE events_0015 RENAME TO events;
