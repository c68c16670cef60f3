import type { InterfaceMetrics } from '../contracts/device-metrics.js';
import type { IfCounterName } from '../contracts/poll.js';
import type { DeviceEntry } from './device-metrics-cache.js';
import { escapeHelp, formatValue, labelPairs, type ExpositionFormat } from './exposition-text.js';
import { deflatePiece, deflatePieceLater, GZIP_HEADER, GzipJoin, type DeflatePiece } from './gzip-join.js';

/** Adds one sample: the labels inside the braces (escaped) and the value. */
type Add = (labels: string, value: number | string) => void;

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  each(d: DeviceEntry, add: Add): void;
}

/** Interface counters: [our field, snmp_exporter's name for the 64-bit HC column (null: none), for the 32-bit one]. */
const IF_COUNTER_NAMES: readonly [IfCounterName, string | null, string][] = [
  ['inOctets', 'ifHCInOctets', 'ifInOctets'],
  ['outOctets', 'ifHCOutOctets', 'ifOutOctets'],
  ['inUcastPkts', 'ifHCInUcastPkts', 'ifInUcastPkts'],
  ['outUcastPkts', 'ifHCOutUcastPkts', 'ifOutUcastPkts'],
  ['inMulticastPkts', 'ifHCInMulticastPkts', 'ifInMulticastPkts'],
  ['outMulticastPkts', 'ifHCOutMulticastPkts', 'ifOutMulticastPkts'],
  ['inBroadcastPkts', 'ifHCInBroadcastPkts', 'ifInBroadcastPkts'],
  ['outBroadcastPkts', 'ifHCOutBroadcastPkts', 'ifOutBroadcastPkts'],
  ['inErrors', null, 'ifInErrors'],
  ['outErrors', null, 'ifOutErrors'],
  ['inDiscards', null, 'ifInDiscards'],
  ['outDiscards', null, 'ifOutDiscards'],
];

/** Every interface of the device with a value: `pick` returns null to leave the interface out. */
function perInterface(pick: (i: InterfaceMetrics) => number | string | null): Family['each'] {
  return (d, add) => {
    const ifs = d.snmp?.interfaces;
    if (!ifs) return;
    for (let k = 0; k < ifs.length; k++) {
      const v = pick(ifs[k]!);
      if (v !== null) add(`${d.labels},${d.ifLabels[k]}`, v);
    }
  };
}

function counterFamilies(): Family[] {
  const out: Family[] = [];
  for (const [field, hc, c32] of IF_COUNTER_NAMES) {
    if (hc) out.push({ name: hc, type: 'counter', help: `IF-MIB ${hc} (64-bit), raw counter as polled`, each: perInterface((i) => (i.counters[field]?.b === 64 ? i.counters[field].v : null)) });
    out.push({ name: c32, type: 'counter', help: `IF-MIB ${c32} (32-bit), raw counter as polled`, each: perInterface((i) => (i.counters[field] && i.counters[field].b !== 64 ? i.counters[field].v : null)) });
  }
  return out;
}

const gauge = (name: string, help: string, each: Family['each']): Family => ({ name, type: 'gauge', help, each });

/** A single value per device (null: no line). */
const perDevice = (pick: (d: DeviceEntry) => number | null): Family['each'] => (d, add) => {
  const v = pick(d);
  if (v !== null) add(d.labels, v);
};

const LOAD_NAMES = [['load1', 'Load-1'], ['load5', 'Load-5'], ['load15', 'Load-15']] as const;
const UCD_MEM = [
  ['memTotalReal', 'memTotalRealKb'],
  ['memAvailReal', 'memAvailRealKb'],
  ['memTotalSwap', 'memTotalSwapKb'],
  ['memAvailSwap', 'memAvailSwapKb'],
  ['memBuffer', 'memBufferKb'],
  ['memCached', 'memCachedKb'],
] as const;

/** Overall state as the dashboard counts it: down wins, then up; collector-down sites are unknown. */
export function overallState(d: DeviceEntry, collectorDown: boolean): string {
  if (collectorDown) return 'unknown';
  if (d.icmpState === 'down' || d.snmpState === 'down' || d.snmpState === 'auth_failure') return 'down';
  if (d.icmpState === 'up' || d.snmpState === 'up') return 'up';
  return 'unknown';
}

const reach = (s: string): number | null => (s === 'up' ? 1 : s === 'down' || s === 'auth_failure' ? 0 : null);
const ms = (v: number | null | undefined): number | null => (v === null || v === undefined ? null : v / 1000);

function families(collectorDown: (site: string) => boolean): Family[] {
  return [
    ...counterFamilies(),
    gauge('ifOperStatus', 'IF-MIB ifOperStatus (1 up, 2 down, 3 testing, 4 unknown, 5 dormant, 6 notPresent, 7 lowerLayerDown)', perInterface((i) => i.operStatus)),
    gauge('ifAdminStatus', 'IF-MIB ifAdminStatus (1 up, 2 down, 3 testing)', perInterface((i) => i.adminStatus)),
    gauge('ifHighSpeed', 'IF-MIB ifHighSpeed (Mbit/s)', perInterface((i) => (i.speedBps === null ? null : Math.round(i.speedBps / 1e6)))),
    gauge('ifSpeed', 'IF-MIB ifSpeed (bit/s, at most 4294967295)', perInterface((i) => (i.speedBps === null ? null : Math.min(i.speedBps, 4294967295)))),
    gauge('ifMtu', 'IF-MIB ifMtu (octets)', perInterface((i) => i.mtu)),
    gauge('ifType', 'IF-MIB ifType (IANAifType)', perInterface((i) => i.type)),
    gauge('ifLastChange', 'IF-MIB ifLastChange (TimeTicks, hundredths of a second)', perInterface((i) => i.lastChangeCs)),
    gauge('sysUpTime', 'SNMPv2-MIB sysUpTime (TimeTicks, hundredths of a second)', perDevice((d) => d.snmp?.sysUpTimeCs ?? null)),
    gauge('hrProcessorLoad', 'HOST-RESOURCES-MIB hrProcessorLoad (%)', (d, add) => {
      for (const p of d.snmp?.host?.processors ?? []) add(`${d.labels},hrDeviceIndex="${p.index}"`, p.loadPct);
    }),
    ...(
      [
        ['hrStorageSize', 'HOST-RESOURCES-MIB hrStorageSize, in bytes (allocation units of 1)', (s: { sizeBytes: number }) => s.sizeBytes],
        ['hrStorageUsed', 'HOST-RESOURCES-MIB hrStorageUsed, in bytes (allocation units of 1)', (s: { usedBytes: number }) => s.usedBytes],
        ['hrStorageAllocationUnits', 'HOST-RESOURCES-MIB hrStorageAllocationUnits (always 1: size and used are in bytes)', () => 1],
      ] as const
    ).map(([name, help, pick]) =>
      gauge(name, help, (d, add) => {
        for (const s of d.snmp?.host?.storage ?? []) add(`${d.labels},${labelPairs([['hrStorageIndex', String(s.index)], ['hrStorageDescr', s.descr]])}`, pick(s as never));
      }),
    ),
    gauge('laLoad', 'UCD-SNMP-MIB laLoad (load average)', (d, add) => {
      const u = d.snmp?.ucd;
      if (!u) return;
      for (const [field, label] of LOAD_NAMES) if (u[field] !== null) add(`${d.labels},laNames="${label}"`, u[field]);
    }),
    ...UCD_MEM.map(([name, field]) => gauge(name, `UCD-SNMP-MIB ${name} (kB)`, perDevice((d) => d.snmp?.ucd?.[field] ?? null))),
    gauge('netwatch_custom_oid', 'A custom OID polled on the device (name: its metric name)', (d, add) => {
      for (const c of d.snmp?.custom ?? []) add(`${d.labels},${labelPairs([['oid', c.oid], ['name', c.name]])}`, c.value);
    }),
    gauge('netwatch_template_value', 'A value collected by a collection template (metric: its stored name, e.g. sensor.temperature; instance: its label)', (d, add) => {
      for (const t of d.snmp?.templates ?? []) add(`${d.labels},${labelPairs([['metric', t.metric], ['instance', t.instance]])}`, t.value);
    }),
    gauge('netwatch_device_up', 'Whether the device answers the probe (1 up, 0 down; absent while unknown)', (d, add) => {
      const icmp = reach(d.icmpState);
      if (icmp !== null) add(`${d.labels},probe="icmp"`, icmp);
      const snmp = reach(d.snmpState);
      if (snmp !== null) add(`${d.labels},probe="snmp"`, snmp);
    }),
    gauge('netwatch_device_state', 'The device\'s overall state (1 on the current one)', (d, add) => add(`${d.labels},state="${overallState(d, collectorDown(d.site))}"`, 1)),
    gauge('netwatch_icmp_rtt_seconds', 'Round-trip time of the last ICMP cycle', (d, add) => {
      const i = d.icmp;
      if (!i) return;
      if (i.min !== null) add(`${d.labels},stat="min"`, i.min / 1000);
      if (i.avg !== null) add(`${d.labels},stat="avg"`, i.avg / 1000);
      if (i.max !== null) add(`${d.labels},stat="max"`, i.max / 1000);
    }),
    gauge('netwatch_icmp_jitter_seconds', 'Mean difference between consecutive RTTs of the last ICMP cycle', perDevice((d) => ms(d.icmp?.jitter))),
    gauge('netwatch_icmp_loss_ratio', 'Share of echo requests lost in the last ICMP cycle (0..1)', perDevice((d) => (d.icmp ? d.icmp.lossPct / 100 : null))),
    gauge('netwatch_snmp_poll_duration_seconds', 'Duration of the last SNMP poll', perDevice((d) => ms(d.lastPoll?.durationMs))),
    gauge('netwatch_last_poll_timestamp_seconds', 'When the last SNMP poll started (Unix time)', perDevice((d) => ms(d.lastPoll?.at))),
  ];
}

export interface ExpositionOptions {
  format: ExpositionFormat;
  /** The site has collectors and all are down (its devices' state is unknown). */
  collectorDown?: (site: string) => boolean;
  /** Size of each chunk handed out (default CHUNK_BYTES). */
  chunkBytes?: number;
  /** Where chunk buffers come from (default: a new one each); see ChunkPool. */
  pool?: ChunkPool;
}

/** 256 KiB: about 1,300 interface lines, a millisecond or two of work between two turns of the event loop. */
export const CHUNK_BYTES = 256 * 1024;

/**
 * Chunk buffers used again once written: a scrape of a big fleet then allocates a few buffers
 * instead of a gigabyte of them, which would make V8 run full collections over the whole heap
 * (cache included) again and again, each a long stall of the main thread.
 */
export class ChunkPool {
  private readonly free: Buffer[] = [];
  constructor(readonly size: number = CHUNK_BYTES, private readonly keep = 8) {}
  take(): Buffer {
    // Its own ArrayBuffer (never a slice of Node's shared pool), so `give` can tell it is ours.
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }
  /** `chunk` (or a view of one) is no longer used by anyone. Views of other buffers are ignored. */
  give(chunk: Buffer): void {
    if (chunk.buffer.byteLength !== this.size || chunk.byteOffset !== 0 || this.free.length >= this.keep) return;
    this.free.push(Buffer.from(chunk.buffer, 0, this.size));
  }
}

/**
 * The exposition of `devices` as UTF-8 chunks of about `chunkBytes`: families in a fixed order,
 * HELP and TYPE once per family (only for families with a sample), counters named `<name>_total`
 * in OpenMetrics, which ends with `# EOF`. The caller writes each chunk and may yield in between.
 * Lines are encoded straight into the chunk (one Buffer.write each): several times cheaper than
 * building a long string and encoding it afterwards. With a pool, a chunk's buffer must not be
 * given back before it has been written.
 */
export function* deviceExposition(devices: readonly DeviceEntry[], opts: ExpositionOptions): Generator<Buffer, void, undefined> {
  const om = opts.format === 'openmetrics';
  const size = opts.pool?.size ?? Math.max(opts.chunkBytes ?? CHUNK_BYTES, 1024);
  const take = opts.pool ? () => opts.pool!.take() : () => Buffer.allocUnsafe(size);
  const sites = new Map<string, boolean>();
  const collectorDown = (site: string) => {
    let v = sites.get(site);
    if (v === undefined) sites.set(site, (v = opts.collectorDown?.(site) ?? false));
    return v;
  };
  let chunk = take();
  let used = 0;
  const ready: Buffer[] = [];
  const put = (line: string) => {
    // Worst case 3 bytes per UTF-16 unit: a line that might not fit closes the chunk first.
    const worst = line.length * 3;
    if (used + worst > size) {
      if (used > 0) ready.push(chunk.subarray(0, used));
      chunk = take();
      used = 0;
      if (worst > size) {
        ready.push(Buffer.from(line, 'utf8'));
        return;
      }
    }
    used += chunk.write(line, used, 'utf8');
  };
  for (const f of families(collectorDown)) {
    const sampleName = om && f.type === 'counter' ? `${f.name}_total` : f.name;
    let header = `# HELP ${f.name} ${escapeHelp(f.help, opts.format)}\n# TYPE ${f.name} ${f.type}\n`;
    const add: Add = (labels, value) => {
      if (header) {
        put(header);
        header = '';
      }
      put(`${sampleName}{${labels}} ${formatValue(value)}\n`);
    };
    for (const d of devices) {
      f.each(d, add);
      while (ready.length) yield ready.shift()!;
    }
  }
  if (om) put('# EOF\n');
  while (ready.length) yield ready.shift()!;
  if (used > 0) yield chunk.subarray(0, used);
}

// ---- Pre-compressed text exposition (gzip scrapes) ----
//
// Each device keeps, per family, its lines of the text format already compressed as one DEFLATE piece
// (gzip-join.ts), made when the device's poll lands, not at scrape time. A gzip scrape then writes one
// gzip stream: the header, family by family a HELP/TYPE piece followed by the devices' pieces, and a
// trailer whose CRC-32 is combined from the pieces' own. netwatch_device_state depends on the collectors'
// state at scrape time: it is made (and compressed on libuv's thread pool) per scrape, one line per device.

/** What a family's lines depend on: re-encoded when that part of the device changes. */
type Source = 'snmp' | 'icmp' | 'both' | 'scrape';

/** The families with a collectorDown that is never called (netwatch_device_state is made per scrape). */
const STATIC_FAMILIES = families(() => false);
const SOURCES: readonly Source[] = STATIC_FAMILIES.map((f) =>
  f.name === 'netwatch_device_state' ? 'scrape' : f.name === 'netwatch_device_up' ? 'both' : f.name.startsWith('netwatch_icmp_') ? 'icmp' : 'snmp',
);
/** Number of families: the length of a device's block list. */
export const FAMILY_COUNT = STATIC_FAMILIES.length;

/** zlib level of the pre-compressed blocks (PERFORMANCE.md, "Prometheus export"). */
export const BLOCK_DEFLATE_LEVEL = 1;
/** HELP/TYPE of each family (text format), one piece each, made once. */
const HEADER_PIECES: readonly DeflatePiece[] = STATIC_FAMILIES.map((f) => deflatePiece(`# HELP ${f.name} ${escapeHelp(f.help, 'text')}\n# TYPE ${f.name} ${f.type}\n`, BLOCK_DEFLATE_LEVEL));

/** The text lines of one family of one device ('' when it has none). */
function familyText(f: Family, d: DeviceEntry): string {
  let s = '';
  f.each(d, (labels, value) => {
    s += `${f.name}{${labels}} ${formatValue(value)}\n`;
  });
  return s;
}

/**
 * The device's compressed lines per family (index: family order; null: no lines), with those depending
 * on `changed` made again from the entry and the others taken from `prev`. A new array: a scrape that
 * is writing the old one is not disturbed.
 */
export function encodeDeviceBlocks(d: DeviceEntry, changed: 'snmp' | 'icmp' | 'all', prev: readonly (DeflatePiece | null)[] | undefined): (DeflatePiece | null)[] {
  const out = prev && prev.length === FAMILY_COUNT ? prev.slice() : new Array<DeflatePiece | null>(FAMILY_COUNT).fill(null);
  for (let k = 0; k < FAMILY_COUNT; k++) {
    const src = SOURCES[k]!;
    if (src === 'scrape') continue;
    if (changed !== 'all' && src !== 'both' && src !== changed) continue;
    const text = familyText(STATIC_FAMILIES[k]!, d);
    out[k] = text ? deflatePiece(text, BLOCK_DEFLATE_LEVEL) : null;
  }
  return out;
}

/**
 * The text-format exposition of `devices` as one gzip stream made of the devices' pieces, copied into
 * chunks of the pool (or fresh ones): it decompresses to exactly what `deviceExposition(…, 'text')`
 * makes.
 */
export async function* gzipDeviceExposition(
  devices: readonly DeviceEntry[],
  opts: { collectorDown?: (site: string) => boolean; pool?: ChunkPool; chunkBytes?: number },
): AsyncGenerator<Buffer, void, undefined> {
  const size = opts.pool?.size ?? Math.max(opts.chunkBytes ?? CHUNK_BYTES, 1024);
  const take = opts.pool ? () => opts.pool!.take() : () => Buffer.allocUnsafe(size);
  const sites = new Map<string, boolean>();
  const collectorDown = (site: string) => {
    let v = sites.get(site);
    if (v === undefined) sites.set(site, (v = opts.collectorDown?.(site) ?? false));
    return v;
  };
  const live = families(collectorDown);
  const join = new GzipJoin();
  let chunk = take();
  let used = 0;
  const ready: Buffer[] = [];
  const copy = (b: Buffer) => {
    let from = 0;
    while (from < b.length) {
      if (used === size) {
        ready.push(chunk);
        chunk = take();
        used = 0;
      }
      const n = b.copy(chunk, used, from, Math.min(b.length, from + size - used));
      used += n;
      from += n;
    }
  };
  const put = (p: DeflatePiece) => {
    join.add(p);
    copy(p.data);
  };
  copy(GZIP_HEADER);
  for (let k = 0; k < FAMILY_COUNT; k++) {
    let header = true;
    if (SOURCES[k] === 'scrape') {
      // Made now: one line per device, compressed off the main thread in pieces of about a chunk.
      const f = live[k]!;
      let text = '';
      const flush = async () => {
        if (header) put(HEADER_PIECES[k]!), (header = false);
        put(await deflatePieceLater(text, BLOCK_DEFLATE_LEVEL));
        text = '';
      };
      for (const d of devices) {
        text += familyText(f, d);
        if (text.length >= size) {
          await flush();
          while (ready.length) yield ready.shift()!;
        }
      }
      if (text) await flush();
    } else {
      for (const d of devices) {
        const b = d.blocks?.[k];
        if (!b) continue;
        if (header) put(HEADER_PIECES[k]!), (header = false);
        put(b);
        while (ready.length) yield ready.shift()!;
      }
    }
    while (ready.length) yield ready.shift()!;
  }
  copy(join.end());
  while (ready.length) yield ready.shift()!;
  if (used > 0) yield chunk.subarray(0, used);
}

/** One sample with its labels as pairs (remote write): the exposition's names, labels and values. */
export interface StructuredSample {
  name: string;
  type: 'counter' | 'gauge';
  labels: { name: string; value: string }[];
  /** Exact decimal text for counters, else a number. */
  value: number | string;
}

const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The pairs of an escaped `a="x",b="y"` label string made by `labelPairs`, unescaped. */
export function parseLabelPairs(s: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const m of s.matchAll(LABEL_PAIR)) out.push({ name: m[1]!, value: m[2]!.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c)) });
  return out;
}

/** Every sample of the exposition as structured data, family by family (labels of a device or interface parsed once). */
export function* deviceSamples(devices: readonly DeviceEntry[], opts: { collectorDown?: (site: string) => boolean } = {}): Generator<StructuredSample, void, undefined> {
  const sites = new Map<string, boolean>();
  const collectorDown = (site: string) => {
    let v = sites.get(site);
    if (v === undefined) sites.set(site, (v = opts.collectorDown?.(site) ?? false));
    return v;
  };
  const parsed = new Map<string, { name: string; value: string }[]>();
  const pending: StructuredSample[] = [];
  for (const f of families(collectorDown)) {
    const add: Add = (labels, value) => {
      let pairs = parsed.get(labels);
      if (!pairs) parsed.set(labels, (pairs = parseLabelPairs(labels)));
      pending.push({ name: f.name, type: f.type, labels: pairs, value });
    };
    for (const d of devices) {
      f.each(d, add);
      for (const s of pending) yield s;
      pending.length = 0;
    }
  }
}
