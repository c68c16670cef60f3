-- Latency as a distribution: every ICMP cycle of a device, with the RTT of each probe
-- (issue 16). Percentiles are those of the replies; NULL when none came back (100% loss).
CREATE TABLE latency_raw (
  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  ts        INTEGER NOT NULL,
  sent      INTEGER NOT NULL,
  received  INTEGER NOT NULL,
  p0        REAL,
  p10       REAL,
  p25       REAL,
  p50       REAL,
  p75       REAL,
  p90       REAL,
  p95       REAL,
  p100      REAL,
  -- Per-probe RTTs in probe order: little-endian uint32 microseconds, 0xFFFFFFFF = lost.
  rtts      BLOB NOT NULL,
  PRIMARY KEY (device_id, ts)
) WITHOUT ROWID;

-- Rollups: sums of probes, min p0, max p100, the other percentiles averaged over the cycles
-- that had replies (`answered`), `cycles` = cycles in the bucket.
CREATE TABLE latency_5m (
  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  ts        INTEGER NOT NULL,
  sent      INTEGER NOT NULL,
  received  INTEGER NOT NULL,
  p0 REAL, p10 REAL, p25 REAL, p50 REAL, p75 REAL, p90 REAL, p95 REAL, p100 REAL,
  cycles    INTEGER NOT NULL,
  answered  INTEGER NOT NULL,
  PRIMARY KEY (device_id, ts)
) WITHOUT ROWID;

CREATE TABLE latency_1h (
  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  ts        INTEGER NOT NULL,
  sent      INTEGER NOT NULL,
  received  INTEGER NOT NULL,
  p0 REAL, p10 REAL, p25 REAL, p50 REAL, p75 REAL, p90 REAL, p95 REAL, p100 REAL,
  cycles    INTEGER NOT NULL,
  answered  INTEGER NOT NULL,
  PRIMARY KEY (device_id, ts)
) WITHOUT ROWID;
