import { isIP } from 'node:net';
import { z } from 'zod';
import { SEVERITIES } from '../contracts/events.js';
import { passwordProblem } from '../auth/password-policy.js';
import { parseCidrList } from '../net/outbound-policy.js';
import { siteProblem } from '../bus/nats-subjects.js';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])]).transform((v) =>
  typeof v === 'boolean' ? v : ['true', '1', 'yes'].includes(v),
);
const optionalText = z.string().min(1).optional();
const cidrList = z.string().superRefine((v, ctx) => {
  try {
    parseCidrList(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** `trustProxy`: comma-separated addresses, CIDRs or express's names for address ranges. */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
function proxyEntryProblem(entry: string): string | undefined {
  if (PROXY_NAMES.has(entry)) return undefined;
  const [addr = '', bits, ...rest] = entry.split('/');
  const family = isIP(addr);
  if (!family || rest.length) return `"${entry}" is not an address, a CIDR or one of loopback, linklocal, uniquelocal`;
  if (bits !== undefined && !(isIP(bits) || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)))) return `"${entry}" has a bad prefix length`;
  return undefined;
}
const trustProxy = z
  .union([z.string(), z.array(z.string())])
  .default('')
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
  .superRefine((entries, ctx) => {
    for (const e of entries) {
      const problem = proxyEntryProblem(e);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
  });

/** `natsUrl`: comma-separated nats:// or tls:// URLs of one NATS cluster. */
const natsUrls = z.string().superRefine((v, ctx) => {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) ctx.addIssue({ code: 'custom', message: 'needs at least one nats:// or tls:// URL' });
  for (const u of list) {
    let url: URL | undefined;
    try {
      url = new URL(u);
    } catch {
      url = undefined;
    }
    if (!url || !['nats:', 'tls:'].includes(url.protocol) || !url.hostname) ctx.addIssue({ code: 'custom', message: `"${u}" is not a nats://host:port or tls://host:port URL` });
  }
});
/** An http(s) URL without a fragment. */
const httpUrl = z.string().superRefine((v, ctx) => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
    return;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
});

const siteName = z.string().superRefine((v, ctx) => {
  const problem = siteProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * Listener bind addresses: at most one IPv4 and one IPv6 literal, comma-separated
 * ("0.0.0.0,::" = every address of both families; "127.0.0.1" = IPv4 loopback only).
 */
const bindAddresses = z
  .string()
  .default('0.0.0.0,::')
  .transform((text, ctx) => {
    const out: { ipv4: string | null; ipv6: string | null } = { ipv4: null, ipv6: null };
    const list = text.split(',').map((a) => a.trim()).filter(Boolean);
    if (list.length === 0) ctx.addIssue({ code: 'custom', message: 'needs at least one address' });
    for (const a of list) {
      const family = isIP(a);
      const key = family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : null;
      if (!key) ctx.addIssue({ code: 'custom', message: `"${a}" is not an IP address (use 0.0.0.0 / :: for all addresses)` });
      else if (out[key] !== null) ctx.addIssue({ code: 'custom', message: `at most one ${key === 'ipv4' ? 'IPv4' : 'IPv6'} address` });
      else out[key] = a;
    }
    return out;
  });

/**
 * Every setting, with its environment variable and CLI flag. Precedence:
 * CLI (`--http-port 9000`) > environment (`NMS_HTTP_PORT`) > config file (JSON,
 * camelCase keys, path from `--config` or `NMS_CONFIG`) > default.
 */
export const OPTIONS = {
  role: { env: 'NMS_ROLE', schema: z.enum(['all', 'central', 'collector']).default('all'), help: 'What this process runs: all (everything, one process), central (API, console, rules, alarms, store) or collector (syslog/trap receivers of one site, sent to the central over NATS; polling at collectors comes later; needs NMS_NATS_URL)' },
  httpPort: { env: 'NMS_HTTP_PORT', schema: port.default(8080), help: 'HTTP port of the console and API' },
  httpHost: { env: 'NMS_HTTP_HOST', schema: z.string().min(1).default('0.0.0.0'), help: 'HTTP bind address' },
  dataDir: { env: 'NMS_DATA_DIR', schema: z.string().min(1).default('./data'), help: 'Where the SQLite database and compiled MIB index live' },
  secretKeyFile: { env: 'NMS_SECRET_KEY_FILE', schema: optionalText, help: 'Key file that encrypts stored secrets (default <dataDir>/secret.key, created 0600 on first start; back it up apart from the database)' },
  syslogHost: { env: 'NMS_SYSLOG_HOST', schema: bindAddresses, help: 'Syslog (UDP, TCP, TLS) bind addresses: at most one IPv4 and one IPv6, comma-separated; default all addresses of both (devices must reach them)' },
  syslogPort: { env: 'NMS_SYSLOG_PORT', schema: port.default(514), help: 'Syslog UDP (and TCP) port; falls back to 1514 when 514 is not allowed' },
  syslogTcpPort: { env: 'NMS_SYSLOG_TCP_PORT', schema: port.optional(), help: 'Syslog TCP port (default: same as the UDP port)' },
  syslogTlsPort: { env: 'NMS_SYSLOG_TLS_PORT', schema: port.default(6514), help: 'Syslog over TLS (RFC 5425) port, used when a certificate and key are set' },
  syslogTlsCert: { env: 'NMS_SYSLOG_TLS_CERT', schema: optionalText, help: 'PEM certificate file for syslog over TLS' },
  syslogTlsKey: { env: 'NMS_SYSLOG_TLS_KEY', schema: optionalText, help: 'PEM key file for syslog over TLS' },
  syslogMaxBytes: { env: 'NMS_SYSLOG_MAX_BYTES', schema: z.coerce.number().int().min(480).max(1048576).default(65536), help: 'Longer syslog messages are truncated and flagged' },
  syslogReceivePriority: { env: 'NMS_SYSLOG_RECEIVE_PRIORITY', schema: z.coerce.number().int().min(-20).max(19).default(-20), help: 'Nice value of the syslog UDP receive threads (negative: they drain the socket first under CPU load, before anything else on the host; needs root or CAP_SYS_NICE, else normal priority); 0 leaves it' },
  timeZone: { env: 'NMS_TIME_ZONE', schema: z.string().min(1).default('UTC'), help: 'Time zone for RFC 3164 timestamps that carry none' },
  syslogQueueBytes: { env: 'NMS_SYSLOG_QUEUE_BYTES', schema: z.coerce.number().int().min(1 << 20).max(16 * 2 ** 30).default(128 * 2 ** 20), help: 'Memory that received syslog messages waiting to be parsed may hold (bytes plus ~192 per message); beyond it messages are dropped and counted' },
  trapHost: { env: 'NMS_TRAP_HOST', schema: bindAddresses, help: 'SNMP trap bind addresses: at most one IPv4 and one IPv6, comma-separated; default all addresses of both' },
  trapPort: { env: 'NMS_TRAP_PORT', schema: port.default(162), help: 'SNMP trap UDP port; falls back to 1162 when 162 is not allowed' },
  trapCommunities: { env: 'NMS_TRAP_COMMUNITIES', schema: z.string().default('public'), help: 'Comma-separated communities accepted on v1/v2c traps' },
  trapQueueBytes: { env: 'NMS_TRAP_QUEUE_BYTES', schema: z.coerce.number().int().min(1 << 20).max(16 * 2 ** 30).default(128 * 2 ** 20), help: 'Memory that received traps waiting to be decoded may hold (bytes plus ~640 per trap); beyond it traps are dropped and counted' },
  eventRetentionDays: { env: 'NMS_EVENT_RETENTION_DAYS', schema: z.coerce.number().positive().max(3650).default(30), help: 'Events older than this are removed' },
  eventMaxRows: { env: 'NMS_EVENT_MAX_ROWS', schema: z.coerce.number().int().min(1000).default(10_000_000), help: 'At most this many events are kept (oldest removed first)' },
  readerThreads: { env: 'NMS_READER_THREADS', schema: z.coerce.number().int().min(1).max(32).default(2), help: 'Reader threads that answer heavy reads (event search, dashboard, alarm history, metrics, audit, exports), each with its own read-only database connection' },
  queryTimeoutMs: { env: 'NMS_QUERY_TIMEOUT_MS', schema: z.coerce.number().int().min(50).max(600_000).default(5000), help: 'Time budget of one read (queue wait included): past it the reader is stopped and the request answered 503 query_timeout' },
  readerQueueMax: { env: 'NMS_READER_QUEUE_MAX', schema: z.coerce.number().int().min(0).max(10_000).default(100), help: 'Reads that may wait for a free reader thread; beyond it a read is answered 503 reads_busy at once' },
  auditRetentionDays: { env: 'NMS_AUDIT_RETENTION_DAYS', schema: z.coerce.number().positive().max(36500).default(365), help: 'Audit log entries older than this are removed' },
  retentionRawDays: { env: 'NMS_RETENTION_RAW_DAYS', schema: z.coerce.number().positive().max(3650).default(7), help: 'Raw samples are kept this long' },
  retention5mDays: { env: 'NMS_RETENTION_5M_DAYS', schema: z.coerce.number().positive().max(3650).default(90), help: '5-minute rollups are kept this long' },
  retention1hDays: { env: 'NMS_RETENTION_1H_DAYS', schema: z.coerce.number().positive().max(36500).default(730), help: '1-hour rollups are kept this long' },
  pollConcurrency: { env: 'NMS_POLL_CONCURRENCY', schema: z.coerce.number().int().min(1).max(10_000).default(200), help: 'SNMP polls in flight at once' },
  icmpProbes: { env: 'NMS_ICMP_PROBES', schema: z.coerce.number().int().min(1).max(100).default(20), help: 'Echo requests per device per ICMP cycle (200 ms apart); every RTT is kept as the cycle\'s latency distribution' },
  icmpWrapper: { env: 'NMS_ICMP_WRAPPER', schema: z.string().max(500).default(''), help: 'Command (space-separated) that fping runs under, e.g. "ip netns exec mgmt" to ping from a management namespace/VRF (needs the fping backend)' },
  rootCauseHoldSeconds: { env: 'NMS_ROOT_CAUSE_HOLD_SECONDS', schema: z.coerce.number().min(0).max(600).default(15), help: 'Root cause: a device that goes down while its parent still looks up holds its notification this long while the parent is probed at once; if the parent does not answer, the alarm is suppressed under it' },
  icmpDownAfter: { env: 'NMS_ICMP_DOWN_AFTER', schema: z.coerce.number().int().min(1).max(100).default(3), help: 'Failed ICMP cycles before a device is down' },
  pollWorkers: { env: 'NMS_POLL_WORKERS', schema: z.coerce.number().int().min(0).max(64).default(2), help: 'Worker threads for SNMP polls (0 = poll in the main thread)' },
  templateRecheckMinutes: { env: 'NMS_TEMPLATE_RECHECK_MINUTES', schema: z.coerce.number().int().min(1).max(10_080).default(60), help: 'A collection template that did not apply to a device (e.g. its table is absent) is matched again this often (sooner than its rediscoverMinutes)' },
  inventoryIntervalMinutes: { env: 'NMS_INVENTORY_INTERVAL_MINUTES', schema: z.coerce.number().int().min(1).max(10_080).default(360), help: 'The hardware inventory (ENTITY-MIB entPhysicalTable) of each device is read at its first poll, after it rebooted and this often' },
  pollerEnabled: { env: 'NMS_POLLER', schema: bool.default(true), help: 'Run the SNMP/ICMP poller in this process' },
  alarmRecurrence: { env: 'NMS_ALARM_RECURRENCE', schema: z.enum(['reopen', 'new']).default('reopen'), help: 'A cleared alarm that recurs: reopen it or open a new one' },
  alarmArchiveHours: { env: 'NMS_ALARM_ARCHIVE_HOURS', schema: z.coerce.number().positive().max(24 * 3650).default(168), help: 'Cleared alarms are archived this long after clearing' },
  inboxDismissDays: { env: 'NMS_INBOX_DISMISS_DAYS', schema: z.coerce.number().int().min(0).max(3650).default(7), help: 'A dismissed unmatched-inbox type is listed again when one of its events arrives this many days or more after the dismissal' },
  flapCount: { env: 'NMS_FLAP_COUNT', schema: z.coerce.number().int().min(1).max(1000).default(4), help: 'More state changes than this within the flap window = flapping' },
  flapWindowMinutes: { env: 'NMS_FLAP_WINDOW_MINUTES', schema: z.coerce.number().positive().max(1440).default(10), help: 'Flap detection window; flapping ends after as long without a change' },
  templateDirs: { env: 'NMS_TEMPLATE_DIRS', schema: z.string().default(''), help: 'Extra collection template directories (comma-separated), loaded after templates/' },
  mibDirs: { env: 'NMS_MIB_DIRS', schema: z.string().default(''), help: 'Extra MIB directories (comma-separated), searched before the system ones' },
  mibBundleMaxBytes: { env: 'NMS_MIB_BUNDLE_MAX_BYTES', schema: z.coerce.number().int().min(1024).max(1024 ** 3).default(64 * 1024 ** 2), help: 'Largest MIB bundle archive accepted for upload (bytes, as sent)' },
  mibBundleMaxEntries: { env: 'NMS_MIB_BUNDLE_MAX_ENTRIES', schema: z.coerce.number().int().min(1).max(1_000_000).default(20_000), help: 'Most entries (files, directories, links) a MIB bundle may hold' },
  mibBundleMaxTotalBytes: { env: 'NMS_MIB_BUNDLE_MAX_TOTAL_BYTES', schema: z.coerce.number().int().min(1024).max(8 * 1024 ** 3).default(256 * 1024 ** 2), help: 'Most bytes a MIB bundle may unpack to (all entries together)' },
  mibBundleMaxFileBytes: { env: 'NMS_MIB_BUNDLE_MAX_FILE_BYTES', schema: z.coerce.number().int().min(1024).max(1024 ** 3).default(8 * 1024 ** 2), help: 'Larger files in a MIB bundle are skipped (and listed)' },
  mibBundleMaxRatio: { env: 'NMS_MIB_BUNDLE_MAX_RATIO', schema: z.coerce.number().min(2).max(100_000).default(200), help: 'Refuse a bundle (or zip entry) that unpacks to more than this many times its compressed size (zip bombs)' },
  adminPassword: {
    env: 'NMS_ADMIN_PASSWORD',
    schema: z.string().superRefine((v, ctx) => {
      const problem = passwordProblem(v, 'admin');
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }).optional(),
    help: 'Password of the first admin user (when unset, a random one is printed once on stderr, never to the log)',
  },
  logLevel: { env: 'NMS_LOG_LEVEL', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), help: 'Log level' },
  logFormat: { env: 'NMS_LOG_FORMAT', schema: z.enum(['json', 'pretty']).optional(), help: 'json (default in production) or pretty' },
  sessionTtlHours: { env: 'NMS_SESSION_TTL_HOURS', schema: z.coerce.number().positive().max(24 * 365).default(12), help: 'Console session lifetime' },
  loginRateLimit: { env: 'NMS_LOGIN_RATE_LIMIT', schema: z.coerce.number().int().min(1).default(10), help: 'Login attempts per minute per client address, and failed ones per minute per user name' },
  trustProxy: { env: 'NMS_TRUST_PROXY', schema: trustProxy, help: 'Reverse proxies whose X-Forwarded-For/-Proto/-Host are believed (comma-separated addresses, CIDRs, or loopback/linklocal/uniquelocal); default none' },
  apiTokenTtlDays: { env: 'NMS_API_TOKEN_TTL_DAYS', schema: z.coerce.number().int().min(0).max(3650).default(90), help: 'Lifetime of an API token created without an expiry (0 = such tokens never expire)' },
  metricsToken: { env: 'NMS_METRICS_TOKEN', schema: z.string().min(16, 'must be at least 16 characters').optional(), help: 'When set, GET /metrics and GET /metrics/devices require "Authorization: Bearer <this token>"' },
  remoteWriteUrl: { env: 'NMS_REMOTE_WRITE_URL', schema: httpUrl.optional(), help: 'Prometheus remote-write endpoint (e.g. http://prometheus:9090/api/v1/write) the device metrics of GET /metrics/devices are pushed to every remoteWriteIntervalSeconds; unset = no push. Reached through the outbound policy (like notifications)' },
  remoteWriteIntervalSeconds: { env: 'NMS_REMOTE_WRITE_INTERVAL_SECONDS', schema: z.coerce.number().int().min(1).max(86_400).default(60), help: 'Seconds between two remote-write pushes' },
  remoteWriteBearerToken: { env: 'NMS_REMOTE_WRITE_BEARER_TOKEN', schema: optionalText, help: 'Sent as "Authorization: Bearer <this>" with each remote-write push' },
  alertmanagerToken: { env: 'NMS_ALERTMANAGER_TOKEN', schema: z.string().min(16, 'must be at least 16 characters').max(1024).regex(/^\S+$/, 'must not contain spaces').optional(), help: 'Bearer token that Alertmanager sends to POST /api/v1/intake/alertmanager (its http_config.authorization credentials); unset = the intake refuses every request' },
  alertmanagerDeviceLabels: { env: 'NMS_ALERTMANAGER_DEVICE_LABELS', schema: z.union([z.string(), z.array(z.string())]).default('instance,node,host').transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean)).pipe(z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'label names are letters, digits and "_" (not starting with a digit)')).max(16)), help: 'Alert labels (comma-separated, first match wins) whose value names a device: its name, address or sysName (a ":port" is stripped)' },
  alertmanagerDefaultSeverity: { env: 'NMS_ALERTMANAGER_DEFAULT_SEVERITY', schema: z.enum(SEVERITIES).default('warning'), help: 'Severity of an alert whose "severity" label is missing or not one Netwatch knows' },
  publicUrl: { env: 'NMS_PUBLIC_URL', schema: httpUrl.optional(), help: 'The address users reach this console at (e.g. https://nms.example.com); notifications carry signed acknowledge links (ackUrl) under it. Unset = no acknowledge links' },
  ackLinkTtlHours: { env: 'NMS_ACK_LINK_TTL_HOURS', schema: z.coerce.number().positive().max(24 * 30).default(72), help: 'How long a signed acknowledge link in a notification stays valid' },
  secureCookies: { env: 'NMS_SECURE_COOKIES', schema: bool.default(false), help: 'Mark session cookies Secure (enable behind HTTPS)' },
  clientDir: { env: 'NMS_CLIENT_DIR', schema: optionalText, help: 'Built console directory (default: dist/client)' },
  outboundAllow: { env: 'NMS_OUTBOUND_ALLOW', schema: cidrList.default(''), help: 'CIDRs (comma-separated, IPv4/IPv6) that notifications, polling, MIB browse and discovery may reach even inside a denied range; the most specific rule wins' },
  outboundDeny: { env: 'NMS_OUTBOUND_DENY', schema: cidrList.default(''), help: 'CIDRs (comma-separated, IPv4/IPv6) that notifications, polling, MIB browse and discovery must not reach, on top of the built-in denials (link-local, cloud metadata, 0.0.0.0/8, multicast)' },
  site: { env: 'NMS_SITE', schema: siteName.default('central'), help: 'Name of this site: 1-64 letters, digits, "_" or "-" (remote collectors publish on netwatch.<site>.*)' },
  databaseUrl: { env: 'NMS_DATABASE_URL', schema: z.string().optional(), help: 'PostgreSQL store (postgres://user:pass@host:5432/netwatch); unset = SQLite in dataDir. With it, several central nodes can share the store' },
  natsUrl: { env: 'NMS_NATS_URL', schema: natsUrls.optional(), help: 'NATS JetStream server(s) for remote collectors and the centre, comma-separated nats:// or tls:// URLs (e.g. nats://127.0.0.1:4222); unset = no NATS' },
  natsCredsFile: { env: 'NMS_NATS_CREDS', schema: optionalText, help: 'NATS credentials file (user JWT and nkey seed)' },
  natsTlsCa: { env: 'NMS_NATS_TLS_CA', schema: optionalText, help: 'PEM CA file that signs the NATS servers\' certificates (enables TLS)' },
  natsStreamMaxBytes: { env: 'NMS_NATS_STREAM_MAX_BYTES', schema: z.coerce.number().int().min(1 << 20).max(2 ** 50).default(2 ** 30), help: 'Size limit of the NETWATCH stream: batches the centre has not acked yet; when full, publishing is refused (collectors keep their batches) instead of old ones being dropped' },
  natsDuplicateWindowSeconds: { env: 'NMS_NATS_DUPLICATE_WINDOW_SECONDS', schema: z.coerce.number().int().min(120).max(86_400).default(600), help: 'A batch published again with the same id within this window is stored once' },
  spoolMaxBytes: { env: 'NMS_SPOOL_MAX_BYTES', schema: z.coerce.number().int().min(1 << 20).max(2 ** 50).default(2 ** 30), help: 'Size limit of a remote collector\'s local spool (<dataDir>/spool): batches kept while NATS is unreachable, replayed in order when it is back; when full, new batches are refused and counted as overflow, older ones are kept' },
  collectorBatchLingerMs: { env: 'NMS_COLLECTOR_BATCH_LINGER_MS', schema: z.coerce.number().int().min(0).max(5000).default(50), help: 'A remote collector merges small event batches (a syslog datagram, a few traps) into larger NATS messages: submitted events wait at most this long for more before they are published (0 = at the next turn of the event loop)' },
  collectorBatchMaxEvents: { env: 'NMS_COLLECTOR_BATCH_MAX_EVENTS', schema: z.coerce.number().int().min(1).max(100_000).default(1000), help: 'At most this many events in one NATS message from a remote collector; this many waiting are published at once' },
  collectorBatchMaxBytes: { env: 'NMS_COLLECTOR_BATCH_MAX_BYTES', schema: z.coerce.number().int().min(1024).max(64 * 2 ** 20).default(512 * 1024), help: 'At most this many JSON bytes in one NATS message from a remote collector (never more than the NATS server\'s max_payload); this many waiting are published at once' },
  collectorTimeoutSeconds: { env: 'NMS_COLLECTOR_TIMEOUT_SECONDS', schema: z.coerce.number().int().min(5).max(86_400).default(90), help: 'A remote collector not heard from for this long is marked down and raises an alarm (it sends a heartbeat every 10 s); its devices show "unknown (collector down)"' },
} as const;

export type OptionKey = keyof typeof OPTIONS;

const shape = Object.fromEntries(Object.entries(OPTIONS).map(([k, o]) => [k, o.schema])) as {
  [K in OptionKey]: (typeof OPTIONS)[K]['schema'];
};

export const configSchema = z.object(shape).strict();

export type Config = Readonly<z.infer<typeof configSchema>>;
