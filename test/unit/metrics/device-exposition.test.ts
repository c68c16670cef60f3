import { describe, expect, it } from 'vitest';
import type { SnmpMetrics } from '../../../server/contracts/device-metrics.js';
import type { PollResult } from '../../../server/contracts/poll.js';
import { gunzipSync } from 'node:zlib';
import { GZIP_HEADER, GzipJoin, type DeflatePiece } from '../../../server/metrics/gzip-join.js';
import { ChunkPool, deviceExposition, gzipDeviceExposition } from '../../../server/metrics/device-exposition.js';
import { DeviceMetricsCache, type DeviceLabels } from '../../../server/metrics/device-metrics-cache.js';
import { acceptsOf, escapeLabelValue, pickFormat } from '../../../server/metrics/exposition-text.js';
import { snmpMetricsOf } from '../../../server/poller/snmp-metrics.js';
import { checkRemoteStatus } from '../../../server/remote/remote-poll.schema.js';

const MAX64 = 2n ** 64n - 1n;

function poll(over: Partial<PollResult> = {}): PollResult {
  return {
    address: '192.0.2.1', startedAt: 1_700_000_000_000, durationMs: 420, ok: true, error: null,
    system: { sysName: 'r1', sysDescr: null, sysObjectID: null, enterprise: null, vendor: null, sysUpTimeCs: 123456, sysContact: null, sysLocation: null },
    interfaces: [
      {
        ifIndex: 3, name: '__proto__', descr: 'Gi0/3 "uplink"\\core', alias: 'to "isp"\nline2 \\ end', type: 6, mtu: 1500, speedBps: 10_000_000_000, mac: null,
        adminStatus: 1, operStatus: 2, lastChangeCs: 42, discontinuityCs: null, hc: true,
        counters: { inOctets: { value: MAX64, bits: 64 }, outOctets: { value: 2n ** 53n + 1n, bits: 64 }, inErrors: { value: 7n, bits: 32 } },
      },
      {
        ifIndex: 4, name: 'eth1', descr: null, alias: null, type: 6, mtu: null, speedBps: 100_000_000, mac: null,
        adminStatus: 1, operStatus: 1, lastChangeCs: null, discontinuityCs: null, hc: false,
        counters: { inOctets: { value: 4294967295n, bits: 32 } },
      },
    ],
    host: { processors: [{ index: 196608, loadPct: 12 }], storage: [{ index: 1, kind: 'ram', descr: 'Physical "memory"', sizeBytes: 8e9, usedBytes: 2e9 }] },
    ucd: { load1: 0.5, load5: 0.25, load15: null, memTotalRealKb: 8000000, memAvailRealKb: 4000000, memTotalSwapKb: null, memAvailSwapKb: null, memBufferKb: 1000, memCachedKb: null },
    neighbours: null,
    custom: [{ oid: '.1.3.6.1.4.1.9.9.13.1.3.1.3.1', value: 41 }, { oid: '1.3.6.1.2.1.1.7.0', value: null }],
    errors: {},
    requests: 4,
    ...over,
  };
}

function cacheWith(devices: Record<number, DeviceLabels>) {
  const table = new Map(Object.entries(devices).map(([k, v]) => [Number(k), v]));
  const cache = new DeviceMetricsCache({ labelsOf: (id) => table.get(id), ownSite: 'hq' });
  return { cache, table };
}

const text = (cache: DeviceMetricsCache, format: 'text' | 'openmetrics' = 'text', chunkBytes?: number) =>
  Buffer.concat([...deviceExposition(cache.snapshot(), { format, chunkBytes })]).toString('utf8');

const up = { snmpState: 'up' as const, at: 1_700_000_000_000, durationMs: 420, error: null, errorKind: null };

describe('device metrics exposition', () => {
  it('escapes hostile label values from the network (quotes, backslashes, newlines, __proto__) and keeps counters beyond 2^53 exact', () => {
    const { cache } = cacheWith({ 1: { name: 'core\n"1"', address: '192.0.2.1', site: '', group: null } });
    cache.snmp(1, up, snmpMetricsOf(poll()));
    const out = text(cache);
    const dev = 'device="core\\n\\"1\\"",address="192.0.2.1",site="hq",group=""';
    expect(out).toContain(
      `ifHCInOctets{${dev},ifIndex="3",ifName="__proto__",ifDescr="Gi0/3 \\"uplink\\"\\\\core",ifAlias="to \\"isp\\"\\nline2 \\\\ end"} 18446744073709551615\n`,
    );
    expect(out).toMatch(/^ifHCOutOctets\{.*\} 9007199254740993$/m);
    expect(out).toMatch(/^ifInOctets\{.*ifName="eth1".*\} 4294967295$/m);
    expect(out).toMatch(/^ifInErrors\{.*ifName="__proto__".*\} 7$/m);
    // Every sample line is one line: no raw newline, no unescaped quote inside a label value.
    for (const line of out.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*\{(?:[a-zA-Z_]\w*="(?:[^"\\\n]|\\[\\"n])*",?)*\} \S+$/);
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it('maps values to the agreed names and units', () => {
    const { cache } = cacheWith({ 1: { name: 'r1', address: '192.0.2.1', site: 'branch', group: 'wan' } });
    cache.snmp(1, up, snmpMetricsOf(poll(), new Map([['1.3.6.1.4.1.9.9.13.1.3.1.3.1', { name: 'chassisTemp' }]])));
    cache.icmp(1, { icmpState: 'up', at: 1_700_000_000_000, min: 1.5, avg: 2, max: 4, jitter: 0.5, lossPct: 20 });
    const out = text(cache);
    const v = (re: RegExp) => re.exec(out)?.[1];
    expect(v(/^ifHighSpeed\{.*ifName="__proto__".*\} (\S+)$/m)).toBe('10000');
    expect(v(/^ifSpeed\{.*ifName="__proto__".*\} (\S+)$/m)).toBe('4294967295');
    expect(v(/^ifSpeed\{.*ifName="eth1".*\} (\S+)$/m)).toBe('100000000');
    expect(v(/^ifOperStatus\{.*ifName="__proto__".*\} (\S+)$/m)).toBe('2');
    expect(v(/^ifLastChange\{.*\} (\S+)$/m)).toBe('42');
    expect(v(/^sysUpTime\{device="r1",address="192.0.2.1",site="branch",group="wan"\} (\S+)$/m)).toBe('123456');
    expect(v(/^hrProcessorLoad\{.*hrDeviceIndex="196608"\} (\S+)$/m)).toBe('12');
    expect(v(/^hrStorageUsed\{.*hrStorageIndex="1",hrStorageDescr="Physical \\"memory\\""\} (\S+)$/m)).toBe('2000000000');
    expect(v(/^hrStorageAllocationUnits\{.*\} (\S+)$/m)).toBe('1');
    expect(out.match(/^laLoad\{.*laNames="([^"]+)"\} \S+$/gm)).toHaveLength(2);
    expect(v(/^memAvailReal\{.*\} (\S+)$/m)).toBe('4000000');
    expect(out).not.toMatch(/^memTotalSwap\{/m);
    expect(v(/^netwatch_custom_oid\{.*oid="1\.3\.6\.1\.4\.1\.9\.9\.13\.1\.3\.1\.3\.1",name="chassisTemp"\} (\S+)$/m)).toBe('41');
    expect(out).not.toContain('1.3.6.1.2.1.1.7.0');
    expect(v(/^netwatch_icmp_rtt_seconds\{.*stat="avg"\} (\S+)$/m)).toBe('0.002');
    expect(v(/^netwatch_icmp_jitter_seconds\{.*\} (\S+)$/m)).toBe('0.0005');
    expect(v(/^netwatch_icmp_loss_ratio\{.*\} (\S+)$/m)).toBe('0.2');
    expect(v(/^netwatch_snmp_poll_duration_seconds\{.*\} (\S+)$/m)).toBe('0.42');
    expect(v(/^netwatch_last_poll_timestamp_seconds\{.*\} (\S+)$/m)).toBe('1700000000');
    expect(out.match(/^netwatch_device_up\{.*probe="(\w+)"\} (\d)$/gm)).toHaveLength(2);
    expect(v(/^netwatch_device_state\{.*state="(\w+)"\} 1$/m)).toBe('up');
  });

  it('writes HELP and TYPE once per family, families never interleaved, whatever the chunk size', () => {
    const devices: Record<number, DeviceLabels> = {};
    for (let i = 1; i <= 30; i++) devices[i] = { name: `d${i}`, address: `10.0.0.${i}`, site: '', group: null };
    const { cache } = cacheWith(devices);
    for (let i = 1; i <= 30; i++) cache.snmp(i, up, snmpMetricsOf(poll()));
    const chunks = [...deviceExposition(cache.snapshot(), { format: 'text', chunkBytes: 1024 })];
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(1024);
    const out = Buffer.concat(chunks).toString('utf8');
    expect(out).toBe(text(cache));
    const seen: string[] = [];
    for (const line of out.split('\n').filter(Boolean)) {
      const name = line.startsWith('#') ? line.split(' ')[2]! : line.slice(0, line.indexOf('{'));
      if (seen.at(-1) !== name) {
        expect(seen, `${name} interleaved`).not.toContain(name);
        seen.push(name);
      }
    }
    expect(out.match(/^# TYPE ifHCInOctets counter$/gm)).toHaveLength(1);
    expect(out.match(/^# HELP ifHCInOctets /gm)).toHaveLength(1);
    expect(out.match(/^ifHCInOctets\{/gm)).toHaveLength(30);
  });

  it('keeps multi-byte label values whole across chunk boundaries, and a line longer than a chunk', () => {
    const { cache } = cacheWith({ 1: { name: 'zürich-core ✓', address: '192.0.2.1', site: '', group: null } });
    const p = poll();
    const long = 'Glasfaser → Zürich 🚀 '.repeat(60);
    cache.snmp(1, up, snmpMetricsOf({ ...p, interfaces: [{ ...p.interfaces![0]!, alias: long }, ...Array.from({ length: 40 }, (_, k) => ({ ...p.interfaces![1]!, ifIndex: 100 + k, alias: `ü${k}` }))] }));
    const small = text(cache, 'text', 1024);
    expect(small).toBe(text(cache, 'text'));
    expect(small).toContain(`ifAlias="${long}"} 18446744073709551615\n`);
    expect(small).toContain('device="zürich-core ✓"');
    expect(small).toContain('ifAlias="ü39"');
  });

  it('gives the same bytes when chunk buffers are used again as soon as each chunk is written', () => {
    const devices: Record<number, DeviceLabels> = {};
    for (let i = 1; i <= 20; i++) devices[i] = { name: `d${i}`, address: `10.0.0.${i}`, site: '', group: null };
    const { cache } = cacheWith(devices);
    for (let i = 1; i <= 20; i++) cache.snmp(i, up, snmpMetricsOf(poll()));
    const pool = new ChunkPool(2048, 2);
    const written: Buffer[] = [];
    const seen = new Set<ArrayBufferLike>();
    for (const c of deviceExposition(cache.snapshot(), { format: 'text', pool })) {
      written.push(Buffer.from(c));
      seen.add(c.buffer);
      pool.give(c);
    }
    expect(seen.size).toBeLessThanOrEqual(3);
    expect(Buffer.concat(written).toString('utf8')).toBe(text(cache));
  });

  it('shapes OpenMetrics: counters as <name>_total under a TYPE without it, # EOF at the end', () => {
    const { cache } = cacheWith({ 1: { name: 'r1', address: '192.0.2.1', site: '', group: null } });
    cache.snmp(1, up, snmpMetricsOf(poll()));
    const out = text(cache, 'openmetrics', 1024);
    expect(out).toContain('# TYPE ifHCInOctets counter\n');
    expect(out).toMatch(/^ifHCInOctets_total\{.*\} 18446744073709551615$/m);
    expect(out).not.toMatch(/^ifHCInOctets\{/m);
    expect(out).toMatch(/^ifOperStatus\{/m);
    expect(out.endsWith('# EOF\n')).toBe(true);
    expect(out.match(/# EOF/g)).toHaveLength(1);
    expect(text(cache, 'text')).not.toContain('# EOF');
  });

  it('picks the format from ?format= or the Accept header (text unless text/plain is not accepted)', () => {
    expect(pickFormat(undefined, acceptsOf(undefined))).toBe('text');
    expect(pickFormat('openmetrics', acceptsOf(undefined))).toBe('openmetrics');
    expect(pickFormat(['openmetrics'], acceptsOf(undefined))).toBe('text');
    expect(pickFormat(undefined, acceptsOf('application/openmetrics-text; version=1.0.0'))).toBe('openmetrics');
    expect(pickFormat(undefined, acceptsOf('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'))).toBe('text');
    expect(pickFormat(undefined, acceptsOf('application/openmetrics-text, text/plain;q=0'))).toBe('openmetrics');
  });
});

describe('latest-values cache', () => {
  it('drops a deleted device, forgets interfaces that vanished and values of a failed poll', () => {
    const { cache, table } = cacheWith({ 1: { name: 'r1', address: '192.0.2.1', site: '', group: null }, 2: { name: 'r2', address: '192.0.2.2', site: '', group: null } });
    cache.snmp(1, up, snmpMetricsOf(poll()));
    cache.snmp(2, up, snmpMetricsOf(poll()));
    expect(text(cache)).toMatch(/ifName="eth1"/);
    // Next poll of r1 has only ifIndex 3: eth1 disappears.
    const p = poll();
    cache.snmp(1, up, snmpMetricsOf({ ...p, interfaces: p.interfaces!.slice(0, 1) }));
    expect(text(cache).match(/^ifInOctets\{device="r1"/gm)).toBeNull();
    // A failed poll: r2's values go, its state stays (down).
    cache.snmp(2, { ...up, snmpState: 'down' }, null);
    const out = text(cache);
    expect(out).not.toMatch(/^ifHCInOctets\{device="r2"/m);
    expect(out).toMatch(/^netwatch_device_up\{device="r2".*probe="snmp"\} 0$/m);
    expect(out).toMatch(/^netwatch_device_state\{device="r2".*state="down"\} 1$/m);
    table.delete(1);
    cache.drop(1);
    expect(text(cache)).not.toContain('device="r1"');
    // A result arriving after the delete is ignored, not kept.
    cache.snmp(1, up, snmpMetricsOf(poll()));
    expect(text(cache)).not.toContain('device="r1"');
    expect(cache.counters()).toMatchObject({ devices: 1, unknown_device_updates: 1 });
  });

  it('shows an ifAlias changed on the agent from the next poll on, and keeps unchanged interface labels', () => {
    const { cache } = cacheWith({ 1: { name: 'r1', address: '192.0.2.1', site: '', group: null } });
    const p = poll();
    cache.snmp(1, up, snmpMetricsOf(p));
    const before = cache.snapshot()[0]!.ifLabels;
    cache.snmp(1, up, snmpMetricsOf({ ...p, interfaces: [p.interfaces![0]!, { ...p.interfaces![1]!, alias: 'new "alias"' }] }));
    const after = cache.snapshot()[0]!.ifLabels;
    expect(after[0]).toBe(before[0]);
    expect(after[1]).toContain('ifAlias="new \\"alias\\""');
    // Interfaces in another order: each keeps its own labels.
    cache.snmp(1, up, snmpMetricsOf({ ...p, interfaces: [p.interfaces![1]!, p.interfaces![0]!] }));
    const swapped = text(cache);
    expect(swapped).toMatch(/^ifInOctets\{[^}]*ifIndex="4",ifName="eth1",ifDescr="",ifAlias=""\} 4294967295$/m);
    expect(swapped).toMatch(/^ifHCInOctets\{[^}]*ifIndex="3",ifName="__proto__"[^}]*\} 18446744073709551615$/m);
  });

  it('relabels a renamed device and shows collector-down sites as unknown', () => {
    const { cache, table } = cacheWith({ 1: { name: 'old', address: '192.0.2.1', site: 'far', group: null } });
    cache.icmp(1, { icmpState: 'up', at: 1, min: 1, avg: 1, max: 1, jitter: 0, lossPct: 0 });
    table.set(1, { name: 'new', address: '192.0.2.1', site: 'far', group: 'g' });
    cache.relabel(1);
    const out = Buffer.concat([...deviceExposition(cache.snapshot(), { format: 'text', collectorDown: (s) => s === 'far' })]).toString('utf8');
    expect(out).toMatch(/^netwatch_device_state\{device="new",address="192.0.2.1",site="far",group="g",state="unknown"\} 1$/m);
    expect(out).not.toContain('"old"');
  });
});

describe('raw values from a collector (status item metrics)', () => {
  const item = (metrics: unknown) => ({ kind: 'snmp', deviceId: 1, update: up, interfaces: null, metrics });
  const good = (): SnmpMetrics => JSON.parse(JSON.stringify(snmpMetricsOf(poll()))) as SnmpMetrics;

  it('keeps exact counter text through JSON and the centre check', () => {
    const checked = checkRemoteStatus([item(good())]);
    expect(checked.invalid).toBe(0);
    const m = (checked.items[0] as { metrics: SnmpMetrics }).metrics;
    expect(m.interfaces![0]!.counters.inOctets).toEqual({ v: '18446744073709551615', b: 64 });
  });

  it('drops items with counters that are not exact integers of at most 2^64-1, or with unknown keys such as __proto__', () => {
    const bad = [
      (m: any) => (m.interfaces[0].counters.inOctets.v = '1e5'),
      (m: any) => (m.interfaces[0].counters.inOctets.v = '18446744073709551616'),
      (m: any) => (m.interfaces[0].counters.inOctets.v = '-1'),
      (m: any) => (m.interfaces[0].counters.inOctets.b = 16),
      (m: any) => (m.custom[0].oid = '1.3.6"} 1\nevil{a="'),
    ];
    for (const spoil of bad) {
      const m = good();
      spoil(m);
      expect(checkRemoteStatus([item(m)]).invalid).toBe(1);
    }
    const proto = JSON.parse(JSON.stringify(item(good())).replace('"counters":{', '"counters":{"__proto__":{"v":"1","b":32},'));
    expect(checkRemoteStatus([proto]).invalid).toBe(1);
    // Collectors of an earlier version send no metrics: still a valid item.
    expect(checkRemoteStatus([{ kind: 'snmp', deviceId: 1, update: up, interfaces: null }]).invalid).toBe(0);
  });
});

describe('pre-compressed gzip exposition (blocks made at poll time)', () => {
  const gz = async (cache: DeviceMetricsCache, opts: { collectorDown?: (s: string) => boolean; chunkBytes?: number } = {}) => {
    await cache.settle();
    const parts: Buffer[] = [];
    for await (const c of gzipDeviceExposition(cache.snapshot(), opts)) parts.push(Buffer.from(c));
    return Buffer.concat(parts);
  };
  const fleet = () => {
    const { cache, table } = cacheWith({
      1: { name: 'r"1\\core\nx', address: '192.0.2.1', site: '', group: '__proto__' },
      2: { name: 'sw-2', address: '192.0.2.2', site: 'far', group: null },
      3: { name: 'ünïcode-3', address: '192.0.2.3', site: '', group: 'g' },
    });
    cache.snmp(1, up, snmpMetricsOf(poll()));
    cache.snmp(2, up, snmpMetricsOf(poll({ address: '192.0.2.2' })));
    cache.icmp(2, { icmpState: 'up', at: 1_700_000_000_000, min: 1.5, avg: 2, max: 4, jitter: 0.5, lossPct: 20 });
    cache.icmp(3, { icmpState: 'down', at: 1_700_000_000_000, min: null, avg: null, max: null, jitter: null, lossPct: 100 });
    return { cache, table };
  };

  it('is one gzip stream that Node zlib decodes to exactly the identity text body, hostile labels escaped, whatever the chunk size', async () => {
    const { cache } = fleet();
    const collectorDown = (s: string) => s === 'far';
    const identity = Buffer.concat([...deviceExposition(cache.snapshot(), { format: 'text', collectorDown })]);
    for (const chunkBytes of [1024, 4096, undefined]) {
      const body = await gz(cache, { collectorDown, chunkBytes });
      expect(body[0]).toBe(0x1f);
      expect(body[1]).toBe(0x8b);
      expect(gunzipSync(body).equals(identity)).toBe(true);
    }
    const text = identity.toString('utf8');
    expect(text).toContain('device="r\\"1\\\\core\\nx"');
    expect(text).toContain('ifAlias="to \\"isp\\"\\nline2 \\\\ end"');
    expect(text).toContain('netwatch_device_state{device="sw-2",address="192.0.2.2",site="far",group="",state="unknown"} 1');
  });

  it('makes the pieces of updated devices by itself, a slice per event-loop turn, without a scrape', async () => {
    const { cache } = fleet();
    expect(cache.counters().deflate_pending).toBe(3);
    for (let i = 0; i < 100 && cache.counters().deflate_pending > 0; i++) await new Promise((r) => setImmediate(r));
    expect(cache.counters().deflate_pending).toBe(0);
    expect(cache.counters().deflate_block_bytes).toBeGreaterThan(0);
    // A deleted device's pending pieces are forgotten with it.
    cache.icmp(3, { icmpState: 'up', at: 1, min: 1, avg: 1, max: 1, jitter: 0, lossPct: 0 });
    cache.drop(3);
    expect(cache.counters().deflate_pending).toBe(0);
  });

  it('an empty cache is still a valid gzip body (of nothing)', async () => {
    const { cache } = cacheWith({});
    const body = await gz(cache);
    expect(body.length).toBeGreaterThan(0);
    expect(gunzipSync(body).length).toBe(0);
  });

  it('a re-polled device changes only its own blocks, and only those of what was polled', async () => {
    const unz = (p: DeflatePiece | null | undefined) => {
      if (!p) return '';
      const j = new GzipJoin();
      j.add(p);
      return gunzipSync(Buffer.concat([GZIP_HEADER, p.data, j.end()])).toString('utf8');
    };
    const { cache } = fleet();
    await cache.settle();
    const before = new Map(cache.snapshot().map((e) => [e.id, e.blocks!]));
    const ifHC = before.get(2)!.findIndex((b) => unz(b).startsWith('ifHCInOctets{'));
    const rtt = before.get(2)!.findIndex((b) => unz(b).startsWith('netwatch_icmp_rtt_seconds{'));
    const devUp = before.get(2)!.findIndex((b) => unz(b).startsWith('netwatch_device_up{'));
    expect(Math.min(ifHC, rtt, devUp)).toBeGreaterThanOrEqual(0);

    const p = poll({ address: '192.0.2.2' });
    p.interfaces![0]!.counters.inOctets = { value: 5n, bits: 64 };
    cache.snmp(2, up, snmpMetricsOf(p));
    // Made after the update, not in it.
    expect(cache.counters().deflate_pending).toBe(1);
    await cache.settle();
    expect(cache.counters().deflate_pending).toBe(0);
    const after = new Map(cache.snapshot().map((e) => [e.id, e.blocks!]));
    // Other devices: the very same buffers.
    for (const id of [1, 3]) expect(after.get(id)).toBe(before.get(id));
    expect(after.get(2)).not.toBe(before.get(2));
    // The device's ICMP blocks were not made again by an SNMP poll.
    expect(after.get(2)![rtt]).toBe(before.get(2)![rtt]);
    expect(unz(after.get(2)![ifHC]!)).toMatch(/^ifHCInOctets\{device="sw-2",[^}]*ifIndex="3"[^}]*\} 5$/m);
    // The old array was not changed in place (a scrape writing it is not disturbed).
    expect(unz(before.get(2)![ifHC]!)).toContain(`} ${MAX64}\n`);

    // An ICMP cycle remakes the ICMP families and netwatch_device_up, not the interfaces.
    cache.icmp(2, { icmpState: 'down', at: 1_700_000_000_001, min: null, avg: null, max: null, jitter: null, lossPct: 100 });
    await cache.settle();
    const icmp = cache.snapshot().find((e) => e.id === 2)!.blocks!;
    expect(icmp[ifHC]).toBe(after.get(2)![ifHC]);
    expect(icmp[rtt]).toBeNull();
    expect(unz(icmp[devUp]!)).toContain('probe="icmp"} 0\n');
    expect(gunzipSync(await gz(cache)).equals(Buffer.concat([...deviceExposition(cache.snapshot(), { format: 'text' })]))).toBe(true);
  });

  it('a deleted device vanishes from the gzip body, a renamed one is relabelled in every block', async () => {
    const { cache, table } = fleet();
    table.delete(1);
    cache.drop(1);
    table.set(2, { name: 'renamed', address: '192.0.2.2', site: 'far', group: null });
    cache.relabel(2);
    const text = gunzipSync(await gz(cache)).toString('utf8');
    expect(text).not.toContain('r\\"1');
    expect(text).not.toContain('192.0.2.1"');
    expect(text).not.toContain('device="sw-2"');
    expect(text.match(/^ifHCInOctets\{device="renamed",/gm)).toHaveLength(1);
    expect(text).toBe(Buffer.concat([...deviceExposition(cache.snapshot(), { format: 'text' })]).toString('utf8'));
  });
});
