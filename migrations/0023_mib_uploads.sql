-- Issue 15: uploaded MIB files kept in the store as well as in <dataDir>/mibs/ (with databaseUrl, i.e.
-- on PostgreSQL; the table exists on SQLite too, so both engines have one schema). Every central node
-- sharing one store writes the rows its <dataDir>/mibs/ lacks and recompiles, so it knows a MIB
-- uploaded through any node. path: a single upload's file name, or bundles/<bundle>/<file> for a
-- bundle's files; bundle: the bundle's name (NULL for a single file). sha256: hex digest of content,
-- compared with the node's files, so only rows that differ are read.
CREATE TABLE mib_uploads (
  path        TEXT    PRIMARY KEY,
  bundle      TEXT,
  sha256      TEXT    NOT NULL,
  content     BLOB    NOT NULL,
  uploaded_at INTEGER NOT NULL
);
CREATE INDEX mib_uploads_bundle ON mib_uploads (bundle);
