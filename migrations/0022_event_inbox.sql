-- Unmatched inbox (issue 17): event types (trap OIDs, syslog mnemonics / app names)
-- that no rule matched, aggregated by the event engine and flushed in batches.
-- state: 'new' (listed), 'dismissed' (hidden until seen again inbox_dismiss_days after
-- the dismissal), 'accepted' (rules made; listed again if unmatched events come back).
CREATE TABLE event_inbox (
  id           INTEGER PRIMARY KEY,
  source       TEXT    NOT NULL,
  type         TEXT    NOT NULL,
  count        INTEGER NOT NULL DEFAULT 0,
  first_seen   INTEGER NOT NULL,
  last_seen    INTEGER NOT NULL,
  -- JSON array of up to 20 device labels: {"id":n,"name":"…"} or {"address":"…"}
  devices      TEXT    NOT NULL DEFAULT '[]',
  device_count INTEGER NOT NULL DEFAULT 0,
  -- JSON of one recent event: {message, severity, sourceAddress, deviceId, params, eventId?}
  sample       TEXT    NOT NULL DEFAULT '{}',
  state        TEXT    NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'dismissed', 'accepted')),
  state_at     INTEGER,
  state_by     TEXT,
  rule_ids     TEXT    NOT NULL DEFAULT '[]',
  -- The proposal as edited in the console (JSON array of rules), NULL = the computed one.
  edited_rules TEXT,
  UNIQUE (source, type)
);
CREATE INDEX event_inbox_state_seen ON event_inbox (state, last_seen DESC);
