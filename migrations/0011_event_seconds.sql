-- One row per second of receive time (received_at / 1000): the lowest and highest event id received in
-- it. A time range becomes an id range to the second instead of the minute (event_minutes), so a
-- one-minute range in a storm reads the range's events, not up to two extra minutes of them. Seconds
-- before this migration are missing: ranges there fall back to event_minutes.
CREATE TABLE event_seconds (
  second INTEGER PRIMARY KEY,
  min_id INTEGER NOT NULL,
  max_id INTEGER NOT NULL
);
