-- A user can be disabled (kept, with their history, but unable to sign in or use
-- any token) instead of deleted. NULL = active.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
