import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../../server/contracts/events.js';
import { apiClient, login } from '../../../helpers/server.js';
import { startServerProcess, type ServerProcess } from '../../../helpers/server-process.js';
import { run } from '../collector-helpers.js';

/**
 * "Acknowledged means stored", against a real server process: 16 real
 * `snmpinform` senders (12 v2c, 4 v3 authPriv) stream INFORMs, each carrying
 * a unique id in a varbind, while API clients create devices; the server is
 * SIGKILLed mid-stream and started again on the same data dir (five times). Every INFORM
 * that `snmpinform` reported as acknowledged (exit 0), and every device whose
 * POST answered 201, must be there after the restart.
 */
const ID_OID = '1.3.6.1.4.1.99.77.1';
const TRAP_OID = '1.3.6.1.4.1.99.0.77';
const V2C_SENDERS = 12;
const V3_SENDERS = 4;
const API_WRITERS = 2;
/** Kill/restart cycles, each after this many more acknowledgements. */
const ROUNDS = 5;
const ACKS_PER_ROUND = 100;
const V3 = ['-v', '3', '-u', 'durable', '-l', 'authPriv', '-a', 'SHA', '-A', 'durableauth1', '-x', 'AES', '-X', 'durablepriv1'];

describe('acknowledged means stored (SIGKILL mid-stream)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nw-durable-'));
  const persist = mkdtempSync(join(tmpdir(), 'nw-durable-snmp-'));
  let srv: ServerProcess | undefined;

  afterAll(async () => {
    await srv?.kill();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(persist, { recursive: true, force: true });
  });

  it('loses no acknowledged INFORM (v2c and v3) and no device whose POST answered 201', async () => {
    const acked = new Set<string>();
    const sent = { v2c: 0, v3: 0, ackedV2c: 0, ackedV3: 0 };
    const created = new Set<string>();
    let posts = 0;
    const env = { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist };
    const t0 = Date.now();

    srv = await startServerProcess(dataDir, { NMS_ADMIN_PASSWORD: 'durable-admin-pw' });
    {
      const call = apiClient(srv.url, (await login(srv.url, 'admin', 'durable-admin-pw')).token);
      expect((await call('POST', '/trap-users', { username: 'durable', authProtocol: 'sha', authKey: 'durableauth1', privProtocol: 'aes', privKey: 'durablepriv1' })).status).toBe(201);
    }

    for (let round = 0; round < ROUNDS; round++) {
      const victim = srv;
      const call = apiClient(victim.url, (await login(victim.url, 'admin', 'durable-admin-pw')).token);
      const target = `127.0.0.1:${(await call('GET', '/health')).body.ports.trap as number}`;
      const killAt = acked.size + ACKS_PER_ROUND;
      let killed = false;

      const informSender = async (w: number, v3: boolean): Promise<void> => {
        for (let i = 0; !killed; i++) {
          const id = `${v3 ? 'v3' : 'v2c'}-${round}-${w}-${i}`;
          const auth = v3 ? V3 : ['-v', '2c', '-c', 'public'];
          const r = await run('snmpinform', [...auth, '-t', '1', '-r', '1', target, '', TRAP_OID, ID_OID, 's', id], 20_000, env);
          if (v3) sent.v3++;
          else sent.v2c++;
          if (r.code !== 0) continue;
          acked.add(id);
          if (v3) sent.ackedV3++;
          else sent.ackedV2c++;
          // Kill right as an acknowledgement arrives (a few ms after it was sent), with the other
          // senders' INFORMs in flight: the moment an early acknowledgement would be exposed.
          if (acked.size >= killAt && !killed) {
            killed = true;
            victim.child.kill('SIGKILL');
          }
        }
      };
      const apiWriter = async (w: number): Promise<void> => {
        for (let i = 0; !killed && i < 250; i++) {
          const name = `durable-${round}-${w}-${i}`;
          posts++;
          try {
            const r = await call('POST', '/devices', { name, address: `10.77.${round * API_WRITERS + w}.${i + 1}`, icmpEnabled: false, snmp: { enabled: false } });
            if (r.status === 201) created.add(name);
          } catch {
            // connection refused/reset once the server is killed: not acknowledged
          }
        }
      };
      const senders = [
        ...Array.from({ length: V2C_SENDERS }, (_, w) => informSender(w, false)),
        ...Array.from({ length: V3_SENDERS }, (_, w) => informSender(w, true)),
        ...Array.from({ length: API_WRITERS }, (_, w) => apiWriter(w)),
      ];
      const tr = Date.now();
      while (!killed && Date.now() - tr < 120_000) await new Promise((r) => setTimeout(r, 10));
      killed = true;
      await victim.kill();
      await Promise.all(senders);
      srv = await startServerProcess(dataDir);
    }

    const again = apiClient(srv.url, (await login(srv.url, 'admin', 'durable-admin-pw')).token);
    const stored = new Map<string, number>();
    for (let cursor: number | null = null; ; ) {
      const r: { status: number; body: { items: StoredEvent[]; nextCursor: number | null } } = await again('GET', `/events?source=trap&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      for (const e of r.body.items) {
        const vb = (e.params.varbinds as { oid: string; value: unknown }[] | undefined)?.find((v) => v.oid === ID_OID);
        if (vb) stored.set(String(vb.value), (stored.get(String(vb.value)) ?? 0) + 1);
      }
      cursor = r.body.nextCursor;
      if (!cursor || r.body.items.length === 0) break;
    }
    const devices = new Set(((await again('GET', '/devices')).body.items as { name: string }[]).map((d) => d.name));

    const missing = [...acked].filter((id) => !stored.has(id));
    const duplicates = [...stored.values()].filter((n) => n > 1).length;
    const missingDevices = [...created].filter((n) => !devices.has(n));
    const figures = {
      informsSent: sent.v2c + sent.v3, acked: acked.size, ackedV2c: sent.ackedV2c, ackedV3: sent.ackedV3,
      stored: stored.size, storedNotAcked: [...stored.keys()].filter((id) => !acked.has(id)).length, duplicates,
      missing: missing.length, devicePosts: posts, devices201: created.size, devicesMissing: missingDevices.length,
      seconds: (Date.now() - t0) / 1000,
    };
    console.log('inform durability', JSON.stringify(figures));
    // Not vacuous: a good number of both kinds were acknowledged before the kill.
    expect(sent.ackedV2c).toBeGreaterThan(200);
    expect(sent.ackedV3).toBeGreaterThan(10);
    expect(created.size).toBeGreaterThan(20);
    expect(missing, JSON.stringify(figures)).toEqual([]);
    expect(missingDevices, JSON.stringify(figures)).toEqual([]);
  }, 240_000);
});
