import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../server/contracts/events.js';
import { storePaths } from '../../../server/store/open-store.js';
import { readKeyFile } from '../../../server/store/secret-key-file.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { run } from '../collectors/collector-helpers.js';
import { leakedInto, mode } from '../store/store-helpers.js';

/**
 * Secrets given through the real API are encrypted at rest (the raw database,
 * WAL and SHM bytes hold none of them) and still work against real peers:
 * Debian's snmpd polled with the community and v3 keys, `snmptrap` v3 from a
 * trap user, a webhook receiving its headers and signature, a Slack URL and an
 * SMTP login; then the same after a key rotation with the real CLI.
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const S = {
  community: 's3cret-community',
  snmpAuth: 'snmpd-auth-pass-1',
  snmpPriv: 'snmpd-priv-pass-2',
  trapAuth: 'trap-auth-pass-99',
  trapPriv: 'trap-priv-pass-77',
  webhookSecret: 'hmac-secret-abcdef',
  authHeader: 'Bearer header-token-0042',
  apiKeyHeader: 'api-key-value-777',
  slackPath: '/services/T000/B000/slack-token-xyz',
  smtpPassword: 'smtp-password-31337',
};
const SECRETS = Object.values(S);

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
}

let agent: SnmpdHandle;
let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let http: Server;
let httpUrl: string;
const received: Received[] = [];
let smtp: SMTPServer;
let smtpPort: number;
const mails: { user: string; data: string }[] = [];
let persist: string;
const ids = { v2: 0, v3: 0, hook: 0, slack: 0, mail: 0 };

async function connect(): Promise<void> {
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
}

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

/** `snmptrap` v3 authPriv as the stored trap user, to the server's trap port. */
async function sendV3Trap(tag: string): Promise<void> {
  const port = (await call('GET', '/health')).body.ports.trap as number;
  const r = await run('snmptrap', ['-v', '3', '-u', 'sectrap', '-l', 'authPriv', '-a', 'SHA', '-A', S.trapAuth, '-x', 'AES', '-X', S.trapPriv,
    '-e', '0x80001f8804736563726574', `127.0.0.1:${port}`, '', `1.3.6.1.4.1.99.7.${tag}`], 20_000, { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });
  expect(r.code, r.stderr).toBe(0);
  const e = await waitForEvent((x) => x.type === `1.3.6.1.4.1.99.7.${tag}`, `v3 trap ${tag}`);
  expect(e.params).toMatchObject({ version: '3', user: 'sectrap' });
}

async function pollUp(id: number): Promise<void> {
  const r = await call('POST', `/devices/${id}/poll`);
  expect(r.status, r.text).toBe(200);
  expect(r.body.status, JSON.stringify(r.body.status)).toMatchObject({ snmpState: 'up', lastError: null, system: { sysName: 'secret-agent' } });
}

/** Fires the channel's test notification and returns what the peer received. */
async function testWebhook(): Promise<Received> {
  const before = received.length;
  expect((await call('POST', `/notification-channels/${ids.hook}/test`)).body).toEqual({ ok: true });
  const got = received.slice(before).find((r) => r.path === '/hook')!;
  expect(got.headers['x-netwatch-signature']).toBe(`sha256=${createHmac('sha256', S.webhookSecret).update(got.raw).digest('hex')}`);
  return got;
}

/** The rotation CLI as an operator runs it, against the server's data dir. */
function rotate(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'server/cli/rotate-secret-key.ts'), '--data-dir', srv.dataDir], { cwd: ROOT, timeout: 30_000, env: { PATH: process.env.PATH ?? '' } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` })),
  );
}

beforeAll(async () => {
  persist = mkdtempSync(join(tmpdir(), 'nw-sec-trap-'));
  agent = await startSnmpd({ community: S.community, v3User: 'secuser', authPass: S.snmpAuth, privPass: S.snmpPriv, sysName: 'secret-agent' });
  http = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, raw });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  smtp = new SMTPServer({
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'nw' && auth.password === S.smtpPassword) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      let data = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (data += c));
      stream.on('end', () => {
        mails.push({ user: String(session.user), data });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  srv = await startTestServer();
  await connect();
}, 120_000);

afterAll(async () => {
  await srv?.stop();
  await agent?.stop();
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  if (persist) rmSync(persist, { recursive: true, force: true });
});

describe('secrets at rest through the real server', { timeout: 120_000 }, () => {
  it('stores every secret given through the API encrypted: the database, WAL and SHM files hold none, before and after a checkpoint', async () => {
    const snmp = { port: agent.port, timeoutMs: 1000, retries: 0 };
    const created = [
      await call('POST', '/devices', { name: 'v2', address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 3600, snmp: { ...snmp, version: '2c', community: S.community } }),
      await call('POST', '/devices', { name: 'v3', address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 3600,
        snmp: { ...snmp, version: '3', username: 'secuser', authProtocol: 'sha', authKey: S.snmpAuth, privProtocol: 'aes', privKey: S.snmpPriv } }),
      await call('POST', '/trap-users', { username: 'sectrap', authProtocol: 'sha', authKey: S.trapAuth, privProtocol: 'aes', privKey: S.trapPriv }),
      await call('POST', '/notification-channels', { name: 'hook', type: 'webhook',
        config: { url: `${httpUrl}/hook`, secret: S.webhookSecret, headers: { Authorization: S.authHeader, 'X-Api-Key': S.apiKeyHeader } } }),
      await call('POST', '/notification-channels', { name: 'slack', type: 'slack', config: { url: `${httpUrl}${S.slackPath}` } }),
      await call('POST', '/notification-channels', { name: 'mail', type: 'email',
        config: { host: '127.0.0.1', port: smtpPort, username: 'nw', password: S.smtpPassword, from: 'nw@example.net', to: ['noc@example.net'] } }),
    ];
    for (const c of created) expect(c.status, c.text).toBe(201);
    [ids.v2, ids.v3] = [created[0]!.body.id, created[1]!.body.id];
    [ids.hook, ids.slack, ids.mail] = [created[3]!.body.id, created[4]!.body.id, created[5]!.body.id];

    // Write-only: no answer carries a secret or a header value; header names are shown.
    const lists = [await call('GET', '/devices'), await call('GET', '/trap-users'), await call('GET', '/notification-channels')];
    for (const text of [...created, ...lists].map((r) => r.text)) for (const s of SECRETS) expect(text).not.toContain(s);
    expect(created[3]!.body.config).toEqual({ url: `${httpUrl}/hook`, secretSet: true, headerNames: ['Authorization', 'X-Api-Key'] });

    const { dbPath } = storePaths(srv.dataDir);
    expect(statSync(`${dbPath}-wal`).size).toBeGreaterThan(0); // the rows are in the WAL now
    expect(leakedInto(dbPath, SECRETS)).toEqual([]);
    srv.nms.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(leakedInto(dbPath, SECRETS)).toEqual([]);
    for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, storePaths(srv.dataDir).keyFile]) expect([f, mode(f)]).toEqual([f, '0600']);
    expect(mode(srv.dataDir)).toBe('0700');
  });

  it('polls the real snmpd with the encrypted community and v3 keys, and accepts a real snmptrap v3 from the encrypted trap user', async () => {
    await pollUp(ids.v2);
    await pollUp(ids.v3);
    await sendV3Trap('1');
  });

  it('delivers with the decrypted settings, and editing a webhook without resending its headers keeps them', async () => {
    let got = await testWebhook();
    expect(got.headers).toMatchObject({ authorization: S.authHeader, 'x-api-key': S.apiKeyHeader });

    // Rename, and change the URL without headers: both headers stay.
    expect((await call('PATCH', `/notification-channels/${ids.hook}`, { name: 'hook-renamed' })).status).toBe(200);
    const edited = await call('PATCH', `/notification-channels/${ids.hook}`, { config: { url: `${httpUrl}/hook` } });
    expect(edited.body.config.headerNames).toEqual(['Authorization', 'X-Api-Key']);
    got = await testWebhook();
    expect(got.headers).toMatchObject({ authorization: S.authHeader, 'x-api-key': S.apiKeyHeader });

    // Headers merge by name: null removes one, a value adds or replaces one (any case), the rest are kept.
    const merged = await call('PATCH', `/notification-channels/${ids.hook}`, { config: { headers: { 'x-api-key': null, 'X-Extra': 'extra-1' } } });
    expect(merged.status, merged.text).toBe(200);
    expect(merged.body.config.headerNames).toEqual(['Authorization', 'X-Extra']);
    expect(merged.text).not.toContain('extra-1');
    got = await testWebhook();
    expect(got.headers).toMatchObject({ authorization: S.authHeader, 'x-extra': 'extra-1' });
    expect(got.headers['x-api-key']).toBeUndefined();
    // Put it back for the rotation below.
    await call('PATCH', `/notification-channels/${ids.hook}`, { config: { headers: { 'X-Api-Key': S.apiKeyHeader, 'X-Extra': null } } });

    const before = received.length;
    expect((await call('POST', `/notification-channels/${ids.slack}/test`)).body).toEqual({ ok: true });
    expect(received.slice(before).map((r) => r.path)).toContain(S.slackPath);
    const mailsBefore = mails.length;
    const mail = await call('POST', `/notification-channels/${ids.mail}/test`);
    expect(mail.body).toEqual({ ok: true });
    expect(mails.slice(mailsBefore).map((m) => m.user)).toEqual(['nw']);
    expect(leakedInto(storePaths(srv.dataDir).dbPath, SECRETS)).toEqual([]);
  });

  it('rotates the key with the CLI (refused while the server runs), and everything keeps working after a restart', async () => {
    const { dbPath, keyFile } = storePaths(srv.dataDir);
    const oldKid = readKeyFile(keyFile)!.kid;
    const refused = await rotate();
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/is in use: stop the Netwatch server before rotating its key/);
    expect(readKeyFile(keyFile)!.kid).toBe(oldKid);

    await srv.nms.stop(); // keeps the data dir
    const done = await rotate();
    expect(done.code, done.out).toBe(0);
    const newKid = readKeyFile(keyFile)!.kid;
    expect(newKid).not.toBe(oldKid);
    expect(done.out).toContain(`rotated the secret key ${oldKid} -> ${newKid}: 8 stored secret(s) re-encrypted`);
    expect(mode(keyFile)).toBe('0600');

    srv = await startTestServer({ dataDir: srv.dataDir });
    await connect();
    const raw = srv.nms.db.prepare("SELECT community AS v FROM device_snmp WHERE community IS NOT NULL UNION ALL SELECT config FROM notification_channels").all() as { v: string }[];
    expect(raw.length).toBe(4);
    for (const r of raw) expect(r.v.startsWith(`enc:v1:${newKid}:`)).toBe(true);
    await pollUp(ids.v2);
    await pollUp(ids.v3);
    await sendV3Trap('2');
    const got = await testWebhook();
    expect(got.headers).toMatchObject({ authorization: S.authHeader, 'x-api-key': S.apiKeyHeader });
    expect(leakedInto(dbPath, SECRETS)).toEqual([]);
    srv.nms.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(leakedInto(dbPath, SECRETS)).toEqual([]);
  });
});
