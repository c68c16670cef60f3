import { readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

// Issue 16, "Fixes found on the way": SNMP sessions of changed or deleted devices were never closed
// (PollService.reload forgot the session under the NEW settings' key; the worker runner had no forget).
// A real snmpd answers 100 communities; a device's community is changed 100 times, polled each time,
// and the sessions the poller holds open (its `snmp_sessions_open` counter, counted in the poll
// workers) and the process's socket descriptors must stay bounded.

const COMMUNITIES = Array.from({ length: 100 }, (_, i) => `comm-${i}`);

let agent: SnmpdHandle;
beforeAll(async () => {
  agent = await startSnmpd({ extraConfig: COMMUNITIES.map((c) => `rocommunity ${c} 127.0.0.1`) });
}, 60_000);
afterAll(async () => {
  await agent?.stop();
});

/** Sockets this process holds open (the test server runs in it, poll workers are its threads). */
function openSockets(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed while we listed
    }
  }
  return n;
}

for (const workers of ['1', '0']) {
  describe(`SNMP sessions of edited and deleted devices (${workers === '0' ? 'polled in the main thread' : 'polled in a worker'})`, () => {
    let srv: TestServer;
    let call: ReturnType<typeof apiClient>;
    beforeAll(async () => {
      // The poller runs (it follows device edits and deletes); the devices' hourly polls barely matter.
      srv = await startTestServer({ env: { NMS_POLL_WORKERS: workers, NMS_POLLER: 'true' } });
      call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
    }, 60_000);
    afterAll(() => srv?.stop());

    const sessionsOpen = async () => (await call('GET', '/status')).body.counters['poller.snmp_sessions_open'] as number;
    const addDevice = async (name: string, community: string) => {
      const r = await call('POST', '/devices', { name, address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 3600, snmp: { version: '2c', port: agent.port, community, timeoutMs: 2000, retries: 0 } });
      expect(r.status).toBe(201);
      return r.body.id as number;
    };
    const pollUp = async (id: number) => {
      const r = await call('POST', `/devices/${id}/poll`);
      expect(r.body.status).toMatchObject({ snmpState: 'up' });
    };

    it('keeps one session per device while its community changes 100 times, and closes them on delete', async () => {
      const ids = [await addDevice('edited', COMMUNITIES[0]!), await addDevice('deleted-1', COMMUNITIES[1]!), await addDevice('deleted-2', COMMUNITIES[2]!)];
      for (const id of ids) await pollUp(id);
      expect(await sessionsOpen()).toBe(3);
      const socketsBefore = openSockets();

      for (let i = 1; i <= 100; i++) {
        const community = COMMUNITIES[i % COMMUNITIES.length]!;
        const r = await call('PATCH', `/devices/${ids[0]}`, { snmp: { version: '2c', port: agent.port, community, timeoutMs: 2000, retries: 0 } });
        expect(r.status).toBe(200);
        await pollUp(ids[0]!); // answered with the new community: a new session
      }
      // Before the fix this was 102: every old community's session stayed open.
      expect(await sessionsOpen()).toBe(3);
      expect(openSockets()).toBeLessThanOrEqual(socketsBefore + 2);

      // An edit that leaves the SNMP settings alone keeps the session; a new community closes it at once
      // (counted after a poll of another device, which runs after the edit reached the poller).
      expect((await call('PATCH', `/devices/${ids[0]}`, { name: 'edited-renamed' })).status).toBe(200);
      await pollUp(ids[1]!);
      expect(await sessionsOpen()).toBe(3);
      expect((await call('PATCH', `/devices/${ids[0]}`, { snmp: { version: '2c', port: agent.port, community: COMMUNITIES[50], timeoutMs: 2000, retries: 0 } })).status).toBe(200);
      await pollUp(ids[1]!);
      expect(await sessionsOpen()).toBe(2);
      await pollUp(ids[0]!);
      expect(await sessionsOpen()).toBe(3);

      expect((await call('DELETE', `/devices/${ids[1]}`)).status).toBe(204);
      expect((await call('DELETE', `/devices/${ids[2]}`)).status).toBe(204);
      await pollUp(ids[0]!); // the count is taken after the deletes reached the poller
      expect(await sessionsOpen()).toBe(1);
      expect(openSockets()).toBeLessThanOrEqual(socketsBefore + 2);
    }, 120_000);
  });
}
