-- Root-cause analysis (issue 17): alarms raised under a cause are suppressed (no notification)
-- and point at the cause's alarm; a cause counts the devices behind it that are unreachable.
ALTER TABLE alarms ADD COLUMN suppressed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alarms ADD COLUMN root_alarm_id INTEGER;
ALTER TABLE alarms ADD COLUMN impact_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX alarms_root ON alarms(root_alarm_id) WHERE root_alarm_id IS NOT NULL;

-- What an admin sets per device: a pinned parent (wins over the group's and the topology's)
-- and/or the device being a root (first hop from the polling site).
CREATE TABLE device_dependencies (
  device_id        INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
  pinned_parent_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,
  is_root          INTEGER NOT NULL DEFAULT 0,
  updated_at       INTEGER NOT NULL
);

-- A parent pinned for every device of a group (devices.device_group), except the parent itself.
CREATE TABLE group_dependencies (
  group_name TEXT    PRIMARY KEY,
  parent_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  updated_at INTEGER NOT NULL
);
