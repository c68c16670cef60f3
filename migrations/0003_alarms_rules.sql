-- Rules (data, evaluated by position), alarms derived from events, maintenance windows,
-- notification channels. The default rule pack is seeded at start-up (idempotent by builtin_key).
CREATE TABLE rules (
  id          INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL,
  description TEXT    NOT NULL DEFAULT '',
  kind        TEXT    NOT NULL CHECK (kind IN ('event', 'threshold')),
  enabled     INTEGER NOT NULL DEFAULT 1,
  position    INTEGER NOT NULL,
  builtin_key TEXT UNIQUE,
  body        TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX rules_position ON rules(position, id);

-- severity: 0 critical … 5 debug (as events). One open (not cleared) alarm per reduction key.
CREATE TABLE alarms (
  id              INTEGER PRIMARY KEY,
  reduction_key   TEXT    NOT NULL,
  state           TEXT    NOT NULL CHECK (state IN ('active', 'acknowledged', 'cleared')),
  severity        INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 5),
  title           TEXT    NOT NULL,
  message         TEXT    NOT NULL,
  device_id       INTEGER,
  source_address  TEXT,
  source          TEXT    NOT NULL,
  event_type      TEXT    NOT NULL,
  rule_id         INTEGER,
  first_seen      INTEGER NOT NULL,
  last_seen       INTEGER NOT NULL,
  count           INTEGER NOT NULL DEFAULT 1,
  acked_by        TEXT,
  acked_at        INTEGER,
  cleared_at      INTEGER,
  cleared_by      TEXT,
  in_maintenance  INTEGER NOT NULL DEFAULT 0,
  flapping        INTEGER NOT NULL DEFAULT 0,
  archived        INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX alarms_open_key ON alarms(reduction_key) WHERE state <> 'cleared';
CREATE INDEX alarms_key ON alarms(reduction_key, id);
CREATE INDEX alarms_state ON alarms(state, archived, severity, last_seen);
CREATE INDEX alarms_cleared ON alarms(cleared_at) WHERE state = 'cleared' AND archived = 0;

-- Links from an alarm to the events that raised, updated or cleared it (no FK: retention may delete events).
CREATE TABLE alarm_events (
  alarm_id INTEGER NOT NULL REFERENCES alarms(id) ON DELETE CASCADE,
  event_id INTEGER NOT NULL,
  PRIMARY KEY (alarm_id, event_id)
) WITHOUT ROWID;

CREATE TABLE alarm_notes (
  id         INTEGER PRIMARY KEY,
  alarm_id   INTEGER NOT NULL REFERENCES alarms(id) ON DELETE CASCADE,
  username   TEXT    NOT NULL,
  text       TEXT    NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX alarm_notes_alarm ON alarm_notes(alarm_id, id);

CREATE TABLE maintenance_windows (
  id           INTEGER PRIMARY KEY,
  name         TEXT    NOT NULL,
  device_id    INTEGER REFERENCES devices(id) ON DELETE CASCADE,
  device_group TEXT,
  kind         TEXT    NOT NULL CHECK (kind IN ('once', 'daily', 'weekly')),
  starts_at    INTEGER,
  ends_at      INTEGER,
  days         TEXT    NOT NULL DEFAULT '[]',
  start_time   TEXT,
  duration_min INTEGER,
  timezone     TEXT    NOT NULL DEFAULT 'UTC',
  created_by   TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  CHECK (device_id IS NOT NULL OR device_group IS NOT NULL)
);

-- config holds the channel settings (secrets included; never returned by the API).
CREATE TABLE notification_channels (
  id              INTEGER PRIMARY KEY,
  name            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  type            TEXT    NOT NULL CHECK (type IN ('webhook', 'slack', 'email')),
  enabled         INTEGER NOT NULL DEFAULT 1,
  config          TEXT    NOT NULL,
  sent_count      INTEGER NOT NULL DEFAULT 0,
  failed_count    INTEGER NOT NULL DEFAULT 0,
  last_success_at INTEGER,
  last_error      TEXT,
  last_error_at   INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
