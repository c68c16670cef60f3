-- Remote collectors (issue 15) as the centre knows them from their heartbeats, and the site of each
-- device: the centre polls the devices of its own site, a collector those of its site.
CREATE TABLE collectors (
  id            TEXT    PRIMARY KEY,
  site          TEXT    NOT NULL,
  version       TEXT    NOT NULL,
  hostname      TEXT    NOT NULL,
  address       TEXT,
  started_at    INTEGER NOT NULL,
  first_seen    INTEGER NOT NULL,
  last_seen     INTEGER NOT NULL,
  lag_ms        INTEGER NOT NULL,
  counters      TEXT    NOT NULL DEFAULT '{}',
  spool_records INTEGER NOT NULL DEFAULT 0,
  spool_bytes   INTEGER NOT NULL DEFAULT 0,
  state         TEXT    NOT NULL DEFAULT 'up' CHECK (state IN ('up', 'down'))
);
CREATE INDEX collectors_site ON collectors(site);

ALTER TABLE devices ADD COLUMN site TEXT NOT NULL DEFAULT 'central';
