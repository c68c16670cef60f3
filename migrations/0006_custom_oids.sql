-- User-defined OIDs polled as metrics, for one device or for every device of a group.
CREATE TABLE custom_oids (
  id           INTEGER PRIMARY KEY,
  device_id    INTEGER REFERENCES devices(id) ON DELETE CASCADE,
  device_group TEXT,
  oid          TEXT    NOT NULL,
  name         TEXT    NOT NULL,
  input        TEXT    NOT NULL,
  unit         TEXT,
  created_at   INTEGER NOT NULL,
  CHECK ((device_id IS NULL) <> (device_group IS NULL))
);
CREATE INDEX custom_oids_device ON custom_oids(device_id);
CREATE INDEX custom_oids_group ON custom_oids(device_group);
