-- Each collector's X25519 public key (base64, from its heartbeats): the centre seals the SNMP secrets
-- of the site's devices for it (issue 15). Null until a heartbeat carries one.
ALTER TABLE collectors ADD COLUMN public_key TEXT;
