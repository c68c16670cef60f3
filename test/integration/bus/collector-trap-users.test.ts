import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TRAP_USER_BUCKET } from '../../../server/contracts/assignment.js';
import type { StoredEvent } from '../../../server/contracts/events.js';
import { startNatsServer, type NatsServerHandle } from '../../helpers/nats-server.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { apiClient, login } from '../../helpers/server.js';
import { run } from '../collectors/collector-helpers.js';

/**
 * SNMPv3 trap users at a collector (issue 15): a central and a collector, each its own process (the build, as
 * `npm start` runs it), a real nats-server between them, real `snmptrap -v3` and `snmpinform -v3` (authPriv,
 * SHA/AES) sent to the collector's trap port. The users are added, changed and deleted at the central's API;
 * their keys reach the collector sealed for it through NATS KV, and never in plaintext.
 */
const PASSWORD = 'admin-password-trap-users';
const SITE = 'branch-7';
const AUTH1 = 'Tr4p-auth-first-91';
const PRIV1 = 'Tr4p-priv-first-37';
const AUTH2 = 'Tr4p-auth-second-55';
const PRIV2 = 'Tr4p-priv-second-08';
const SECRETS = [AUTH1, PRIV1, AUTH2, PRIV2];
const until = <T>(check: () => T | Promise<T>, timeout = 60_000) => vi.waitFor(check, { timeout, interval: 250 });

let nats: NatsServerHandle;
let central: ServerProcess;
let collector: ServerProcess;
let centralDir: string;
let collectorDir: string;
let persist: string;
let trapPort: number;
let collectorId: string;
let spy: NatsConnection;
const seen: { subject: string; data: Buffer }[] = [];
let call: ReturnType<typeof apiClient>;
let userId: number;
let tag = 0;

const snmp = (cmd: string, args: string[]) => run(cmd, args, 30_000, { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });

/** A v3 authPriv (SHA/AES) trap from user `coltrap` with the given keys; its trap OID ends in a fresh number, returned. */
async function v3Trap(auth: string, priv: string, port = trapPort): Promise<string> {
  const oid = `1.3.6.1.4.1.99.0.${700 + ++tag}`;
  const r = await snmp('snmptrap', ['-v', '3', '-u', 'coltrap', '-l', 'authPriv', '-a', 'SHA', '-A', auth, '-x', 'AES', '-X', priv,
    '-e', '0x80001f8804636f6c74726170', `127.0.0.1:${port}`, '', oid, '1.3.6.1.4.1.99.70.1', 's', `v3 trap ${tag}`]);
  expect(r.code, r.stderr).toBe(0);
  return oid;
}

async function eventsOfType(type: string): Promise<StoredEvent[]> {
  const r = await call('GET', `/events?type=${encodeURIComponent(type)}&limit=100`);
  expect(r.status).toBe(200);
  return r.body.items as StoredEvent[];
}

/** Sends v3 traps with these keys (one a second) until one arrives at the central: the collector has taken the users. */
async function untilAccepted(auth: string, priv: string, timeout = 30_000, port = trapPort): Promise<StoredEvent> {
  const sent: string[] = [];
  return until(async () => {
    for (const oid of sent) {
      const [e] = await eventsOfType(oid);
      if (e) return e;
    }
    sent.push(await v3Trap(auth, priv, port));
    throw new Error(`no v3 trap arrived yet (${sent.length} sent): ${collector.output().slice(-1500)}`);
  }, timeout);
}

async function collectorCounters(): Promise<Record<string, number>> {
  const r = await call('GET', '/collectors');
  return (r.body as { id: string; counters: Record<string, number> }[]).find((x) => x.id === collectorId)?.counters ?? {};
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

beforeAll(async () => {
  nats = await startNatsServer();
  spy = await connect({ servers: nats.url });
  spy.subscribe('>', {
    callback: (_err, m) => {
      seen.push({ subject: m.subject, data: Buffer.from(m.data) });
    },
  });
  centralDir = mkdtempSync(join(tmpdir(), 'nw-central-tu-'));
  collectorDir = mkdtempSync(join(tmpdir(), 'nw-collector-tu-'));
  persist = mkdtempSync(join(tmpdir(), 'nw-snmp-tu-'));
  central = await startServerProcess(centralDir, { NMS_ROLE: 'central', NMS_NATS_URL: nats.url, NMS_ADMIN_PASSWORD: PASSWORD }, 60_000, 'dist');
  collector = await startServerProcess(collectorDir, { NMS_ROLE: 'collector', NMS_NATS_URL: nats.url, NMS_SITE: SITE }, 60_000, 'dist');
  trapPort = ((await (await fetch(`${collector.url}/api/v1/health`)).json()) as { ports: { trap: number } }).ports.trap;
  call = apiClient(central.url, (await login(central.url, 'admin', PASSWORD)).token);
  collectorId = readFileSync(join(collectorDir, 'collector-id'), 'utf8').trim();
  // The centre seals for collectors it has heard from: wait for the heartbeat with the public key.
  await until(async () => {
    const r = await call('GET', '/collectors');
    expect((r.body as { id: string; publicKey: string | null }[]).find((c) => c.id === collectorId)?.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  }, 30_000);
}, 120_000);

afterAll(async () => {
  await spy?.close();
  await collector?.kill();
  await central?.kill();
  await nats?.stop();
  for (const d of [centralDir, collectorDir, persist]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('SNMPv3 trap users at a collector', () => {
  it('refuses a v3 trap from a user the central has not got, then takes one added at the central (trap and INFORM arrive)', async () => {
    const refused = await v3Trap(AUTH1, PRIV1);
    await until(async () => expect((await collectorCounters())['trap.auth_failures']).toBeGreaterThanOrEqual(1), 30_000);

    const created = await call('POST', '/trap-users', { username: 'coltrap', authProtocol: 'sha', authKey: AUTH1, privProtocol: 'aes', privKey: PRIV1 });
    expect(created.status, created.text).toBe(201);
    userId = created.body.id;
    const e = await untilAccepted(AUTH1, PRIV1);
    expect(e).toMatchObject({ source: 'trap', sourceAddress: '127.0.0.1' });
    expect(e.params).toMatchObject({ version: '3', user: 'coltrap' });
    expect(await eventsOfType(refused)).toEqual([]);

    // An INFORM: snmpinform discovers the collector's engine ID and exits 0 only once the collector answered,
    // which it does once the event is durable (JetStream or its spool).
    const inform = await snmp('snmpinform', ['-v', '3', '-u', 'coltrap', '-l', 'authPriv', '-a', 'SHA', '-A', AUTH1, '-x', 'AES', '-X', PRIV1,
      '-t', '5', '-r', '2', `127.0.0.1:${trapPort}`, '', '1.3.6.1.4.1.99.0.799', '1.3.6.1.4.1.99.70.2', 's', 'v3 inform via collector']);
    expect(inform.code, inform.stderr).toBe(0);
    const [i] = await until(async () => {
      const got = await eventsOfType('1.3.6.1.4.1.99.0.799');
      expect(got).toHaveLength(1);
      return got;
    });
    expect(i!.params).toMatchObject({ pduType: 'inform', version: '3', user: 'coltrap' });
    await until(async () => expect((await collectorCounters())['trap_users.trap_users']).toBe(1), 30_000);
  }, 120_000);

  it('follows a changed password: traps with the old keys are refused and counted, traps with the new keys arrive', async () => {
    // The console changes a user's keys by deleting and adding it again.
    expect((await call('DELETE', `/trap-users/${userId}`)).status).toBe(204);
    const again = await call('POST', '/trap-users', { username: 'coltrap', authProtocol: 'sha', authKey: AUTH2, privProtocol: 'aes', privKey: PRIV2 });
    expect(again.status, again.text).toBe(201);
    userId = again.body.id;
    const e = await untilAccepted(AUTH2, PRIV2);
    expect(e.params).toMatchObject({ version: '3', user: 'coltrap' });

    const failures = (await collectorCounters())['trap.auth_failures'] ?? 0;
    const old = [await v3Trap(AUTH1, PRIV1), await v3Trap(AUTH1, PRIV1)];
    await until(async () => expect((await collectorCounters())['trap.auth_failures']).toBeGreaterThanOrEqual(failures + 2), 30_000);
    // The new keys still work after the old ones were refused; the old-key traps never became events.
    await untilAccepted(AUTH2, PRIV2);
    for (const oid of old) expect(await eventsOfType(oid)).toEqual([]);
  }, 120_000);

  it('never shows a trap key or passphrase in plaintext: not in the KV value, not in any NATS message, not in the collector files', async () => {
    const kv = await new Kvm(spy).open(TRAP_USER_BUCKET);
    const entry = await kv.get(SITE);
    const value = entry!.string();
    const parsed = JSON.parse(value) as { site: string; users: { username: string; authKey: { collector: string; sealed: string }[]; privKey: { collector: string; sealed: string }[] }[] };
    expect(parsed.site).toBe(SITE);
    expect(parsed.users.map((u) => u.username)).toEqual(['coltrap']);
    expect(parsed.users[0]!.authKey).toEqual([{ collector: collectorId, sealed: expect.stringMatching(/^v1\./) }]);
    expect(parsed.users[0]!.privKey).toEqual([{ collector: collectorId, sealed: expect.stringMatching(/^v1\./) }]);
    for (const secret of SECRETS) expect(value).not.toContain(secret);

    expect(seen.some((m) => m.subject === `$KV.${TRAP_USER_BUCKET}.${SITE}`)).toBe(true);
    expect(seen.some((m) => m.subject === `netwatch.${SITE}.events`)).toBe(true);
    for (const m of seen) {
      const text = m.data.toString('latin1');
      for (const secret of SECRETS) expect(text.includes(secret), `${secret} in a message on ${m.subject}`).toBe(false);
    }
    const files = filesUnder(collectorDir);
    expect(files.some((f) => f.endsWith('collector-key.pem'))).toBe(true);
    for (const f of files) {
      const text = readFileSync(f).toString('latin1');
      for (const secret of SECRETS) expect(text.includes(secret), `${secret} in ${f}`).toBe(false);
    }
  }, 60_000);

  it('refuses and counts hostile trap-user values in the bucket, keeping the users it has', async () => {
    const kv = await new Kvm(spy).open(TRAP_USER_BUCKET);
    const before = (await collectorCounters())['trap_users.trap_users_invalid'] ?? 0;
    await kv.put(SITE, 'not json {');
    await kv.put(SITE, JSON.stringify({ format: 1, site: SITE, generatedAt: 1, users: [{ username: 'x', authProtocol: 'sha', privProtocol: null, authKey: null, privKey: null }] }));
    await kv.put(SITE, `{"format":1,"site":"${SITE}","generatedAt":1,"users":[],"__proto__":{"polluted":true}}`);
    await kv.put(SITE, JSON.stringify({ format: 1, site: 'other-site', generatedAt: 1, users: [] }));
    await until(async () => expect((await collectorCounters())['trap_users.trap_users_invalid']).toBeGreaterThanOrEqual(before + 4), 30_000);
    // Still running, still accepting the user it had.
    await untilAccepted(AUTH2, PRIV2);
    expect((await collectorCounters())['trap_users.trap_users']).toBe(1);
  }, 90_000);

  it('gives the users to a collector that joins the site later, sealed for it too, once the central has its key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-collector-tu2-'));
    let second: ServerProcess | undefined;
    try {
      second = await startServerProcess(dir, { NMS_ROLE: 'collector', NMS_NATS_URL: nats.url, NMS_SITE: SITE }, 60_000, 'dist');
      const port = ((await (await fetch(`${second.url}/api/v1/health`)).json()) as { ports: { trap: number } }).ports.trap;
      const id = readFileSync(join(dir, 'collector-id'), 'utf8').trim();
      const e = await untilAccepted(AUTH2, PRIV2, 60_000, port);
      expect(e.params).toMatchObject({ version: '3', user: 'coltrap' });
      const value = JSON.parse((await (await new Kvm(spy).open(TRAP_USER_BUCKET)).get(SITE))!.string()) as { users: { authKey: { collector: string }[] }[] };
      expect(value.users[0]!.authKey.map((s) => s.collector).sort()).toEqual([collectorId, id].sort());
      for (const f of filesUnder(dir)) {
        const text = readFileSync(f).toString('latin1');
        for (const secret of SECRETS) expect(text.includes(secret), `${secret} in ${f}`).toBe(false);
      }
    } finally {
      await second?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('stops accepting a user deleted at the central', async () => {
    expect((await call('DELETE', `/trap-users/${userId}`)).status).toBe(204);
    await until(async () => expect((await collectorCounters())['trap_users.trap_users']).toBe(0), 30_000);
    const failures = (await collectorCounters())['trap.auth_failures'] ?? 0;
    const oid = await v3Trap(AUTH2, PRIV2);
    await until(async () => expect((await collectorCounters())['trap.auth_failures']).toBeGreaterThan(failures), 30_000);
    expect(await eventsOfType(oid)).toEqual([]);
  }, 90_000);
});
