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
