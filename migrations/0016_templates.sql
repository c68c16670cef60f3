-- Collection templates added through the API/console (issue 16); files in templates/ are not stored here.
-- device_id / device_group: a template generated for one device or one group ("Poll this table"); both NULL: applies by its own conditions.
CREATE TABLE templates (
  id           TEXT    PRIMARY KEY,
  body         TEXT    NOT NULL,
  source_text  TEXT,
  device_id    INTEGER REFERENCES devices(id) ON DELETE CASCADE,
  device_group TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  CHECK (device_id IS NULL OR device_group IS NULL)
);

-- Instances found by low-level discovery, kept after they vanish (gone_at set).
CREATE TABLE template_instances (
  device_id   INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  template_id TEXT    NOT NULL,
  table_no    INTEGER NOT NULL,
  idx         TEXT    NOT NULL,
  label       TEXT    NOT NULL,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  gone_at     INTEGER,
  PRIMARY KEY (device_id, template_id, table_no, idx)
) WITHOUT ROWID;
