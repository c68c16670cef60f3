import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../server/contracts/events.js';
import { SecretBox } from '../../../server/store/secret-box.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { run } from '../collectors/collector-helpers.js';

/**
 * A stored secret that stops decrypting while the server runs (the start-up
 * check refuses a wrong key, so only a value altered underneath it can) is
 * reported and withheld: nothing goes to the device, a trap user does not
 * become a user without keys, a channel sends nothing.
 */
let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let persist: string;

/** A well-formed envelope under the server's key id that does not open with its key. */
const forged = () => new SecretBox([{ kid: srv.nms.secrets.kid, key: randomBytes(32) }], srv.nms.secrets.kid).seal('public');

beforeAll(async () => {
  persist = mkdtempSync(join(tmpdir(), 'nw-unreadable-'));
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
}, 60_000);
afterAll(async () => {
  await srv?.stop();
  rmSync(persist, { recursive: true, force: true });
});

describe('a stored secret that cannot be decrypted', { timeout: 60_000 }, () => {
  it('is never sent to the device: the poll fails with the reason and no datagram leaves', async () => {
    const device = dgram.createSocket('udp4');
    const datagrams: Buffer[] = [];
    device.on('message', (m) => datagrams.push(m));
    await new Promise<void>((r) => device.bind(0, '127.0.0.1', r));
    try {
      const d = await call('POST', '/devices', { name: 'tampered', address: '127.0.0.1', icmpEnabled: false, snmp: { version: '2c', community: 'readable-community', port: device.address().port, timeoutMs: 300, retries: 0 } });
      expect(d.status).toBe(201);
      // Control: with a readable community the poll does reach the "device".
      await call('POST', `/devices/${d.body.id}/poll`);
      expect(datagrams.length).toBeGreaterThan(0);
      expect(Buffer.concat(datagrams).includes('readable-community')).toBe(true);

      datagrams.length = 0;
      srv.nms.db.prepare('UPDATE device_snmp SET community = ? WHERE device_id = ?').run(forged(), d.body.id);
      const before = srv.nms.metrics.snapshot()['secrets.unreadable_values'] ?? 0;
      const r = await call('POST', `/devices/${d.body.id}/poll`);
      expect(r.status).toBe(200);
      expect(r.body.status).toMatchObject({ snmpState: 'down', lastError: 'stored SNMP community cannot be decrypted: enter it again' });
      await new Promise((res) => setTimeout(res, 300));
      expect(datagrams).toEqual([]);
      expect(srv.nms.metrics.snapshot()['secrets.unreadable_values']).toBeGreaterThan(before);
      // The MIB browser refuses too, and the device is still listed.
      const browse = await call('POST', `/devices/${d.body.id}/snmp`, { op: 'get', oid: '1.3.6.1.2.1.1.5.0' });
      expect(browse.status).toBe(400);
      expect(browse.body.error.message).toContain('cannot be decrypted');
      expect((await call('GET', '/devices')).body.items.map((x: { name: string }) => x.name)).toContain('tampered');
      expect(datagrams).toEqual([]);
    } finally {
      device.close();
    }
  });

  it('drops a trap user from the receiver instead of accepting it without keys', async () => {
    const created = await call('POST', '/trap-users', { username: 'tampered', authProtocol: 'sha', authKey: 'tamper-auth-1', privProtocol: 'aes', privKey: 'tamper-priv-1' });
    expect(created.status).toBe(201);
    srv.nms.db.prepare('UPDATE trap_users SET auth_key = ?, priv_key = ? WHERE id = ?').run(forged(), forged(), created.body.id);
    // Any change reloads the receiver's users from the store.
    expect((await call('POST', '/trap-users', { username: 'other', authKey: 'other-auth-1' })).status).toBe(201);
    const listed = (await call('GET', '/trap-users')).body.items.find((u: { username: string }) => u.username === 'tampered');
    expect(listed).toMatchObject({ level: 'authPriv', authKeySet: true, privKeySet: true });

    const port = (await call('GET', '/health')).body.ports.trap as number;
    const env = { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist };
    await run('snmptrap', ['-v', '3', '-u', 'tampered', '-l', 'noAuthNoPriv', '-e', '0x80001f8804746d7031', `127.0.0.1:${port}`, '', '1.3.6.1.4.1.99.8.1'], 20_000, env);
    await run('snmptrap', ['-v', '3', '-u', 'tampered', '-l', 'authPriv', '-a', 'SHA', '-A', 'tamper-auth-1', '-x', 'AES', '-X', 'tamper-priv-1', '-e', '0x80001f8804746d7032', `127.0.0.1:${port}`, '', '1.3.6.1.4.1.99.8.2'], 20_000, env);
    // Control: a readable user still gets through, after the two above.
    const ok = await run('snmptrap', ['-v', '3', '-u', 'other', '-l', 'authNoPriv', '-a', 'SHA', '-A', 'other-auth-1', '-e', '0x80001f8804746d7033', `127.0.0.1:${port}`, '', '1.3.6.1.4.1.99.8.3'], 20_000, env);
    expect(ok.code, ok.stderr).toBe(0);
    let events: StoredEvent[] = [];
    for (let i = 0; i < 200 && !events.some((e) => e.type === '1.3.6.1.4.1.99.8.3'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      events = (await call('GET', '/events?source=trap&limit=200')).body.items;
    }
    expect(events.map((e) => e.type)).toContain('1.3.6.1.4.1.99.8.3');
    expect(events.map((e) => e.type)).not.toContain('1.3.6.1.4.1.99.8.1');
    expect(events.map((e) => e.type)).not.toContain('1.3.6.1.4.1.99.8.2');
  });

  it('makes a channel send nothing and say why, and an edit entering the settings again repairs it', async () => {
    const hits: string[] = [];
    const hook: Server = createServer((req, res) => {
      hits.push(req.url ?? '');
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/h`;
    try {
      const ch = (await call('POST', '/notification-channels', { name: 'tampered-hook', type: 'webhook', config: { url, headers: { 'X-Token': 'tok-1' } } })).body;
      srv.nms.db.prepare('UPDATE notification_channels SET config = ? WHERE id = ?').run(forged(), ch.id);
      const t = await call('POST', `/notification-channels/${ch.id}/test`);
      expect(t.body).toEqual({ ok: false, error: 'the stored settings of channel "tampered-hook" cannot be decrypted: enter them again' });
      expect(hits).toEqual([]);
      const listed = (await call('GET', `/notification-channels/${ch.id}`)).body;
      expect(listed).toMatchObject({ config: {}, lastError: expect.stringContaining('cannot be decrypted') });

      const fixed = await call('PATCH', `/notification-channels/${ch.id}`, { config: { url, headers: { 'X-Token': 'tok-2' } } });
      expect(fixed.status, fixed.text).toBe(200);
      expect((await call('POST', `/notification-channels/${ch.id}/test`)).body).toEqual({ ok: true });
      expect(hits).toEqual(['/h']);
    } finally {
      await new Promise<void>((r) => hook.close(() => r()));
    }
  });
});
