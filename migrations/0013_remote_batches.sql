-- Issue 15: batches of events from remote collectors (NATS JetStream message ids) that are stored.
-- Written in the same transaction as the batch's events, so a batch delivered again (the centre
-- stopped between storing it and acknowledging it) is recognised and acknowledged without storing
-- its events twice. Kept for a day (redelivery comes within seconds to minutes).
CREATE TABLE remote_batches (
  msg_id    TEXT    PRIMARY KEY,
  stored_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX remote_batches_age ON remote_batches(stored_at);
