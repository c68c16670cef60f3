-- Immutable events from every source (syslog, trap, poll, icmp, system).
-- severity: 0 critical, 1 major, 2 minor, 3 warning, 4 info, 5 debug.
-- device_id has no foreign key on purpose: events are facts and outlive a deleted device.
CREATE TABLE events (
  id             INTEGER PRIMARY KEY,
  received_at    INTEGER NOT NULL,
  reported_at    INTEGER,
  source         TEXT    NOT NULL CHECK (source IN ('syslog', 'trap', 'poll', 'icmp', 'system')),
  source_address TEXT,
  device_id      INTEGER,
  severity       INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 5),
  type           TEXT    NOT NULL,
  message        TEXT    NOT NULL,
  params         TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX events_received ON events(received_at);
CREATE INDEX events_device ON events(device_id, id) WHERE device_id IS NOT NULL;
CREATE INDEX events_source ON events(source, id);
CREATE INDEX events_unknown_sender ON events(source_address, id) WHERE device_id IS NULL;
