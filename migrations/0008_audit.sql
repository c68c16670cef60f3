-- Audit log: who changed what, from where, with the object before and after (secrets redacted).
CREATE TABLE audit_log (
  id             INTEGER PRIMARY KEY,
  at             INTEGER NOT NULL,
  user_id        INTEGER,
  username       TEXT,
  role           TEXT,
  source_address TEXT,
  action         TEXT    NOT NULL,
  object_type    TEXT    NOT NULL,
  object_id      TEXT,
  object_name    TEXT,
  method         TEXT,
  path           TEXT,
  status         INTEGER NOT NULL,
  outcome        TEXT    NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  before_json    TEXT,
  after_json     TEXT,
  details_json   TEXT
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id, id);
CREATE INDEX audit_log_user ON audit_log(username, id);
