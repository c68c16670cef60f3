import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../../server/contracts/events.js';
import { apiClient, login, startTestServer, type TestServer } from '../../../helpers/server.js';
import { run } from '../collector-helpers.js';

/** The real server (app.ts wiring) with the net-snmp CLI as the trap sender. */
describe('traps through the real server', () => {
  let srv: TestServer;
  let call: ReturnType<typeof apiClient>;
  let target: string;
  let persist: string;
  const snmp = (cmd: string, args: string[]) => run(cmd, args, 20_000, { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });

  async function waitForEvent(pred: (e: StoredEvent) => boolean, what: string, ms = 20_000): Promise<StoredEvent> {
    const t0 = Date.now();
    for (;;) {
      const r = await call('GET', '/events?source=trap&limit=200');
      const hit = (r.body?.items as StoredEvent[] | undefined)?.find(pred);
      if (hit) return hit;
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}: ${r.text.slice(0, 500)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  beforeAll(async () => {
    persist = mkdtempSync(join(tmpdir(), 'nw-trapsrv-'));
    srv = await startTestServer();
    call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
    const health = await call('GET', '/health');
    expect(health.body.ports.trap).toBeGreaterThan(0);
    target = `127.0.0.1:${health.body.ports.trap}`;
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
    if (persist) rmSync(persist, { recursive: true, force: true });
  });

  it('lists the trap listeners with the port actually bound', () => {
    const trap = srv.nms.listeners().filter((l) => l.name.startsWith('trap'));
    expect(trap[0]).toMatchObject({ name: 'trap-udp', protocol: 'udp', state: 'listening' });
  });

  it('stores a v2c linkDown from snmptrap with its trap OID and varbinds, readable from the events API', async () => {
    const r = await snmp('snmptrap', ['-v', '2c', '-c', 'public', target, '', '1.3.6.1.6.3.1.1.5.3',
      '1.3.6.1.2.1.2.2.1.1.3', 'i', '3', '1.3.6.1.2.1.2.2.1.2.3', 's', 'eth3 uplink']);
    expect(r.code, r.stderr).toBe(0);
    const e = await waitForEvent((x) => x.type === '1.3.6.1.6.3.1.1.5.3', 'linkDown event');
    expect(e).toMatchObject({ source: 'trap', sourceAddress: '127.0.0.1' }); // severity: the rule engine's (linkDown rule)
    expect(e.params).toMatchObject({ version: '2c', trapOid: '1.3.6.1.6.3.1.1.5.3' });
    expect((e.params.varbinds as unknown[]).slice(1)).toEqual([
      { oid: '1.3.6.1.6.3.1.1.4.1.0', type: 'OID', value: '1.3.6.1.6.3.1.1.5.3' },
      { oid: '1.3.6.1.2.1.2.2.1.1.3', type: 'Integer', value: 3 },
      { oid: '1.3.6.1.2.1.2.2.1.2.3', type: 'OctetString', value: 'eth3 uplink' },
    ]);
  });

  it('acknowledges a v2c INFORM (snmpinform exits 0) and stores it', async () => {
    const r = await snmp('snmpinform', ['-v', '2c', '-c', 'public', '-t', '3', '-r', '2', target, '', '1.3.6.1.4.1.99.0.21', '1.3.6.1.4.1.99.7', 'i', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect((await waitForEvent((x) => x.type === '1.3.6.1.4.1.99.0.21', 'inform')).params).toMatchObject({ pduType: 'inform' });
  });

  it('accepts a v3 user added through /api/v1/trap-users without a restart, and stops accepting it once deleted', async () => {
    const v3 = (tag: string) => snmp('snmptrap', ['-v', '3', '-u', 'live', '-l', 'authPriv', '-a', 'SHA-256', '-A', 'liveauth123', '-x', 'AES', '-X', 'livepriv123',
      '-e', '0x80001f8804746573743031', target, '', `1.3.6.1.4.1.99.0.${tag}`]);
    const counters = () => srv.nms.metrics.snapshot();

    // Unknown user first: counted and turned into an auth-failure event, not a trap.
    const before = counters()['trap.auth_failures'] ?? 0;
    await v3('31');
    await waitForEvent((x) => x.type === 'snmp.authenticationFailure', 'auth failure event for the unknown user');
    expect(counters()['trap.auth_failures']).toBeGreaterThan(before);

    const created = await call('POST', '/trap-users', { username: 'live', authProtocol: 'sha256', authKey: 'liveauth123', privProtocol: 'aes', privKey: 'livepriv123' });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ username: 'live', level: 'authPriv', authProtocol: 'sha256', authKeySet: true, privProtocol: 'aes', privKeySet: true });
    const listed = await call('GET', '/trap-users');
    expect(listed.body.items).toHaveLength(1);
    expect(created.text + listed.text).not.toMatch(/liveauth123|livepriv123/);
    expect((await call('POST', '/trap-users', { username: 'live', authKey: 'otherauth123' })).status).toBe(409);
    expect((await call('POST', '/trap-users', { username: 'weak', authKey: 'short' })).status).toBe(400);
    expect((await call('POST', '/trap-users', { username: 'privonly', privKey: 'privonly123' })).status).toBe(400);

    const r = await v3('32');
    expect(r.code, r.stderr).toBe(0);
    const e = await waitForEvent((x) => x.type === '1.3.6.1.4.1.99.0.32', 'trap from the user added at runtime');
    expect(e.params).toMatchObject({ version: '3', user: 'live' });
    // A v3 INFORM: snmpinform discovers our (stored) engine ID, the receiver is authoritative and acknowledges.
    expect(listed.body.engineId).toMatch(/^80001f8805[0-9a-f]{16}$/);
    const inform = await snmp('snmpinform', ['-v', '3', '-u', 'live', '-l', 'authPriv', '-a', 'SHA-256', '-A', 'liveauth123', '-x', 'AES', '-X', 'livepriv123',
      '-t', '3', '-r', '2', target, '', '1.3.6.1.4.1.99.0.34']);
    expect(inform.code, inform.stderr).toBe(0);
    expect((await waitForEvent((x) => x.type === '1.3.6.1.4.1.99.0.34', 'v3 inform')).params).toMatchObject({ pduType: 'inform', version: '3', user: 'live' });

    expect((await call('DELETE', `/trap-users/${created.body.id}`)).status).toBe(204);
    expect((await call('DELETE', `/trap-users/${created.body.id}`)).status).toBe(404);
    const failures = counters()['trap.auth_failures']!;
    await v3('33');
    const t0 = Date.now();
    while (counters()['trap.auth_failures'] === failures && Date.now() - t0 < 20_000) await new Promise((res) => setTimeout(res, 50));
    expect(counters()['trap.auth_failures']).toBeGreaterThan(failures);
    expect((await call('GET', '/events?source=trap&limit=200')).body.items.some((x: StoredEvent) => x.type === '1.3.6.1.4.1.99.0.33')).toBe(false);
  });

  it('keeps trap users admin-only', async () => {
    expect((await apiClient(srv.url)('GET', '/trap-users')).status).toBe(401);
  });
});
