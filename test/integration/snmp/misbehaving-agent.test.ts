import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { startQuirkyAgent } from './quirky-agent.js';
import { SnmpClient } from '../../../server/collectors/snmp/snmp.client.js';
import { collectDevice } from '../../../server/collectors/snmp/snmp.collect.js';

const GET = 0xa0;
const GETNEXT = 0xa1;
const GETBULK = 0xa5;

describe('agents that answer tooBig or genErr', () => {
  let agent: SnmpdHandle;
  let client: SnmpClient;
  beforeAll(async () => {
    agent = await startSnmpd({ sysName: 'nw-quirky' });
    client = new SnmpClient({ socketsPerFamily: 1 });
  });
  afterAll(async () => {
    client?.close();
    await agent?.stop();
  });
  const settings = (port: number) => ({ version: '2c' as const, port, community: agent.community, timeoutMs: 2000, retries: 1 });

  it('shrinks max-repetitions on tooBig and still walks everything', async () => {
    const quirky = await startQuirkyAgent(agent, (r) => (r.pduType === GETBULK && r.maxRepetitions! * r.varbinds > 8 ? 'tooBig' : 'forward'));
    try {
      const direct = await (await client.open({ address: '127.0.0.1', snmp: settings(agent.port) })).walk('1.3.6.1.2.1.2.2.1');
      const s = await client.open({ address: '127.0.0.1', snmp: settings(quirky.port) });
      const walked = await s.walk('1.3.6.1.2.1.2.2.1');
      expect(walked.map((v) => v.oid)).toEqual(direct.map((v) => v.oid));
      expect(s.maxRepetitions).toBeLessThanOrEqual(8);
      expect(s.bulkBroken).toBe(false);
      expect(quirky.seen.some((r) => r.pduType === GETBULK && r.maxRepetitions! > 8)).toBe(true);
      // A full poll works through the same agent; column walks split until one row fits.
      const r = await collectDevice(client, { address: '127.0.0.1', snmp: settings(quirky.port) });
      expect(r.errors).toEqual({});
      expect(r.interfaces!.find((i) => i.name === 'lo')!.counters.inOctets).toBeDefined();
    } finally {
      await quirky.close();
    }
  });

  it('splits a GET whose answer is too big', async () => {
    const quirky = await startQuirkyAgent(agent, (r) => (r.pduType === GET && r.varbinds > 2 ? 'tooBig' : 'forward'));
    try {
      const s = await client.open({ address: '127.0.0.1', snmp: settings(quirky.port) });
      const oids = ['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.4.0', '1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.6.0'];
      const vbs = await s.get(oids);
      expect(vbs.map((v) => v.oid)).toEqual(oids);
      expect(String(vbs[3]!.value)).toBe('nw-quirky');
    } finally {
      await quirky.close();
    }
  });

  it('falls back to GETNEXT when GETBULK gets genErr', async () => {
    const quirky = await startQuirkyAgent(agent, (r) => (r.pduType === GETBULK ? 'genErr' : 'forward'));
    try {
      const r = await collectDevice(client, { address: '127.0.0.1', snmp: settings(quirky.port) });
      expect(r.ok).toBe(true);
      expect(r.errors).toEqual({});
      expect(r.interfaces!.some((i) => i.name === 'lo' && i.hc)).toBe(true);
      expect(quirky.seen.some((x) => x.pduType === GETNEXT)).toBe(true);
    } finally {
      await quirky.close();
    }
  });
});
