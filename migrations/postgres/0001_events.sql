-- Events on PostgreSQL: the same columns and meaning as SQLite's `events`
-- (migrations/0002_events.sql), partitioned by day of received_at (UTC).
-- Ids are assigned by the writer (the event store thread), as on SQLite.
-- Times are milliseconds since the epoch, as double precision: exactly the
-- numbers SQLite stores (the writer only guarantees they are finite).
CREATE TABLE events (
  id             bigint           NOT NULL,
  received_at    double precision NOT NULL,
  reported_at    double precision,
  source         text             NOT NULL,
  source_address text,
  device_id      bigint,
  severity       smallint         NOT NULL,
  type           text             NOT NULL,
  -- Text of the event (NUL characters, which PostgreSQL text cannot hold, are stored as U+FFFD).
  message        text             NOT NULL,
  -- The params codec's text (event-params.codec.ts), kept byte for byte: `json`, not `jsonb`,
  -- because jsonb reorders keys and refuses \u0000, and the codec's layouts rely on key order.
  params         json             NOT NULL,
  -- Full-text lexemes written by the writer (server/store/pg/event-tsvector.ts): one prefix per
  -- field (m_ message, t_ type words, h_ host, a_ app, v_ varbind/structured-data values,
  -- y_ the encoded whole-type token, z_ the whole lower-cased type).
  tsv            tsvector         NOT NULL,
  PRIMARY KEY (id, received_at)
) PARTITION BY RANGE (received_at);

-- Rows whose day has no partition (a clock far off): kept, never refused. Small by design.
CREATE TABLE events_default PARTITION OF events DEFAULT;

CREATE INDEX events_tsv ON events USING gin (tsv);
CREATE INDEX events_device ON events (device_id, id) WHERE device_id IS NOT NULL;
CREATE INDEX events_source ON events (source, id);
CREATE INDEX events_received ON events (received_at);

-- One row per day partition: its table and the events the writer put in it (for the row cap).
CREATE TABLE event_partitions (
  day   integer PRIMARY KEY,          -- floor(received_at / 86 400 000)
  name  text    NOT NULL UNIQUE,
  rows  bigint  NOT NULL DEFAULT 0
);

-- Ids of remote batches stored (committed with their events), as SQLite's remote_batches.
CREATE TABLE remote_batches (
  msg_id    text PRIMARY KEY,
  stored_at double precision NOT NULL
);
CREATE INDEX remote_batches_stored ON remote_batches (stored_at);

-- Creates the partition of day `d` (UTC) unless it exists; rows of that day that had gone to
-- events_default move into it (PostgreSQL refuses the partition while the default holds any).
-- Serialised by a transaction-level advisory lock: several writers may ask at once.
CREATE FUNCTION events_ensure_partition(d integer) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  lo double precision := d::double precision * 86400000;
  hi double precision := (d::double precision + 1) * 86400000;
  tbl text := 'events_' || to_char(to_timestamp(d::double precision * 86400) AT TIME ZONE 'UTC', 'YYYYMMDD');
  moved bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(7239001);
  IF EXISTS (SELECT 1 FROM event_partitions WHERE day = d) THEN RETURN false; END IF;
  CREATE TEMP TABLE IF NOT EXISTS events_moving (LIKE events) ON COMMIT DROP;
  WITH m AS (DELETE FROM events_default WHERE received_at >= lo AND received_at < hi RETURNING *)
    INSERT INTO events_moving SELECT * FROM m;
  GET DIAGNOSTICS moved = ROW_COUNT;
  EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%s) TO (%s)', tbl, lo, hi);
  INSERT INTO events SELECT * FROM events_moving;
  DELETE FROM events_moving;
  INSERT INTO event_partitions (day, name, rows) VALUES (d, tbl, moved);
  RETURN true;
END $$;
