-- SNMPv3 USM users that traps and informs may come from (configured in the console/API).
-- Keys are stored as given (net-snmp localizes them per sending engine); the API never returns them.
CREATE TABLE trap_users (
  id             INTEGER PRIMARY KEY,
  username       TEXT NOT NULL UNIQUE,
  auth_protocol  TEXT CHECK (auth_protocol IN ('md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512')),
  auth_key       TEXT,
  priv_protocol  TEXT CHECK (priv_protocol IN ('des', 'aes', 'aes256b', 'aes256r')),
  priv_key       TEXT,
  created_at     INTEGER NOT NULL,
  CHECK ((auth_protocol IS NULL) = (auth_key IS NULL)),
  CHECK ((priv_protocol IS NULL) = (priv_key IS NULL)),
  CHECK (priv_protocol IS NULL OR auth_protocol IS NOT NULL)
);

-- Our own SNMP engine ID (RFC 3411 SnmpEngineID, hex) for INFORMs, where the receiver is
-- authoritative (RFC 3414): created once, kept across restarts so senders' localized keys stay valid.
CREATE TABLE trap_engine (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  engine_id  TEXT NOT NULL
);
