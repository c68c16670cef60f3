-- More notification channel types (issue 17): Teams, Telegram, PagerDuty, Opsgenie,
-- Alertmanager and the HTTP template channel. SQLite cannot alter a CHECK, so the
-- table is rebuilt with the same columns and rows (nothing references it).
CREATE TABLE notification_channels_new (
  id              INTEGER PRIMARY KEY,
  name            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  type            TEXT    NOT NULL CHECK (type IN ('webhook', 'slack', 'email', 'teams', 'telegram', 'pagerduty', 'opsgenie', 'alertmanager', 'http')),
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
INSERT INTO notification_channels_new SELECT id, name, type, enabled, config, sent_count, failed_count, last_success_at, last_error, last_error_at, created_at, updated_at FROM notification_channels;
DROP TABLE notification_channels;
ALTER TABLE notification_channels_new RENAME TO notification_channels;
