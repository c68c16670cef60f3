import { FORBIDDEN_KEYS } from '../events/remote-event.schema.js';
import { z } from 'zod';
import type { SiteHealth } from '../api/devices.routes.js';
import { SITE_PATTERN } from '../bus/nats-subjects.js';
import { COLLECTOR_EVENT_TYPES, type CollectorDto, type HeartbeatSink } from '../contracts/collectors.js';
import type { NormalizedEvent } from '../contracts/events.js';
import type { EventBus } from '../events/bus.js';
import type { EventIntake } from '../events/event-intake.js';
import type { Logger } from '../log/logger.js';
import { isPublicKeyBase64 } from './sealed-secret.js';
import type { CollectorRepository } from '../store/collector.repository.js';

/** At most this many counters per heartbeat (a collector has a few dozen). */
export const MAX_COUNTERS = 500;
/** Counter names as /api/v1/status shows them (`syslog.received`); never one of Object.prototype's. */
const COUNTER_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_ADDRESS = 128;
/** Times are ms since epoch; anything past year 275760 is not a time. */
const time = z.number().int().min(0).max(8.64e15);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const heartbeatSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'id: 1-128 letters, digits, "_", ".", ":" or "-"'),
    site: z.string().regex(SITE_PATTERN, 'site: 1-64 letters, digits, "_" or "-"'),
    version: z.string().min(1).max(64),
    hostname: z.string().min(1).max(255),
    startedAt: time,
    sentAt: time,
    // Checked by hand below: a z.record would copy wire keys into a plain object (`__proto__` included).
    counters: z.unknown(),
    spoolRecords: count,
    spoolBytes: count,
    publicKey: z.string().refine(isPublicKeyBase64, 'publicKey: an X25519 public key, 32 bytes of base64').optional(),
  })
  .strict();

export type CheckedHeartbeat = Omit<z.infer<typeof heartbeatSchema>, 'counters'> & { counters: Map<string, number> };

/** A heartbeat as it came off the wire -> checked, or the reason it is refused. Never throws. */
export function checkHeartbeat(h: unknown): { ok: true; value: CheckedHeartbeat } | { ok: false; reason: string } {
  if (h === null || typeof h !== 'object' || Array.isArray(h)) return { ok: false, reason: 'not an object' };
  const r = heartbeatSchema.safeParse(h);
  if (!r.success) return { ok: false, reason: r.error.issues.map((i) => `${i.path.join('.') || '(heartbeat)'}: ${i.message}`).join('; ').slice(0, 300) };
  const raw = r.data.counters;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: 'counters: not an object' };
  // Own enumerable keys only; nothing from the wire is ever looked up on or assigned to a plain object.
  const keys = Object.keys(raw);
  if (keys.length > MAX_COUNTERS) return { ok: false, reason: `counters: more than ${MAX_COUNTERS}` };
  const counters = new Map<string, number>();
  for (const k of keys) {
    if (!COUNTER_NAME.test(k) || FORBIDDEN_KEYS.has(k)) return { ok: false, reason: `counters: "${k.slice(0, 40)}" is not a counter name (1-128 letters, digits, "_", ".", ":" or "-")` };
    const v: unknown = Object.getOwnPropertyDescriptor(raw, k)?.value;
    if (typeof v !== 'number' || !Number.isFinite(v)) return { ok: false, reason: `counters: "${k.slice(0, 40)}" is not a finite number` };
    counters.set(k, v);
  }
  return { ok: true, value: { ...r.data, counters } };
}

interface Known {
  site: string;
  hostname: string;
  lastSeen: number;
  state: 'up' | 'down';
}

export interface CollectorRegistryDeps {
  repo: CollectorRepository;
  bus: EventBus;
  /** Where collector.down/up events go (the events module's writer). */
  intake: () => EventIntake;
  log: Logger;
  /** A collector not heard from for this long is down. */
  timeoutMs: number;
  /** How often the monitor looks (default: a fifth of the timeout, at most 5 s). */
  checkEveryMs?: number;
  now?: () => number;
  /**
   * Whether this node raises and clears the collector alarms (default: always). Several central
   * nodes all hear every heartbeat and all track each collector's state; only the holder of the
   * `collector-alarms` singleton job emits collector.down/up, so one outage is one event.
   */
  raisesAlarms?: () => boolean;
}

/**
 * The centre's view of its remote collectors: every heartbeat is checked and stored (one write),
 * a monitor marks silent collectors down and raises an alarm through the event engine
 * (`collector.down`, cleared by `collector.up`), and every change is announced on the bus.
 */
export class CollectorRegistry implements HeartbeatSink, SiteHealth {
  private readonly known = new Map<string, Known>();
  private readonly stats = { heartbeats: 0, heartbeats_rejected: 0, heartbeat_errors: 0, collectors_down_events: 0, collectors_up_events: 0, collector_events_left_to_leader: 0 };
  private gen = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Silence is counted from here at the earliest: a restarted centre gives collectors a full timeout. */
  private monitorSince = 0;
  private lastRejectLog = 0;
  private readonly now: () => number;

  constructor(private readonly deps: CollectorRegistryDeps) {
    this.now = deps.now ?? Date.now;
    for (const c of deps.repo.list()) this.known.set(c.id, { site: c.site, hostname: c.hostname, lastSeen: c.lastSeen, state: c.state });
  }

  start(): void {
    this.monitorSince = this.now();
    const every = this.deps.checkEveryMs ?? Math.min(5000, Math.max(250, Math.floor(this.deps.timeoutMs / 5)));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  heartbeat(h: unknown, address: string | null): void {
    try {
      const r = checkHeartbeat(h);
      if (!r.ok) {
        this.stats.heartbeats_rejected++;
        const t = this.now();
        if (t - this.lastRejectLog > 60_000) {
          this.lastRejectLog = t;
          this.deps.log.warn({ reason: r.reason, address }, 'collector heartbeat refused (further refusals this minute are only counted)');
        }
        return;
      }
      const hb = r.value;
      const now = this.now();
      const prev = this.known.get(hb.id);
      const dto = this.deps.repo.upsert({
        id: hb.id, site: hb.site, version: hb.version, hostname: hb.hostname,
        address: typeof address === 'string' && address.length <= MAX_ADDRESS ? address : null,
        startedAt: hb.startedAt, lastSeen: now, lagMs: now - hb.sentAt, counters: hb.counters, spoolRecords: hb.spoolRecords, spoolBytes: hb.spoolBytes,
        publicKey: hb.publicKey ?? null,
      });
      this.stats.heartbeats++;
      this.known.set(hb.id, { site: dto.site, hostname: dto.hostname, lastSeen: now, state: 'up' });
      if (!prev || prev.state === 'down' || prev.site !== dto.site) this.gen++;
      if (prev?.state === 'down') {
        if (this.raisesAlarms()) {
          this.stats.collectors_up_events++;
          this.emit(COLLECTOR_EVENT_TYPES.up, 'info', dto, `collector ${dto.site} (${dto.hostname}) heard from again`);
        } else this.stats.collector_events_left_to_leader++;
      }
      this.deps.bus.publish('collector.changed', dto);
    } catch (err) {
      this.stats.heartbeat_errors++;
      this.deps.log.error({ err }, 'collector heartbeat could not be stored');
    }
  }

  /** One round of the monitor: collectors silent for longer than the timeout go down (exposed for tests). */
  check(): void {
    const now = this.now();
    for (const [id, k] of this.known) {
      if (k.state !== 'up' || now - Math.max(k.lastSeen, this.monitorSince) <= this.deps.timeoutMs) continue;
      try {
        this.deps.repo.setState(id, 'down');
        k.state = 'down';
        this.gen++;
        const dto = this.deps.repo.get(id);
        if (!dto) continue;
        if (this.raisesAlarms()) {
          this.stats.collectors_down_events++;
          const secs = Math.round(this.deps.timeoutMs / 1000);
          this.emit(COLLECTOR_EVENT_TYPES.down, 'major', dto, `collector ${dto.site} (${dto.hostname}) not heard from for ${secs} s`, { timeoutSeconds: secs });
        } else this.stats.collector_events_left_to_leader++;
        this.deps.bus.publish('collector.changed', dto);
      } catch (err) {
        this.deps.log.error({ err, collector: id }, 'marking a collector down failed');
      }
    }
  }

  list(): CollectorDto[] {
    return this.deps.repo.list();
  }

  get(id: string): CollectorDto | undefined {
    return this.deps.repo.get(id);
  }

  /** Forget a collector (it registers again with its next heartbeat); an open "not heard from" alarm is cleared. */
  forget(id: string): CollectorDto | undefined {
    const dto = this.deps.repo.get(id);
    if (!dto || !this.deps.repo.delete(id)) return undefined;
    this.known.delete(id);
    this.gen++;
    // Asked of this node (an API call): it clears the alarm whichever node raised it.
    if (dto.state === 'down') this.emit(COLLECTOR_EVENT_TYPES.forgotten, 'info', dto, `collector ${dto.site} (${dto.hostname}) removed`);
    this.deps.bus.publish('collector.changed', { ...dto, forgotten: true });
    return dto;
  }

  /**
   * The collectors of `site` that sent a public key: whom the centre seals that site's secrets for, and whether each
   * is up (the site's devices are shared among those that are).
   */
  keysOf(site: string): { id: string; publicKey: string; up: boolean }[] {
    return this.deps.repo
      .list()
      .filter((c) => c.site === site && c.publicKey !== null)
      .map((c) => ({ id: c.id, publicKey: c.publicKey!, up: (this.known.get(c.id)?.state ?? c.state) === 'up' }));
  }

  /** Sites with registered collectors. */
  sites(): string[] {
    return [...new Set([...this.known.values()].map((k) => k.site))].sort();
  }

  generation(): number {
    return this.gen;
  }

  allCollectorsDown(site: string): boolean {
    let any = false;
    for (const k of this.known.values()) {
      if (k.site !== site) continue;
      if (k.state === 'up') return false;
      any = true;
    }
    return any;
  }

  counters(): Record<string, number> {
    let up = 0;
    let down = 0;
    for (const k of this.known.values()) {
      if (k.state === 'up') up++;
      else down++;
    }
    return { ...this.stats, collectors_up: up, collectors_down: down };
  }

  private raisesAlarms(): boolean {
    return this.deps.raisesAlarms?.() ?? true;
  }

  private emit(type: string, severity: NormalizedEvent['severity'], c: CollectorDto, message: string, extra: Record<string, unknown> = {}): void {
    const event: NormalizedEvent = {
      receivedAt: this.now(), reportedAt: null, source: 'system', sourceAddress: null, deviceId: null, severity, type, message,
      params: { collectorId: c.id, site: c.site, hostname: c.hostname, address: c.address, ...extra },
    };
    this.deps.intake().submit([event]);
  }
}
