import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { SnmpClient } from '../../../server/collectors/snmp/snmp.client.js';
import { collectDevice } from '../../../server/collectors/snmp/snmp.collect.js';

describe('SNMP over IPv6 loopback', () => {
  let agent: SnmpdHandle;
  let client: SnmpClient;
  beforeAll(async () => {
    agent = await startSnmpd({ address: '::1', sysName: 'nw-v6' });
    client = new SnmpClient({ socketsPerFamily: 1 });
  });
  afterAll(async () => {
    client?.close();
    await agent?.stop();
  });

  it('polls an agent at ::1 written in full form, over the shared udp6 socket', async () => {
    const r = await collectDevice(client, { address: '0:0:0:0:0:0:0:1', snmp: { version: '2c', port: agent.port, community: agent.community, timeoutMs: 2000, retries: 1 } });
    expect(r.error).toBeNull();
    expect(r.system!.sysName).toBe('nw-v6');
    expect(client.transport.stats.stray).toBe(0);
  });
});
