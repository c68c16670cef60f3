import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import * as snmp from 'net-snmp';
import type { Session } from 'net-snmp';
import type { AuthProtocol, PrivProtocol, SnmpVersion } from '../../contracts/dto.js';
import { SharedUdpTransport } from './shared-udp.transport.js';
import { SnmpError } from './snmp.errors.js';
import { DeviceSession } from './snmp.session.js';

export { DeviceSession };

/** SNMP settings of one device (secrets in clear: the poller decrypts them). */
export interface SnmpSettings {
  version: SnmpVersion;
  port: number;
  community?: string | null;
  username?: string | null;
  authProtocol?: AuthProtocol | null;
  authKey?: string | null;
  privProtocol?: PrivProtocol | null;
  privKey?: string | null;
  context?: string | null;
  timeoutMs: number;
  retries: number;
  /** GETBULK max-repetitions cap for this device (default: the client's). */
  maxRepetitions?: number;
}

export interface SnmpTarget {
  address: string;
  snmp: SnmpSettings;
  /**
   * The device this target belongs to. Its session is then cached under the device id: new settings
   * replace (and close) the device's old session, and `forget(deviceId)` closes it.
   */
  deviceId?: number;
}

export interface SnmpClientOptions {
  /** Share an existing transport (else the client owns one). */
  transport?: SharedUdpTransport;
  socketsPerFamily?: number;
  /** Default GETBULK max-repetitions (default 50, like `snmpbulkwalk -Cr50`). */
  maxRepetitions?: number;
  /** Varbinds asked per GETBULK across all walked columns (default 120). */
  bulkBudget?: number;
  /** Timeout multiplier between net-snmp retries (default 1.5). */
  backoff?: number;
  /** Cached device sessions before the least recently used is closed (default 20,000). */
  maxSessions?: number;
}

const settingsKey = (t: SnmpTarget) => {
  const s = t.snmp;
  return [t.address, s.port, s.version, s.community, s.username, s.authProtocol, s.authKey, s.privProtocol, s.privKey, s.context, s.timeoutMs, s.retries, s.maxRepetitions].join('\u0000');
};

/** Cache slot: one per device when the target names its device, else one per distinct settings. */
const cacheKey = (t: SnmpTarget) => (t.deviceId !== undefined ? `device:${t.deviceId}` : `settings:${settingsKey(t)}`);

interface CachedSession {
  settings: string;
  session: DeviceSession;
}

function settingsError(msg: string): SnmpError {
  return new SnmpError('other', `invalid SNMP settings: ${msg}`);
}

/**
 * Polling client: one cached net-snmp session per device (keeps v3 engine
 * discovery), all riding on a {@link SharedUdpTransport} with a fixed number
 * of real sockets.
 */
export class SnmpClient {
  readonly transport: SharedUdpTransport;
  private readonly ownsTransport: boolean;
  /** LRU order: the first entry is the least recently used. */
  private readonly sessions = new Map<string, CachedSession>();
  readonly maxRepetitions: number;
  readonly bulkBudget: number;
  private readonly backoff: number;
  private readonly maxSessions: number;

  constructor(opts: SnmpClientOptions = {}) {
    this.ownsTransport = !opts.transport;
    this.transport = opts.transport ?? new SharedUdpTransport({ socketsPerFamily: opts.socketsPerFamily });
    this.maxRepetitions = opts.maxRepetitions ?? 50;
    this.bulkBudget = opts.bulkBudget ?? 120;
    this.backoff = opts.backoff ?? 1.5;
    this.maxSessions = opts.maxSessions ?? 20_000;
  }

  /**
   * The session for a device: reused when its settings are unchanged; a device whose settings
   * changed gets a new session and its old one is closed.
   */
  async open(target: SnmpTarget): Promise<DeviceSession> {
    const key = cacheKey(target);
    const settings = settingsKey(target);
    const hit = this.sessions.get(key);
    if (hit) {
      this.sessions.delete(key);
      if (hit.settings === settings) {
        this.sessions.set(key, hit);
        return hit.session;
      }
      hit.session.close();
    }
    let ip = target.address;
    if (!isIP(ip)) {
      try {
        ip = (await lookup(ip)).address;
      } catch (e) {
        throw new SnmpError('other', `cannot resolve ${target.address}`, e);
      }
    }
    // Replies are routed by source address: use the form the kernel reports.
    if (isIP(ip) === 6) ip = new URL(`http://[${ip}]`).hostname.slice(1, -1);
    const raw = this.createSession(ip, target.snmp);
    const s = new DeviceSession(raw, target.snmp, Math.max(1, target.snmp.maxRepetitions ?? this.maxRepetitions), this.bulkBudget);
    // Another open() for the same slot may have finished during the DNS lookup: keep only the newest.
    this.sessions.get(key)?.session.close();
    this.sessions.delete(key);
    this.sessions.set(key, { settings, session: s });
    while (this.sessions.size > this.maxSessions) {
      const [oldKey, old] = this.sessions.entries().next().value as [string, CachedSession];
      this.sessions.delete(oldKey);
      old.session.close();
    }
    return s;
  }

  /**
   * Closes a cached session: by device id (after the device was edited or deleted), or by the
   * target it was opened with (targets without a device id).
   */
  forget(ref: number | SnmpTarget): void {
    const key = typeof ref === 'number' ? `device:${ref}` : cacheKey(ref);
    this.sessions.get(key)?.session.close();
    this.sessions.delete(key);
  }

  /**
   * After a device was edited: closes its session only when `current` (its new target) has other
   * settings, so an edit of its name does not cut a poll in flight; unchanged settings keep the session.
   */
  forgetIfChanged(deviceId: number, current: SnmpTarget): void {
    const key = `device:${deviceId}`;
    const hit = this.sessions.get(key);
    if (hit && hit.settings !== settingsKey(current)) {
      hit.session.close();
      this.sessions.delete(key);
    }
  }

  /** Cached sessions (each one open). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  private createSession(ip: string, s: SnmpSettings): Session {
    const options = {
      port: s.port,
      retries: Math.max(0, s.retries),
      timeout: Math.max(50, s.timeoutMs),
      backoff: this.backoff,
      transport: isIP(ip) === 6 ? ('udp6' as const) : ('udp4' as const),
      context: s.context ?? '',
      dgramModule: this.transport.dgramModule,
    };
    if (s.version === '3') {
      if (!s.username) throw settingsError('v3 needs a username');
      const authProtocol = s.authProtocol ? snmp.AuthProtocols[s.authProtocol] : undefined;
      const privProtocol = s.privProtocol ? snmp.PrivProtocols[s.privProtocol] : undefined;
      if (s.authProtocol && authProtocol === undefined) throw settingsError(`unknown auth protocol ${s.authProtocol}`);
      if (s.privProtocol && privProtocol === undefined) throw settingsError(`unknown priv protocol ${s.privProtocol}`);
      if (privProtocol && !authProtocol) throw settingsError('privacy needs authentication');
      const level = privProtocol ? snmp.SecurityLevel.authPriv : authProtocol ? snmp.SecurityLevel.authNoPriv : snmp.SecurityLevel.noAuthNoPriv;
      const user = {
        name: s.username,
        level,
        ...(authProtocol ? { authProtocol, authKey: s.authKey ?? '' } : {}),
        ...(privProtocol ? { privProtocol, privKey: s.privKey ?? '' } : {}),
      };
      return snmp.createV3Session(ip, user, options);
    }
    return snmp.createSession(ip, s.community ?? 'public', { ...options, version: s.version === '1' ? snmp.Version1 : snmp.Version2c });
  }

  close(): void {
    for (const s of this.sessions.values()) s.session.close();
    this.sessions.clear();
    if (this.ownsTransport) this.transport.close();
  }
}
