-- Users, their sessions and API tokens, and managed devices.
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT    NOT NULL,
  role          TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

-- Console sessions (kind 'session') and long-lived API tokens (kind 'api').
-- Only a SHA-256 of the token is stored.
CREATE TABLE auth_tokens (
  id           INTEGER PRIMARY KEY,
  token_hash   TEXT    NOT NULL UNIQUE,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind         TEXT    NOT NULL CHECK (kind IN ('session', 'api')),
  name         TEXT,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  last_used_at INTEGER
);
CREATE INDEX auth_tokens_user ON auth_tokens(user_id, kind);

CREATE TABLE devices (
  id                INTEGER PRIMARY KEY,
  name              TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  address           TEXT    NOT NULL,
  device_group      TEXT,
  location          TEXT,
  tags              TEXT    NOT NULL DEFAULT '[]',
  poll_interval_sec INTEGER NOT NULL DEFAULT 60 CHECK (poll_interval_sec >= 5),
  icmp_enabled      INTEGER NOT NULL DEFAULT 1,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX devices_address ON devices(address);

-- SNMP settings of a device (one row per device). Secrets are write-only in the API.
CREATE TABLE device_snmp (
  device_id     INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
  enabled       INTEGER NOT NULL DEFAULT 1,
  version       TEXT    NOT NULL DEFAULT '2c' CHECK (version IN ('1', '2c', '3')),
  port          INTEGER NOT NULL DEFAULT 161,
  community     TEXT,
  username      TEXT,
  auth_protocol TEXT CHECK (auth_protocol IN ('md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512')),
  auth_key      TEXT,
  priv_protocol TEXT CHECK (priv_protocol IN ('des', 'aes', 'aes256b', 'aes256r')),
  priv_key      TEXT,
  context       TEXT,
  timeout_ms    INTEGER NOT NULL DEFAULT 2000,
  retries       INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
