import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { SnmpClient, type SnmpSettings } from '../../../server/collectors/snmp/snmp.client.js';
import { collectDevice } from '../../../server/collectors/snmp/snmp.collect.js';

describe('SNMP collection against Debian snmpd', () => {
  let agent: SnmpdHandle;
  let client: SnmpClient;
  let v2c: SnmpSettings;
  let v3: SnmpSettings;

  beforeAll(async () => {
    agent = await startSnmpd({ sysName: 'nw-collect-test', sysLocation: 'Rack 7' });
    client = new SnmpClient({ socketsPerFamily: 1 });
    v2c = { version: '2c', port: agent.port, community: agent.community, timeoutMs: 2000, retries: 1 };
    v3 = {
      version: '3',
      port: agent.port,
      username: agent.v3.username,
      authProtocol: 'sha',
      authKey: agent.v3.authKey,
      privProtocol: 'aes',
      privKey: agent.v3.privKey,
      timeoutMs: 2000,
      retries: 1,
    };
  });
  afterAll(async () => {
    client?.close();
    await agent?.stop();
  });

  it('collects the system group, interfaces with 64-bit counters, host resources and UCD stats over v2c', async () => {
    const r = await collectDevice(client, { address: agent.address, snmp: v2c }, { customOids: ['1.3.6.1.2.1.1.7.0'] });
    expect(r.ok).toBe(true);
    expect(r.error).toBeNull();
    expect(r.errors).toEqual({});
    expect(r.system).toMatchObject({ sysName: 'nw-collect-test', sysLocation: 'Rack 7', enterprise: 8072, vendor: 'net-snmp' });
    expect(r.system!.sysUpTimeCs).toBeGreaterThanOrEqual(0);
    const lo = r.interfaces!.find((i) => i.name === 'lo');
    expect(lo).toBeDefined();
    expect(lo!.type).toBe(24);
    expect(lo!.operStatus).toBe(1);
    expect(lo!.hc).toBe(true);
    expect(lo!.counters.inOctets!.bits).toBe(64);
    expect(typeof lo!.counters.inOctets!.value).toBe('bigint');
    expect(lo!.counters.inErrors!.bits).toBe(32);
    expect(r.host!.storage.some((s) => s.kind === 'ram' && s.sizeBytes > 0)).toBe(true);
    expect(r.ucd!.memTotalRealKb).toBeGreaterThan(0);
    expect(r.ucd!.load1).not.toBeNull();
    expect(r.custom).toEqual([{ oid: '1.3.6.1.2.1.1.7.0', value: 72 }]);
    expect(r.requests).toBeLessThan(20);
  });

  it('walks with GETNEXT over v1 and reports 32-bit counters', async () => {
    const r = await collectDevice(client, { address: agent.address, snmp: { ...v2c, version: '1' } });
    expect(r.ok).toBe(true);
    expect(r.system!.sysName).toBe('nw-collect-test');
    const lo = r.interfaces!.find((i) => i.name === 'lo')!;
    expect(lo.hc).toBe(false);
    expect(lo.counters.inOctets!.bits).toBe(32);
    expect(r.ucd).not.toBeNull();
  });

  it('polls over v3 authPriv SHA/AES', async () => {
    const r = await collectDevice(client, { address: agent.address, snmp: v3 });
    expect(r.error).toBeNull();
    expect(r.system!.sysName).toBe('nw-collect-test');
    expect(r.interfaces!.length).toBeGreaterThan(0);
  });

  it('reports a wrong community as a timeout, not a crash', async () => {
    const r = await collectDevice(client, { address: agent.address, snmp: { ...v2c, community: 'wrong', timeoutMs: 300, retries: 0 } });
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ kind: 'timeout' });
    expect(r.errors.system?.kind).toBe('timeout');
    expect(r.interfaces).toBeNull();
  });

  it('reports a wrong v3 auth key, a wrong priv key and an unknown user as authFailure', async () => {
    const cases: Partial<SnmpSettings>[] = [{ authKey: 'not-the-key-1' }, { privKey: 'not-the-key-2' }, { username: 'nosuchuser' }];
    for (const change of cases) {
      // Generous: engine discovery must answer within one timeout for a wrong priv key to be told apart from silence.
      const r = await collectDevice(client, { address: agent.address, snmp: { ...v3, ...change, timeoutMs: 1500, retries: 0 } });
      expect(r.ok, JSON.stringify(change)).toBe(false);
      expect(r.error?.kind, JSON.stringify(change)).toBe('authFailure');
    }
    // The good credentials still work afterwards on the same client.
    const ok = await collectDevice(client, { address: agent.address, snmp: v3 });
    expect(ok.ok).toBe(true);
  });

  it('treats a loopback address with no agent as a timeout', async () => {
    const r = await collectDevice(client, { address: '127.0.0.1', snmp: { ...v2c, port: 9, timeoutMs: 200, retries: 1 } });
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe('timeout');
  });
});
