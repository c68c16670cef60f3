import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListenerStatus } from '../../../../server/contracts/dto.js';
import { createTrapReceiver, type TrapReceiver } from '../../../../server/collectors/trap/trap.receiver.js';
import { ipv6Available } from '../../../../server/collectors/udp/bind-udp.js';
import { collectingSink, quietLogger, run, until } from '../collector-helpers.js';

const V3 = ['-v', '3', '-u', 'trapuser', '-l', 'authPriv', '-a', 'SHA', '-A', 'authpass123', '-x', 'AES', '-X', 'privpass123'];

describe('trap receiver with net-snmp CLI peers (snmptrap, snmpinform)', () => {
  const got = collectingSink();
  let rx: TrapReceiver;
  let statuses: ListenerStatus[];
  let v6 = false;
  let persist: string;
  let target: string;
  const snmp = (cmd: string, args: string[]) => run(cmd, args, 20_000, { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });

  beforeAll(async () => {
    v6 = await ipv6Available();
    persist = mkdtempSync(join(tmpdir(), 'nw-trap-'));
    rx = createTrapReceiver(
      { port: 0, host: '127.0.0.1', host6: v6 ? '::1' : null, communities: ['public'], engineID: '8000000001aabbccdd',
        users: [{ name: 'trapuser', level: 'authPriv', authProtocol: 'sha', authKey: 'authpass123', privProtocol: 'aes', privKey: 'privpass123' }],
        logger: quietLogger(), resolveDevice: (a) => (a === '127.0.0.1' ? 3 : null), authFailureEventIntervalMs: 0 },
      got.intake,
    );
    statuses = await rx.start();
    target = `127.0.0.1:${statuses.find((s) => s.name === 'trap-udp')!.boundPort}`;
  });
  afterAll(async () => {
    await rx?.stop();
    if (persist) rmSync(persist, { recursive: true, force: true });
  });

  it('listens on a free port with a large receive buffer', () => {
    expect(statuses.find((s) => s.name === 'trap-udp')).toMatchObject({ state: 'listening', protocol: 'udp' });
    expect(rx.counters().recv_buffer_bytes).toBeGreaterThan(200_000);
  });

  it('converts an SNMPv1 enterprise-specific trap per RFC 3584 and takes agent-addr as the source', async () => {
    const r = await snmp('snmptrap', ['-v', '1', '-c', 'public', target, '1.3.6.1.4.1.8072.2.3', '127.0.0.5', '6', '17', '4242', '1.3.6.1.2.1.1.5.0', 's', 'v1 hello']);
    expect(r.code, r.stderr).toBe(0);
    const e = await got.waitFor((x) => x.type === '1.3.6.1.4.1.8072.2.3.0.17', 'v1 trap');
    expect(e).toMatchObject({ source: 'trap', sourceAddress: '127.0.0.5', deviceId: 3, severity: 'info' }); // agent-addr unknown: the UDP sender's device
    expect(e.params).toMatchObject({ version: '1', udpAddress: '127.0.0.1', trapAddress: '127.0.0.5', trapOid: '1.3.6.1.4.1.8072.2.3.0.17' });
    // RFC 3584's snmpTrapCommunity.0 is left out: the community is a credential, never stored.
    expect(e.params.varbinds).toEqual([
      { oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: 4242 },
      { oid: '1.3.6.1.6.3.1.1.4.1.0', type: 'OID', value: '1.3.6.1.4.1.8072.2.3.0.17' },
      { oid: '1.3.6.1.2.1.1.5.0', type: 'OctetString', value: 'v1 hello' },
      { oid: '1.3.6.1.6.3.18.1.3.0', type: 'IpAddress', value: '127.0.0.5' },
      { oid: '1.3.6.1.6.3.1.1.4.3.0', type: 'OID', value: '1.3.6.1.4.1.8072.2.3' },
    ]);
    expect(e.params.community).toBeUndefined();
  });

  it('maps a v1 generic linkDown to 1.3.6.1.6.3.1.1.5.3 with warning severity', async () => {
    await snmp('snmptrap', ['-v', '1', '-c', 'public', target, '1.3.6.1.4.1.9', '127.0.0.1', '2', '0', '', '1.3.6.1.2.1.2.2.1.1.7', 'i', '7']);
    const e = await got.waitFor((x) => x.type === '1.3.6.1.6.3.1.1.5.3' && x.params.version === '1', 'v1 linkDown');
    expect(e).toMatchObject({ severity: 'warning', deviceId: 3, sourceAddress: '127.0.0.1' });
    expect(e.params.trapName).toBe('linkDown');
  });

  it('receives a v2c trap with every varbind type in JSON-safe form', async () => {
    const r = await snmp('snmptrap', ['-v', '2c', '-c', 'public', target, '', '1.3.6.1.6.3.1.1.5.3',
      '1.3.6.1.2.1.2.2.1.1.3', 'i', '3', '1.3.6.1.2.1.31.1.1.1.1.3', 's', 'eth0', '1.3.6.1.2.1.31.1.1.1.6.3', 'C', '18446744073709551615',
      '1.3.6.1.4.1.99.1', 'x', 'DEADBEEF00', '1.3.6.1.4.1.99.2', 'a', '10.1.2.3', '1.3.6.1.4.1.99.3', 'o', '1.3.6.1.2.1.1', '1.3.6.1.4.1.99.4', 'u', '4000000000',
      '1.3.6.1.4.1.99.5', 'c', '99', '1.3.6.1.4.1.99.6', 's', '<script>x</script>']);
    expect(r.code, r.stderr).toBe(0);
    const e = await got.waitFor((x) => x.type === '1.3.6.1.6.3.1.1.5.3' && x.params.version === '2c', 'v2c linkDown');
    expect(e).toMatchObject({ severity: 'warning', sourceAddress: '127.0.0.1', deviceId: 3 });
    const vbs = e.params.varbinds as { oid: string; type: string; value: unknown }[];
    expect(vbs[0]).toMatchObject({ oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks' });
    expect(vbs.slice(1)).toEqual([
      { oid: '1.3.6.1.6.3.1.1.4.1.0', type: 'OID', value: '1.3.6.1.6.3.1.1.5.3' },
      { oid: '1.3.6.1.2.1.2.2.1.1.3', type: 'Integer', value: 3 },
      { oid: '1.3.6.1.2.1.31.1.1.1.1.3', type: 'OctetString', value: 'eth0' },
      { oid: '1.3.6.1.2.1.31.1.1.1.6.3', type: 'Counter64', value: '18446744073709551615' },
      { oid: '1.3.6.1.4.1.99.1', type: 'OctetString', value: 'deadbeef00', encoding: 'hex' },
      { oid: '1.3.6.1.4.1.99.2', type: 'IpAddress', value: '10.1.2.3' },
      { oid: '1.3.6.1.4.1.99.3', type: 'OID', value: '1.3.6.1.2.1.1' },
      { oid: '1.3.6.1.4.1.99.4', type: 'Gauge', value: 4000000000 },
      { oid: '1.3.6.1.4.1.99.5', type: 'Counter', value: 99 },
      { oid: '1.3.6.1.4.1.99.6', type: 'OctetString', value: '<script>x</script>' },
    ]);
    expect(JSON.parse(JSON.stringify(e))).toEqual(e);
  });

  it('honours snmpTrapAddress.0 as the real source', async () => {
    await snmp('snmptrap', ['-v', '2c', '-c', 'public', target, '', '1.3.6.1.4.1.99.0.1', '1.3.6.1.6.3.18.1.3.0', 'a', '192.0.2.77']);
    const e = await got.waitFor((x) => x.type === '1.3.6.1.4.1.99.0.1', 'relayed trap');
    expect(e.sourceAddress).toBe('192.0.2.77');
    expect(e.params).toMatchObject({ udpAddress: '127.0.0.1', trapAddress: '192.0.2.77' });
    expect(e.deviceId).toBe(3); // unknown relayed address: falls back to the UDP sender's device
  });

  it('receives a v3 authPriv (SHA/AES) trap', async () => {
    const r = await snmp('snmptrap', [...V3, '-e', '0x8000000001020304', target, '', '1.3.6.1.6.3.1.1.5.1', '1.3.6.1.2.1.1.5.0', 's', 'v3 box']);
    expect(r.code, r.stderr).toBe(0);
    const e = await got.waitFor((x) => x.type === '1.3.6.1.6.3.1.1.5.1' && x.params.version === '3', 'v3 coldStart');
    expect(e).toMatchObject({ severity: 'warning' });
    expect(e.params).toMatchObject({ user: 'trapuser', trapName: 'coldStart' });
    expect((e.params.varbinds as { value: unknown }[]).some((v) => v.value === 'v3 box')).toBe(true);
  });

  it('acknowledges INFORMs: snmpinform v2c and v3 authPriv exit 0', async () => {
    const a = await snmp('snmpinform', ['-v', '2c', '-c', 'public', '-t', '3', '-r', '2', target, '', '1.3.6.1.4.1.99.0.2', '1.3.6.1.4.1.99.7', 'i', '5']);
    expect(a.code, a.stderr).toBe(0);
    const b = await snmp('snmpinform', [...V3, '-t', '3', '-r', '2', target, '', '1.3.6.1.4.1.99.0.3']);
    expect(b.code, b.stderr).toBe(0);
    expect((await got.waitFor((x) => x.type === '1.3.6.1.4.1.99.0.2', 'v2c inform')).params).toMatchObject({ pduType: 'inform', version: '2c' });
    expect((await got.waitFor((x) => x.type === '1.3.6.1.4.1.99.0.3', 'v3 inform')).params).toMatchObject({ pduType: 'inform', version: '3', user: 'trapuser' });
    expect(rx.counters().informs).toBeGreaterThanOrEqual(2);
  });

  it('counts a wrong community and a wrong v3 password as auth failures and emits events', async () => {
    const before = rx.counters().auth_failures;
    await snmp('snmptrap', ['-v', '2c', '-c', 'wrongcommunity', target, '', '1.3.6.1.4.1.99.0.9']);
    await snmp('snmptrap', ['-v', '3', '-u', 'trapuser', '-l', 'authPriv', '-a', 'SHA', '-A', 'wrongpass123', '-x', 'AES', '-X', 'privpass123', '-e', '0x8000000001020305', target, '', '1.3.6.1.4.1.99.0.9']);
    await snmp('snmptrap', ['-v', '3', '-u', 'nosuchuser', '-l', 'authNoPriv', '-a', 'SHA', '-A', 'whatever123', '-e', '0x8000000001020306', target, '', '1.3.6.1.4.1.99.0.9']);
    await until(() => rx.counters().auth_failures - before >= 3, 'three auth failures');
    const fails = got.events.filter((x) => x.type === 'snmp.authenticationFailure');
    expect(fails.length).toBeGreaterThanOrEqual(3);
    expect(fails[0]).toMatchObject({ source: 'trap', severity: 'warning', sourceAddress: '127.0.0.1', deviceId: 3 });
    expect(fails.map((f) => f.params.reason)).toEqual(expect.arrayContaining(['unknown community', 'unknown user']));
    expect(JSON.stringify(fails)).not.toContain('wrongcommunity');
    expect(got.events.some((x) => x.type === '1.3.6.1.4.1.99.0.9')).toBe(false);
  });

  it('counts an INFORM from an unknown v3 user (answered with a USM report) as an auth failure', async () => {
    const before = rx.counters().auth_failures;
    const r = await snmp('snmpinform', ['-v', '3', '-u', 'ghost', '-l', 'authNoPriv', '-a', 'SHA', '-A', 'ghostpass123', '-t', '2', '-r', '0', target, '', '1.3.6.1.4.1.99.0.8']);
    expect(r.code).not.toBe(0);
    await until(() => rx.counters().auth_failures > before, 'auth failure from report');
    const e = got.events.filter((x) => x.type === 'snmp.authenticationFailure').at(-1)!;
    expect(e.params).toMatchObject({ reason: 'unknown user', udpAddress: '127.0.0.1' });
    expect(got.events.some((x) => x.type === '1.3.6.1.4.1.99.0.8')).toBe(false);
  });

  it('accepts a user added at runtime', async () => {
    rx.setUsers([
      { name: 'trapuser', level: 'authPriv', authProtocol: 'sha', authKey: 'authpass123', privProtocol: 'aes', privKey: 'privpass123' },
      { name: 'late', level: 'authNoPriv', authProtocol: 'sha256', authKey: 'lateauth123' },
    ]);
    const r = await snmp('snmptrap', ['-v', '3', '-u', 'late', '-l', 'authNoPriv', '-a', 'SHA-256', '-A', 'lateauth123', '-e', '0x8000000001020307', target, '', '1.3.6.1.4.1.99.0.4']);
    expect(r.code, r.stderr).toBe(0);
    expect((await got.waitFor((x) => x.type === '1.3.6.1.4.1.99.0.4', 'trap from runtime user')).params.user).toBe('late');
  });

  it('counts garbage and truncated datagrams, stays up, and takes the next trap', async () => {
    const before = rx.counters();
    const s = dgram.createSocket('udp4');
    const port = Number(target.split(':')[1]);
    const send = (b: Buffer) => new Promise<void>((res, rej) => s.send(b, port, '127.0.0.1', (e) => (e ? rej(e) : res())));
    await send(Buffer.from('definitely not BER'));
    await send(Buffer.from([0x30, 0x82, 0xff, 0xff, 0x02, 0x01]));
    await send(Buffer.alloc(0));
    s.close();
    await snmp('snmptrap', ['-v', '2c', '-c', 'public', target, '', '1.3.6.1.4.1.99.0.5']);
    await got.waitFor((x) => x.type === '1.3.6.1.4.1.99.0.5', 'trap after garbage');
    const after = rx.counters();
    expect(after.parse_errors - before.parse_errors).toBe(3);
    expect(after.received - before.received).toBe(4);
  });

  it('receives over IPv6 when the host has it', async () => {
    if (!v6) return expect(statuses.some((s) => s.name === 'trap-udp6')).toBe(false);
    const p6 = statuses.find((s) => s.name === 'trap-udp6')!.boundPort;
    const r = await snmp('snmptrap', ['-v', '2c', '-c', 'public', `udp6:[::1]:${p6}`, '', '1.3.6.1.4.1.99.0.6']);
    expect(r.code, r.stderr).toBe(0);
    expect((await got.waitFor((x) => x.type === '1.3.6.1.4.1.99.0.6', 'ipv6 trap')).sourceAddress).toBe('::1');
  });
});
