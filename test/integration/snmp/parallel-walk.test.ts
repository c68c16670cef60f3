import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { startFleet } from './sim-fleet.js';
import { SnmpClient } from '../../../server/collectors/snmp/snmp.client.js';
import { walkParallel } from '../../../server/collectors/snmp/snmp.parallel-walk.js';
import { oidCompare } from '../../../server/collectors/snmp/snmp.values.js';

const oids = (vbs: { oid: string }[]) => vbs.map((v) => v.oid);

describe('parallel walk with work stealing', () => {
  let agent: SnmpdHandle;
  let client: SnmpClient;
  beforeAll(async () => {
    agent = await startSnmpd({ sysName: 'nw-parallel' });
    client = new SnmpClient({ maxRepetitions: 10, bulkBudget: 10, socketsPerFamily: 1 });
  });
  afterAll(async () => {
    client?.close();
    await agent?.stop();
  });

  it('returns exactly what a sequential walk returns, in OID order, for stable subtrees of snmpd', async () => {
    const s = await client.open({ address: agent.address, snmp: { version: '2c', port: agent.port, community: agent.community, timeoutMs: 2000, retries: 1 } });
    for (const root of ['1.3.6.1.2.1.2', '1.3.6.1.2.1.31', '1.3.6.1.6.3', '1.3.6.1.2.1.1']) {
      const seq = oids(await s.walk(root));
      for (const streams of [2, 4, 8]) {
        const par = oids(await walkParallel(s, root, streams));
        expect(par, `${root} x${streams}`).toEqual(seq);
      }
    }
  });

  it('gives the same walk on an agent that mishandles synthetic start OIDs (net-snmp restarts from 1.3.6.1): falls back', async () => {
    const fleet = await startFleet([{ sysName: 'par-1', ports: 24, bytesPerSec: 1000, hc: true }], 79);
    try {
      const s = await client.open({ address: fleet.agents[0]!.spec.address, snmp: { version: '2c', port: fleet.port, community: 'public', timeoutMs: 2000, retries: 1 } });
      const seq = oids(await s.walk('1.3.6.1'));
      const par = oids(await walkParallel(s, '1.3.6.1', 4));
      expect(seq.length).toBeGreaterThan(24 * 12);
      expect(par).toEqual(seq);
      for (let i = 1; i < par.length; i++) expect(oidCompare(par[i - 1]!, par[i]!)).toBeLessThan(0);
    } finally {
      await fleet.close();
    }
  });

  it('falls back to a plain GETNEXT walk over SNMPv1', async () => {
    const s = await client.open({ address: agent.address, snmp: { version: '1', port: agent.port, community: agent.community, timeoutMs: 2000, retries: 1 } });
    expect(oids(await walkParallel(s, '1.3.6.1.2.1.2.2.1.2', 4))).toEqual(oids(await s.walk('1.3.6.1.2.1.2.2.1.2')));
  });
});
