-- Secret columns (device_snmp.community/auth_key/priv_key, trap_users.auth_key/priv_key,
-- notification_channels.config) hold AES-256-GCM envelopes `enc:v1:<kid>:<base64>` from here on;
-- existing plaintext is encrypted in code at start-up, right after the migrations
-- (server/store/secret-store.ts). This row names the key in use and holds a known value sealed
-- with it, so a wrong or missing key file stops start-up with a clear message.
CREATE TABLE secret_key_check (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  kid         TEXT    NOT NULL,
  sealed      TEXT    NOT NULL,
  updated_at  INTEGER NOT NULL
);
