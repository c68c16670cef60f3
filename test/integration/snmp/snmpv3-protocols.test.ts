import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { SnmpClient, type SnmpSettings } from '../../../server/collectors/snmp/snmp.client.js';
import type { AuthProtocol, PrivProtocol } from '../../../server/contracts/dto.js';

// [user, snmpd auth, our auth, snmpd priv, our priv]
const USERS: [string, string, AuthProtocol, string, PrivProtocol][] = [
  ['u-md5-des', 'MD5', 'md5', 'DES', 'des'],
  ['u-sha-aes', 'SHA', 'sha', 'AES', 'aes'],
  ['u-224-aes', 'SHA-224', 'sha224', 'AES', 'aes'],
  ['u-256-aes256b', 'SHA-256', 'sha256', 'AES-256', 'aes256b'],
  ['u-384-aes256r', 'SHA-384', 'sha384', 'AES-256-C', 'aes256r'],
  ['u-512-aes', 'SHA-512', 'sha512', 'AES', 'aes'],
  ['u-md5-aes', 'MD5', 'md5', 'AES', 'aes'],
];

describe('SNMPv3 auth and privacy protocols against snmpd', () => {
  let agent: SnmpdHandle;
  let client: SnmpClient;
  beforeAll(async () => {
    agent = await startSnmpd({
      sysName: 'nw-v3-protocols',
      extraConfig: USERS.flatMap(([u, a, , p]) => [`createUser ${u} ${a} "authpass-${u}" ${p} "privpass-${u}"`, `rouser ${u} priv`]),
    });
    client = new SnmpClient({ socketsPerFamily: 1 });
  });
  afterAll(async () => {
    client?.close();
    await agent?.stop();
  });
  const settings = (u: string, auth: AuthProtocol, priv: PrivProtocol): SnmpSettings => ({
    version: '3',
    port: agent.port,
    username: u,
    authProtocol: auth,
    authKey: `authpass-${u}`,
    privProtocol: priv,
    privKey: `privpass-${u}`,
    timeoutMs: 1500,
    retries: 1,
  });

  for (const [u, , auth, , priv] of USERS.filter(([, , , , p]) => p !== 'des')) {
    it(`reads sysName with ${auth}/${priv}`, async () => {
      const s = await client.open({ address: agent.address, snmp: settings(u, auth, priv) });
      const [vb] = await s.get(['1.3.6.1.2.1.1.5.0']);
      expect(String(vb!.value)).toBe('nw-v3-protocols');
    });
  }

  it('authNoPriv against a user that requires privacy is an authFailure (snmpd answers authorizationError)', async () => {
    const s = await client.open({ address: agent.address, snmp: { ...settings('u-sha-aes', 'sha', 'aes'), privProtocol: null, privKey: null } });
    const err = await s.get(['1.3.6.1.2.1.1.5.0']).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SnmpError', kind: 'authFailure' });
  });

  const run = (args: string[]) =>
    new Promise<{ ok: boolean; sysName?: string; kind?: string; message?: string }>((resolve, reject) => {
      execFile(process.execPath, args, { timeout: 20_000, env: { ...process.env, NODE_OPTIONS: '' } }, (err, stdout) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line));
        } catch {
          reject(err ?? new Error(`probe printed ${stdout}`));
        }
      });
    });
  const probe = fileURLToPath(new URL('./v3-get.probe.ts', import.meta.url));

  it('md5/des works when node runs with --openssl-legacy-provider, and says so clearly without it', async () => {
    const json = JSON.stringify(settings('u-md5-des', 'md5', 'des'));
    const withLegacy = await run(['--openssl-legacy-provider', '--import', 'tsx', probe, agent.address, json]);
    expect(withLegacy).toEqual({ ok: true, sysName: 'nw-v3-protocols' });
    const without = await run(['--import', 'tsx', probe, agent.address, json]);
    expect(without.ok).toBe(false);
    expect(without.message).toMatch(/openssl-legacy-provider/);
  });
});
