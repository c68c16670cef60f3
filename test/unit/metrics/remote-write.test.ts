import snappy from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { deviceSamples, parseLabelPairs } from '../../../server/metrics/device-exposition.js';
import { DeviceMetricsCache } from '../../../server/metrics/device-metrics-cache.js';
import { labelPairs } from '../../../server/metrics/exposition-text.js';
import { decodeWriteRequest, encodeWriteRequest, STALE_NAN } from '../../../server/metrics/remote-write.js';
import { snmpMetricsOf } from '../../../server/poller/snmp-metrics.js';

describe('remote-write encoding', () => {
  it('round-trips a WriteRequest through protobuf and snappy with hostile label values intact', () => {
    const series = [
      { labels: [{ name: '__name__', value: 'ifHCInOctets' }, { name: 'ifAlias', value: 'a "b"\nc \\ d __proto__' }], samples: [{ value: 2 ** 53 + 2, timestamp: 1_700_000_000_123 }] },
      { labels: [{ name: '__name__', value: 'ifOperStatus' }], samples: [{ value: 1, timestamp: 1_700_000_000_123 }] },
    ];
    const body = encodeWriteRequest(series);
    // Snappy block format starts with the uncompressed length as a varint, not the framing format's stream identifier.
    expect(body[0]).not.toBe(0xff);
    expect(decodeWriteRequest(body)).toEqual(series);
  });

  it("keeps the staleness marker's exact NaN bits through protobuf and snappy", () => {
    const body = encodeWriteRequest([{ labels: [{ name: '__name__', value: 'netwatch_device_state' }], samples: [{ value: STALE_NAN, timestamp: 1 }] }]);
    // The Sample's double (field 1, wire type 1: tag 0x09) as Prometheus reads it, little-endian.
    const raw = Buffer.from(snappy.uncompress(new Uint8Array(body)));
    const at = raw.indexOf(Buffer.from([0x09, 0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]));
    expect(at).toBeGreaterThan(0);
  });

  it('parses back every label string the exposition escapes', () => {
    const hostile: [string, string][] = [['device', 'x"}\n evil{a="1'], ['ifAlias', '\\\\n'], ['ifName', '__proto__'], ['group', '']];
    expect(parseLabelPairs(labelPairs(hostile))).toEqual(hostile.map(([name, value]) => ({ name, value })));
  });

  it('gives the exposition samples as structured data, counters as exact text', () => {
    const cache = new DeviceMetricsCache({ labelsOf: () => ({ name: 'r"1', address: '192.0.2.1', site: '', group: null }), ownSite: 'hq' });
    cache.snmp(1, { snmpState: 'up', at: 1, durationMs: 1, error: null, errorKind: null }, snmpMetricsOf({
      address: '192.0.2.1', startedAt: 1, durationMs: 1, ok: true, error: null, system: null, host: null, ucd: null, neighbours: null, custom: null, errors: {}, requests: 1,
      interfaces: [{ ifIndex: 1, name: 'eth0', descr: null, alias: 'up\nlink', type: 6, mtu: null, speedBps: null, mac: null, adminStatus: 1, operStatus: 1, lastChangeCs: null, discontinuityCs: null, hc: true, counters: { inOctets: { value: 2n ** 64n - 1n, bits: 64 } } }],
    }));
    const all = [...deviceSamples(cache.snapshot())];
    const octets = all.find((s) => s.name === 'ifHCInOctets')!;
    expect(octets).toMatchObject({ type: 'counter', value: '18446744073709551615' });
    expect(octets.labels).toEqual([
      { name: 'device', value: 'r"1' }, { name: 'address', value: '192.0.2.1' }, { name: 'site', value: 'hq' }, { name: 'group', value: '' },
      { name: 'ifIndex', value: '1' }, { name: 'ifName', value: 'eth0' }, { name: 'ifDescr', value: '' }, { name: 'ifAlias', value: 'up\nlink' },
    ]);
    expect(all.find((s) => s.name === 'netwatch_device_state')!.labels.at(-1)).toEqual({ name: 'state', value: 'up' });
  });
});
