-- Issue 16: hardware inventory (ENTITY-MIB entPhysicalTable, and template `inventory:` columns).
-- One row per component of a device per source ('entity-mib' or a template id), kept after it
-- disappears (removed_at set) so the history and a re-insertion can refer to it.
CREATE TABLE inventory_items (
  device_id      INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  source         TEXT    NOT NULL,
  idx            TEXT    NOT NULL,
  parent_idx     TEXT,
  class          TEXT    NOT NULL,
  name           TEXT,
  descr          TEXT,
  model          TEXT,
  serial         TEXT,
  hardware_rev   TEXT,
  firmware_rev   TEXT,
  software_rev   TEXT,
  manufacturer   TEXT,
  fru            INTEGER,
  vendor_type    TEXT,
  parent_rel_pos INTEGER,
  alias          TEXT,
  asset_id       TEXT,
  first_seen     INTEGER NOT NULL,
  last_seen      INTEGER NOT NULL,
  removed_at     INTEGER,
  PRIMARY KEY (device_id, source, idx)
) WITHOUT ROWID;
-- Fleet search by serial number or model (operators look for a serial): exact and prefix, any case.
CREATE INDEX inventory_items_serial ON inventory_items (serial COLLATE NOCASE) WHERE serial IS NOT NULL;
CREATE INDEX inventory_items_model ON inventory_items (model COLLATE NOCASE) WHERE model IS NOT NULL;

-- The last snapshot of each (device, source): when it was read and how many components it had.
-- Its presence is what makes the next snapshot a change rather than the baseline.
CREATE TABLE inventory_sources (
  device_id    INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  source       TEXT    NOT NULL,
  baseline_at  INTEGER NOT NULL,
  collected_at INTEGER NOT NULL,
  items        INTEGER NOT NULL,
  PRIMARY KEY (device_id, source)
) WITHOUT ROWID;

-- What changed, newest last: added, removed, changed (changes: JSON [{field, old, new}]).
CREATE TABLE inventory_history (
  id         INTEGER PRIMARY KEY,
  device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  source     TEXT    NOT NULL,
  idx        TEXT    NOT NULL,
  at         INTEGER NOT NULL,
  change     TEXT    NOT NULL CHECK (change IN ('added', 'removed', 'changed')),
  class      TEXT    NOT NULL,
  name       TEXT,
  model      TEXT,
  serial     TEXT,
  changes    TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX inventory_history_device ON inventory_history (device_id, id);
