import { describe, expect, it } from 'vitest';
import type { PublishOutcome } from '../../../server/bus/spooled-publisher.js';
import type { PollResult } from '../../../server/contracts/poll.js';
import { createLogger } from '../../../server/log/logger.js';
import { snmpMetricsOf } from '../../../server/poller/snmp-metrics.js';
import { PublishedPollOutput, type RemoteStatusItem } from '../../../server/remote/collector-polling.js';
import { checkRemoteStatus } from '../../../server/remote/remote-poll.schema.js';

function bigPoll(d: number): PollResult {
  return {
    address: '192.0.2.1', startedAt: 1, durationMs: 1, ok: true, error: null, system: null, host: null, ucd: null, neighbours: null, custom: null, errors: {}, requests: 1,
    interfaces: Array.from({ length: 48 }, (_, i) => ({
      ifIndex: i + 1, name: `GigabitEthernet1/0/${i + 1}`, descr: `GigabitEthernet1/0/${i + 1} of device ${d}`, alias: `uplink ${i}`, type: 6, mtu: 1500, speedBps: 1e9, mac: null,
      adminStatus: 1, operStatus: 1, lastChangeCs: 1, discontinuityCs: null, hc: true,
      counters: Object.fromEntries(['inOctets', 'outOctets', 'inUcastPkts', 'outUcastPkts', 'inMulticastPkts', 'outMulticastPkts', 'inBroadcastPkts', 'outBroadcastPkts'].map((k) => [k, { value: 2n ** 60n + BigInt(i), bits: 64 }])),
    })),
  };
}

describe("a collector's poll output", () => {
  it('splits status items with raw counters into batches NATS accepts, all of them in order', () => {
    const batches: unknown[][] = [];
    const out = new PublishedPollOutput({
      publish: async (_kind, batch): Promise<PublishOutcome> => {
        batches.push(batch);
        return 'direct';
      },
      events: () => {
        throw new Error('no events here');
      },
      log: createLogger({ level: 'silent', format: 'json' }),
      maxBatchBytes: () => 256 * 1024,
    });
    const update = { snmpState: 'up' as const, at: 1, durationMs: 1, error: null, errorKind: null };
    for (let d = 1; d <= 100; d++) out.snmp(d, update, null, null, snmpMetricsOf(bigPoll(d)));
    out.flush();
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(Buffer.byteLength(JSON.stringify(b))).toBeLessThanOrEqual(256 * 1024);
    const items = batches.flat() as RemoteStatusItem[];
    expect(items.map((i) => i.deviceId)).toEqual(Array.from({ length: 100 }, (_, k) => k + 1));
    expect(out.counters().batches_split).toBe(batches.length - 1);
    // What the centre checks: every item passes, counters exact.
    const checked = checkRemoteStatus(JSON.parse(JSON.stringify(batches[0])) as unknown[]);
    expect(checked.invalid).toBe(0);
    expect((checked.items[0] as { metrics: { interfaces: { counters: { inOctets: { v: string } } }[] } }).metrics.interfaces[0]!.counters.inOctets.v).toBe(String(2n ** 60n));
  });
});

describe("a collector's ICMP cycles", () => {
  const icmpUpdate = { icmpState: 'up' as const, at: 1_800_000_000_000, min: 0.1, avg: 0.2, max: 0.3, jitter: 0.05, lossPct: 25 };
  it('carry every probe RTT to the centre, which accepts them', () => {
    const batches: unknown[][] = [];
    const out = new PublishedPollOutput({
      publish: async (_kind, batch): Promise<PublishOutcome> => {
        batches.push(batch);
        return 'direct';
      },
      events: () => {
        throw new Error('no events here');
      },
      log: createLogger({ level: 'silent', format: 'json' }),
    });
    const rtts = [0.1, null, 0.3, 0.2];
    out.icmp([{ deviceId: 7, update: icmpUpdate, rtts }, { deviceId: 8, update: { ...icmpUpdate, lossPct: 100 }, rtts: [] }]);
    out.flush();
    const checked = checkRemoteStatus(JSON.parse(JSON.stringify(batches.flat())) as unknown[]);
    expect(checked.invalid).toBe(0);
    expect(checked.items).toEqual([
      { kind: 'icmp', deviceId: 7, update: icmpUpdate, rtts },
      // A host that could not be pinged has no probes to carry.
      { kind: 'icmp', deviceId: 8, update: { ...icmpUpdate, lossPct: 100 } },
    ]);
  });

  it('refuses hostile RTT lists item by item', () => {
    const bad = [[-1], ['0.1'], Array(101).fill(0.1), [Number.MAX_VALUE], { 0: 1 }, 'x'];
    for (const rtts of bad) expect(checkRemoteStatus([{ kind: 'icmp', deviceId: 1, update: icmpUpdate, rtts }]).invalid, JSON.stringify(rtts).slice(0, 40)).toBe(1);
    // Infinity and NaN do not survive JSON: they arrive as null, i.e. lost probes.
    expect(checkRemoteStatus([{ kind: 'icmp', deviceId: 1, update: icmpUpdate, rtts: [null, 0.5] }]).invalid).toBe(0);
  });

  it("carries the poll's template report in its status item, and the central checks it strictly", () => {
    const batches: unknown[][] = [];
    const out = new PublishedPollOutput({
      publish: async (_kind, batch): Promise<PublishOutcome> => {
        batches.push(batch);
        return 'direct';
      },
      events: () => {
        throw new Error('no events here');
      },
      log: createLogger({ level: 'silent', format: 'json' }),
    });
    const update = { snmpState: 'up' as const, at: 1, durationMs: 1, error: null, errorKind: null };
    out.templates({ deviceId: 4, applied: ['entity-sensor'], gone: [{ instance: 'CPU temp', metrics: ['sensor.temperature'] }] });
    out.snmp(4, update, null, null, null);
    out.snmp(4, update, null, null, null); // the next poll without a report carries none
    out.flush();
    const items = batches.flat() as RemoteStatusItem[];
    const checked = checkRemoteStatus(items);
    expect(checked.invalid).toBe(0);
    expect(checked.items.map((i) => (i.kind === 'snmp' ? i.templates : null))).toEqual([
      { applied: ['entity-sensor'], gone: [{ instance: 'CPU temp', metrics: ['sensor.temperature'] }] },
      undefined,
    ]);
    // Hostile reports are dropped item by item: extra keys, huge lists, non-strings.
    const base = { kind: 'snmp', deviceId: 4, update, interfaces: null };
    const bad = checkRemoteStatus([
      { ...base, templates: { applied: ['x'], gone: [], __proto__x: 1 } },
      { ...base, templates: { applied: Array.from({ length: 1001 }, (_, i) => `t${i}`), gone: [] } },
      { ...base, templates: { applied: [''], gone: [] } },
      { ...base, templates: { applied: ['x'], gone: [{ instance: 'a', metrics: [7] }] } },
      { ...base, templates: { applied: ['x'], gone: [{ instance: 'a', metrics: ['m'], extra: true }] } },
      JSON.parse('{"kind":"snmp","deviceId":4,"update":{"snmpState":"up","at":1,"durationMs":1,"error":null,"errorKind":null},"interfaces":null,"templates":{"applied":["__proto__"],"gone":[{"instance":"__proto__","metrics":["constructor"]}]}}'),
    ]);
    expect(bad.invalid).toBe(5);
    expect(bad.items).toHaveLength(1); // names are plain strings in arrays: '__proto__' is a template id like another, used only with Maps
  });
});
