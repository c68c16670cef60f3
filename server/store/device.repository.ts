import type { Db } from './database.js';
import type { AuthProtocol, DeviceDto, PrivProtocol, SnmpVersion } from '../contracts/dto.js';
import type { SecretBox } from './secret-box.js';
import { canMatchText, nocaseOrder, textOrder } from './sql-portable.js';

/** SNMP settings as stored, secrets included. Never sent to clients. */
export interface DeviceSnmpRecord {
  enabled: boolean;
  version: SnmpVersion;
  port: number;
  community: string | null;
  username: string | null;
  authProtocol: AuthProtocol | null;
  authKey: string | null;
  privProtocol: PrivProtocol | null;
  privKey: string | null;
  context: string | null;
  timeoutMs: number;
  retries: number;
}

export interface DeviceRecord extends Omit<DeviceDto, 'snmp' | 'collectorDown'> {
  snmp: DeviceSnmpRecord;
  /**
   * Set when a stored SNMP secret could not be decrypted (reported through the
   * SecretBox): that secret reads as null and the device must not be polled
   * until it is entered again.
   */
  secretError?: string;
}

export interface DeviceWrite {
  name: string;
  address: string;
  group: string | null;
  location: string | null;
  tags: string[];
  pollIntervalSec: number;
  icmpEnabled: boolean;
  snmp: DeviceSnmpRecord;
  /** Default 'central' (as the column's). */
  site?: string;
}

interface Row {
  id: number;
  name: string;
  address: string;
  device_group: string | null;
  location: string | null;
  tags: string;
  poll_interval_sec: number;
  icmp_enabled: number;
  site: string;
  created_at: number;
  updated_at: number;
  enabled: number | null;
  version: SnmpVersion | null;
  port: number | null;
  community: string | null;
  username: string | null;
  auth_protocol: AuthProtocol | null;
  auth_key: string | null;
  priv_protocol: PrivProtocol | null;
  priv_key: string | null;
  context: string | null;
  timeout_ms: number | null;
  retries: number | null;
}

const SELECT = `SELECT d.id, d.name, d.address, d.device_group, d.location, d.tags, d.poll_interval_sec, d.icmp_enabled, d.site,
       d.created_at, d.updated_at, s.enabled, s.version, s.port, s.community, s.username, s.auth_protocol, s.auth_key,
       s.priv_protocol, s.priv_key, s.context, s.timeout_ms, s.retries
  FROM devices d LEFT JOIN device_snmp s ON s.device_id = d.id`;

/** Opens one stored envelope (undefined when it cannot be, already reported). */
type Opener = (sealed: string, where: string) => string | undefined;

function toRecord(r: Row, openSecret: Opener): DeviceRecord {
  const unreadable: string[] = [];
  const open = (value: string | null, field: string): string | null => {
    if (value === null) return null;
    const plain = openSecret(value, `device ${r.id} (${r.name}) snmp.${field}`);
    if (plain === undefined) unreadable.push(field);
    return plain ?? null;
  };
  const record: DeviceRecord = {
    id: r.id,
    name: r.name,
    address: r.address,
    group: r.device_group,
    location: r.location,
    tags: JSON.parse(r.tags) as string[],
    pollIntervalSec: r.poll_interval_sec,
    icmpEnabled: r.icmp_enabled === 1,
    site: r.site,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    snmp: {
      enabled: r.enabled === 1,
      version: r.version ?? '2c',
      port: r.port ?? 161,
      community: open(r.community, 'community'),
      username: r.username,
      authProtocol: r.auth_protocol,
      authKey: open(r.auth_key, 'authKey'),
      privProtocol: r.priv_protocol,
      privKey: open(r.priv_key, 'privKey'),
      context: r.context,
      timeoutMs: r.timeout_ms ?? 2000,
      retries: r.retries ?? 1,
    },
  };
  if (unreadable.length) record.secretError = `stored SNMP ${unreadable.join(', ')} cannot be decrypted: enter ${unreadable.length > 1 ? 'them' : 'it'} again`;
  return record;
}

/** The public view of a device: secrets replaced by "is set" flags; `collectorDown` when all its site's collectors are down. */
export function toDeviceDto(d: DeviceRecord, collectorDown = false): DeviceDto {
  const { community, authKey, privKey, ...snmp } = d.snmp;
  const { secretError: _unreadable, ...device } = d;
  return {
    ...device,
    collectorDown,
    snmp: { ...snmp, communitySet: community !== null, authKeySet: authKey !== null, privKeySet: privKey !== null },
  };
}

/**
 * Write generation per database, shared by every DeviceRepository on it (this
 * file holds all SQL that writes devices), so a cached list is never stale.
 * On PostgreSQL this holds while this process's one connection (the `Db`) is
 * the only writer of devices; several central nodes will need the bus to tell
 * each other (issue 15, not done here).
 */
const generations = new WeakMap<Db, { n: number }>();

function deepFreeze(d: DeviceRecord): DeviceRecord {
  Object.freeze(d.tags);
  Object.freeze(d.snmp);
  return Object.freeze(d);
}

/**
 * Drops the cached device lists of every DeviceRepository on `db`: another central node changed
 * devices (a change notice said so); this process's own writes bump the generation themselves.
 */
export function invalidateDeviceCache(db: Db): void {
  const gen = generations.get(db);
  if (gen) gen.n++;
}

export class DeviceRepository {
  private readonly stmts;
  private readonly gen: { n: number };
  /** The sorted list as of generation `gen` (the console and the poller read it often; devices change rarely). */
  private cache: { gen: number; records: readonly DeviceRecord[] } | null = null;
  /**
   * Plaintexts of the envelopes the last list held (an envelope changes whenever
   * its value is written), so rebuilding the list decrypts only what changed.
   */
  private opened = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {
    let gen = generations.get(db);
    if (!gen) generations.set(db, (gen = { n: 0 }));
    this.gen = gen;
    this.stmts = {
      list: db.prepare<[], Row>(`${SELECT} ORDER BY ${nocaseOrder(db, 'd.name')}`),
      get: db.prepare<[number], Row>(`${SELECT} WHERE d.id = ?`),
      byName: db.prepare<[string], { id: number }>('SELECT id FROM devices WHERE name = ?'),
      byAddress: db.prepare<[string], { id: number }>('SELECT id FROM devices WHERE address = ? ORDER BY id LIMIT 1'),
      addresses: db.prepare<[], { id: number; address: string }>('SELECT id, address FROM devices'),
      insert: db.prepare<unknown[], { id: number }>(
        `INSERT INTO devices (name, address, device_group, location, tags, poll_interval_sec, icmp_enabled, site, created_at, updated_at)
         VALUES (@name, @address, @group, @location, @tags, @pollIntervalSec, @icmpEnabled, @site, @now, @now) RETURNING id`,
      ),
      update: db.prepare(
        `UPDATE devices SET name = @name, address = @address, device_group = @group, location = @location, tags = @tags,
                poll_interval_sec = @pollIntervalSec, icmp_enabled = @icmpEnabled, site = @site, updated_at = @now WHERE id = @id`,
      ),
      upsertSnmp: db.prepare(
        `INSERT INTO device_snmp (device_id, enabled, version, port, community, username, auth_protocol, auth_key,
                                  priv_protocol, priv_key, context, timeout_ms, retries)
         VALUES (@id, @enabled, @version, @port, @community, @username, @authProtocol, @authKey,
                 @privProtocol, @privKey, @context, @timeoutMs, @retries)
         ON CONFLICT (device_id) DO UPDATE SET enabled = excluded.enabled, version = excluded.version, port = excluded.port,
           community = excluded.community, username = excluded.username, auth_protocol = excluded.auth_protocol,
           auth_key = excluded.auth_key, priv_protocol = excluded.priv_protocol, priv_key = excluded.priv_key,
           context = excluded.context, timeout_ms = excluded.timeout_ms, retries = excluded.retries`,
      ),
      delete: db.prepare<[number]>('DELETE FROM devices WHERE id = ?'),
      sites: db.prepare<[], { site: string }>(`SELECT site FROM devices GROUP BY site ORDER BY site${textOrder(db)}`),
      versionSummary: db.prepare<[], { version: SnmpVersion; n: number }>(
        'SELECT version, count(*) AS n FROM device_snmp WHERE enabled = 1 GROUP BY version',
      ),
    };
  }

  /** All devices by name. Records are frozen: they may be shared by several readers. */
  list(): DeviceRecord[] {
    const gen = this.gen.n;
    if (this.cache?.gen === gen) return this.cache.records.slice();
    const next = new Map<string, string>();
    const open: Opener = (sealed, where) => {
      const plain = this.opened.get(sealed) ?? this.secrets.tryOpen(sealed, where);
      if (plain !== undefined) next.set(sealed, plain);
      return plain;
    };
    const records = this.stmts.list.all().map((r) => deepFreeze(toRecord(r, open)));
    this.opened = next;
    // Inside an open transaction the rows may still be rolled back: do not keep them.
    if (!this.db.inTransaction) this.cache = { gen, records };
    return records.slice();
  }

  /** Changes whenever any device is written (a cheap "has the list changed?" for readers that cache). */
  generation(): number {
    return this.gen.n;
  }

  get(id: number): DeviceRecord | undefined {
    const row = this.stmts.get.get(id);
    return row && toRecord(row, (sealed, where) => this.opened.get(sealed) ?? this.secrets.tryOpen(sealed, where));
  }

  idByName(name: string): number | undefined {
    if (!canMatchText(this.db, name)) return undefined;
    return this.stmts.byName.get(name)?.id;
  }

  /** All (id, address) pairs, for mapping a sender's address to a device. */
  addresses(): { id: number; address: string }[] {
    return this.stmts.addresses.all();
  }

  /** Sites that devices are assigned to. */
  sites(): string[] {
    return this.stmts.sites.all().map((r) => r.site);
  }

  snmpVersionSummary(): Record<SnmpVersion, number> {
    const out: Record<SnmpVersion, number> = { '1': 0, '2c': 0, '3': 0 };
    for (const r of this.stmts.versionSummary.all()) out[r.version] = r.n;
    return out;
  }

  create(input: DeviceWrite, now = Date.now()): DeviceRecord {
    this.gen.n++;
    return this.db.transaction(() => {
      const id = this.stmts.insert.get(this.params(input, now))!.id;
      this.stmts.upsertSnmp.run(this.snmpParams(id, input.snmp));
      return this.get(id)!;
    }).immediate();
  }

  update(id: number, input: DeviceWrite, now = Date.now()): DeviceRecord | undefined {
    this.gen.n++;
    return this.db.transaction(() => {
      const { changes } = this.stmts.update.run({ ...this.params(input, now), id });
      if (changes === 0) return undefined;
      this.stmts.upsertSnmp.run(this.snmpParams(id, input.snmp));
      return this.get(id)!;
    }).immediate();
  }

  delete(id: number): boolean {
    this.gen.n++;
    return this.stmts.delete.run(id).changes > 0;
  }

  private params(d: DeviceWrite, now: number) {
    return {
      name: d.name,
      address: d.address,
      group: d.group,
      location: d.location,
      tags: JSON.stringify(d.tags),
      pollIntervalSec: d.pollIntervalSec,
      icmpEnabled: d.icmpEnabled ? 1 : 0,
      site: d.site ?? 'central',
      now,
    };
  }

  private snmpParams(id: number, s: DeviceSnmpRecord) {
    const seal = (v: string | null) => this.secrets.sealNullable(v);
    return { id, ...s, enabled: s.enabled ? 1 : 0, community: seal(s.community), authKey: seal(s.authKey), privKey: seal(s.privKey) };
  }
}
