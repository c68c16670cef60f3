import type { InboxDevice, InboxSample } from '../../contracts/inbox.js';
import type { NormalizedEvent } from '../../contracts/events.js';
import type { InboxDelta } from '../../store/inbox.repository.js';

/** Sources whose event types the inbox gathers (the others come from our own code and have rules). */
const INBOX_SOURCES = new Set(['trap', 'syslog']);

export interface InboxCollectorOptions {
  /** Distinct types held between flushes; beyond, events are counted in `overflow` only. */
  maxKeys: number;
  /** Distinct devices remembered per type between flushes. */
  maxDevices: number;
  /** Longest sample message kept (characters). */
  maxMessage: number;
  /** Largest sample params kept (JSON characters); beyond, only the trap OID/varbind OIDs and syslog fields are kept. */
  maxParamsJson: number;
}

export const INBOX_COLLECTOR_DEFAULTS: InboxCollectorOptions = { maxKeys: 2000, maxDevices: 20, maxMessage: 2000, maxParamsJson: 8000 };

interface Pending {
  source: string;
  type: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** Device id (number) or source address (string) -> label. */
  devices: Map<number | string, InboxDevice>;
  last: NormalizedEvent;
}

/** Params kept with a sample: the whole params when small, else the fields that rules match on. */
function sampleParams(e: NormalizedEvent, maxJson: number): Record<string, unknown> {
  let json: string;
  try {
    json = JSON.stringify(e.params);
  } catch {
    json = '';
  }
  if (json && json.length <= maxJson) return JSON.parse(json) as Record<string, unknown>;
  const p = e.params;
  const keep = Object.create(null) as Record<string, unknown>;
  for (const k of ['trapOid', 'trapName', 'version', 'facility', 'facilityName', 'severityNumber', 'hostname', 'appName', 'msgId', 'rfc']) {
    if (Object.prototype.hasOwnProperty.call(p, k)) keep[k] = p[k];
  }
  const vbs = Object.prototype.hasOwnProperty.call(p, 'varbinds') ? p.varbinds : undefined;
  if (Array.isArray(vbs)) {
    keep.varbinds = vbs.slice(0, 50).map((v: unknown) => {
      const o = v as { oid?: unknown; type?: unknown; value?: unknown };
      const value = typeof o?.value === 'string' ? o.value.slice(0, 200) : typeof o?.value === 'number' ? o.value : null;
      return { oid: typeof o?.oid === 'string' ? o.oid.slice(0, 300) : '', type: typeof o?.type === 'string' ? o.type : '', value };
    });
  }
  keep.sampleTruncated = true;
  return JSON.parse(JSON.stringify(keep)) as Record<string, unknown>;
}

/**
 * Aggregates, in memory, the event types no rule matched (called from the
 * engine's preprocess, so it must be cheap: one Map lookup and a few field
 * writes per event); `drain()` hands the batch to the repository. Keys are
 * source then type in nested Maps, so any text a sender puts in a type is only data.
 */
export class InboxCollector {
  /** source -> type -> pending (no key strings built per event). */
  private pending = new Map<string, Map<string, Pending>>();
  private types = 0;
  private readonly opts: InboxCollectorOptions;
  readonly stats = { noted: 0, overflow: 0, flushed_types: 0, flush_errors: 0, stored_overflow: 0 };

  constructor(opts: Partial<InboxCollectorOptions> = {}) {
    this.opts = { ...INBOX_COLLECTOR_DEFAULTS, ...opts };
  }

  /** Whether events of this source are gathered. */
  wants(e: NormalizedEvent): boolean {
    return INBOX_SOURCES.has(e.source);
  }

  note(e: NormalizedEvent, deviceName: string | undefined): void {
    let bySource = this.pending.get(e.source);
    if (!bySource) this.pending.set(e.source, (bySource = new Map()));
    let p = bySource.get(e.type);
    if (!p) {
      if (this.types >= this.opts.maxKeys) {
        this.stats.overflow++;
        return;
      }
      p = { source: e.source, type: e.type, count: 0, firstSeen: e.receivedAt, lastSeen: e.receivedAt, devices: new Map(), last: e };
      bySource.set(e.type, p);
      this.types++;
    }
    this.stats.noted++;
    p.count++;
    if (e.receivedAt < p.firstSeen) p.firstSeen = e.receivedAt;
    if (e.receivedAt >= p.lastSeen) {
      p.lastSeen = e.receivedAt;
      p.last = e;
    }
    if (p.devices.size < this.opts.maxDevices) {
      const dk = e.deviceId ?? e.sourceAddress ?? '';
      if (!p.devices.has(dk)) {
        p.devices.set(dk, e.deviceId !== null ? { id: e.deviceId, ...(deviceName ? { name: deviceName } : {}) } : { address: e.sourceAddress ?? 'unknown' });
      }
    }
  }

  get size(): number {
    return this.types;
  }

  /** The types gathered since the last drain (and forgets them). */
  drain(): InboxDelta[] {
    if (this.types === 0) return [];
    const out: InboxDelta[] = [];
    for (const p of [...this.pending.values()].flatMap((m) => [...m.values()])) {
      const e = p.last;
      const sample: InboxSample = {
        message: e.message.length > this.opts.maxMessage ? e.message.slice(0, this.opts.maxMessage) : e.message,
        severity: e.severity,
        sourceAddress: e.sourceAddress,
        deviceId: e.deviceId,
        params: sampleParams(e, this.opts.maxParamsJson),
      };
      out.push({ source: p.source, type: p.type.slice(0, 500), count: p.count, firstSeen: p.firstSeen, lastSeen: p.lastSeen, devices: [...p.devices.values()], sample });
    }
    this.pending = new Map();
    this.types = 0;
    this.stats.flushed_types += out.length;
    return out;
  }
}
