-- Issue 15: uploaded MIB files in the shared store (the SQLite schema's 0023_mib_uploads): every central
-- node writes the rows it lacks into its own <dataDir>/mibs/ and recompiles (docs/SCALING.md).
CREATE TABLE mib_uploads (
  path        text   PRIMARY KEY,
  bundle      text,
  sha256      text   NOT NULL,
  content     bytea  NOT NULL,
  uploaded_at bigint NOT NULL
);
CREATE INDEX mib_uploads_bundle ON mib_uploads (bundle);
