-- Issue 15: raw samples partitioned by UTC day of ts (seconds since the epoch), as events are:
-- samples_raw_YYYYMMDD, created by the writer (SampleRepository, through samples_raw_ensure_partition)
-- for the days of its window; rows of any other day go to samples_raw_default (kept, never refused).
-- Retention drops whole day partitions (docs/POSTGRES.md, "Samples"). The primary key holds ts, the
-- partition key, so ON CONFLICT (metric_id, ts) works as on SQLite.
ALTER TABLE samples_raw RENAME TO samples_raw_unpartitioned;
ALTER TABLE samples_raw_unpartitioned RENAME CONSTRAINT samples_raw_pkey TO samples_raw_unpartitioned_pkey;
CREATE TABLE samples_raw (
  metric_id bigint NOT NULL,
  ts        bigint NOT NULL,
  value     double precision    NOT NULL,
  PRIMARY KEY (metric_id, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE samples_raw_default PARTITION OF samples_raw DEFAULT;
-- Rows stored before this migration land in the default partition; a day's rows move into its own
-- partition when the writer creates it (days inside its window), and retention deletes the rest.
INSERT INTO samples_raw SELECT metric_id, ts, value FROM samples_raw_unpartitioned;
DROP TABLE samples_raw_unpartitioned;
-- One row per day partition of samples_raw.
CREATE TABLE sample_partitions (
  day  integer PRIMARY KEY,          -- floor(ts / 86 400)
  name text    NOT NULL UNIQUE
);
-- Creates the partition of day `d` (UTC) unless it exists; rows of that day that had gone to
-- samples_raw_default move into it (PostgreSQL refuses the partition while the default holds any).
-- Serialised by a transaction-level advisory lock: several central nodes may ask at once.
CREATE FUNCTION samples_raw_ensure_partition(d integer) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  lo bigint := d::bigint * 86400;
  hi bigint := (d::bigint + 1) * 86400;
  tbl text := 'samples_raw_' || to_char(to_timestamp(d::double precision * 86400) AT TIME ZONE 'UTC', 'YYYYMMDD');
BEGIN
  PERFORM pg_advisory_xact_lock(7239002);
  IF EXISTS (SELECT 1 FROM sample_partitions WHERE day = d) THEN RETURN false; END IF;
  CREATE TEMP TABLE IF NOT EXISTS samples_raw_moving (LIKE samples_raw) ON COMMIT DROP;
  WITH m AS (DELETE FROM samples_raw_default WHERE ts >= lo AND ts < hi RETURNING *)
    INSERT INTO samples_raw_moving SELECT * FROM m;
  EXECUTE format('CREATE TABLE %I PARTITION OF samples_raw FOR VALUES FROM (%s) TO (%s)', tbl, lo, hi);
  INSERT INTO samples_raw SELECT * FROM samples_raw_moving;
  DELETE FROM samples_raw_moving;
  INSERT INTO sample_partitions (day, name) VALUES (d, tbl);
  RETURN true;
END $$;
