-- Polling state, interfaces, neighbours and time series.

-- Last known state of each device, as the poller saw it.
CREATE TABLE device_status (
  device_id          INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
  icmp_state         TEXT NOT NULL DEFAULT 'unknown' CHECK (icmp_state IN ('up', 'down', 'unknown')),
  snmp_state         TEXT NOT NULL DEFAULT 'unknown' CHECK (snmp_state IN ('up', 'down', 'auth_failure', 'unknown')),
  last_poll_at       INTEGER,
  last_poll_ms       INTEGER,
  last_error         TEXT,
  last_error_kind    TEXT,
  rtt_min_ms         REAL,
  rtt_avg_ms         REAL,
  rtt_max_ms         REAL,
  loss_pct           REAL,
  jitter_ms          REAL,
  last_icmp_at       INTEGER,
  sys_name           TEXT,
  sys_descr          TEXT,
  sys_object_id      TEXT,
  vendor             TEXT,
  sys_uptime_cs      INTEGER,
  sys_contact        TEXT,
  sys_location       TEXT,
  updated_at         INTEGER NOT NULL
) WITHOUT ROWID;

-- Interfaces keep their id across ifIndex renumbering: identity is (device, name).
CREATE TABLE interfaces (
  id            INTEGER PRIMARY KEY,
  device_id     INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  if_index      INTEGER NOT NULL,
  name          TEXT    NOT NULL,
  descr         TEXT,
  alias         TEXT,
  type          INTEGER,
  speed_bps     INTEGER,
  mac           TEXT,
  admin_status  INTEGER,
  oper_status   INTEGER,
  in_bps        REAL,
  out_bps       REAL,
  in_errors_ps  REAL,
  out_errors_ps REAL,
  in_discards_ps  REAL,
  out_discards_ps REAL,
  in_util_pct   REAL,
  out_util_pct  REAL,
  hc_counters   INTEGER NOT NULL DEFAULT 0,
  updated_at    INTEGER NOT NULL,
  UNIQUE (device_id, name)
);

-- LLDP/CDP neighbour rows as last polled.
CREATE TABLE neighbours (
  device_id        INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  protocol         TEXT    NOT NULL CHECK (protocol IN ('lldp', 'cdp')),
  local_port       TEXT    NOT NULL,
  remote_chassis   TEXT    NOT NULL DEFAULT '',
  remote_port      TEXT    NOT NULL DEFAULT '',
  remote_port_desc TEXT,
  remote_sys_name  TEXT,
  remote_mgmt_addr TEXT,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (device_id, protocol, local_port, remote_chassis, remote_port)
) WITHOUT ROWID;

-- One row per (device, metric name, instance); samples refer to it by integer id.
CREATE TABLE metrics (
  id        INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  name      TEXT    NOT NULL,
  instance  TEXT    NOT NULL DEFAULT '',
  unit      TEXT,
  UNIQUE (device_id, name, instance)
);

-- Time series: integer ids and seconds, clustered by (metric, ts).
CREATE TABLE samples_raw (
  metric_id INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  value     REAL    NOT NULL,
  PRIMARY KEY (metric_id, ts)
) WITHOUT ROWID;

CREATE TABLE samples_5m (
  metric_id INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  min       REAL NOT NULL,
  avg       REAL NOT NULL,
  max       REAL NOT NULL,
  n         INTEGER NOT NULL,
  PRIMARY KEY (metric_id, ts)
) WITHOUT ROWID;

CREATE TABLE samples_1h (
  metric_id INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  min       REAL NOT NULL,
  avg       REAL NOT NULL,
  max       REAL NOT NULL,
  n         INTEGER NOT NULL,
  PRIMARY KEY (metric_id, ts)
) WITHOUT ROWID;

-- Rollup progress per resolution (seconds already rolled up).
CREATE TABLE rollup_state (
  resolution TEXT PRIMARY KEY,
  done_until INTEGER NOT NULL
) WITHOUT ROWID;

-- Topology: links drawn by hand and saved node positions (automatic links come from neighbours).
CREATE TABLE topology_links (
  id          INTEGER PRIMARY KEY,
  a_device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  a_port      TEXT,
  b_device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  b_port      TEXT,
  created_at  INTEGER NOT NULL
);

CREATE TABLE topology_positions (
  node_id    TEXT PRIMARY KEY,
  x          REAL NOT NULL,
  y          REAL NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
