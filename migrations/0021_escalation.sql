-- Escalation policies, the escalation state of open alarms, per-channel delivery settings (issue 17).
CREATE TABLE escalation_policies (
  id         INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  enabled    INTEGER NOT NULL DEFAULT 1,
  position   INTEGER NOT NULL DEFAULT 0,
  -- JSON: { steps: [{ waitMinutes, channelIds }], repeatMinutes, assignments: [{ kind, value }] }
  body       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Where each escalating alarm stands: survives a restart.
CREATE TABLE alarm_escalations (
  alarm_id    INTEGER PRIMARY KEY,
  policy_id   INTEGER NOT NULL REFERENCES escalation_policies(id) ON DELETE CASCADE,
  started_at  INTEGER NOT NULL,
  -- Index of the next step to run; = number of steps once the last step ran (then repeats).
  next_step   INTEGER NOT NULL,
  next_due_at INTEGER,
  repeats     INTEGER NOT NULL DEFAULT 0,
  -- JSON array of the channel ids notified so far (they get the acknowledge/resolve notices).
  notified    TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX alarm_escalations_due ON alarm_escalations(next_due_at);

-- Quiet hours and digest settings of a channel (not secret): JSON.
ALTER TABLE notification_channels ADD COLUMN delivery TEXT NOT NULL DEFAULT '{}';

-- Notifications held during a channel's quiet hours (sent as one summary when they end): survive a restart.
CREATE TABLE notification_held (
  id         INTEGER PRIMARY KEY,
  channel_id INTEGER NOT NULL REFERENCES notification_channels(id) ON DELETE CASCADE,
  payload    TEXT    NOT NULL,
  held_at    INTEGER NOT NULL
);
CREATE INDEX notification_held_channel ON notification_held(channel_id, id);
