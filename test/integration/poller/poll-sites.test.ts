import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { until } from '../engine/engine-helpers.js';

// The centre's background poller and a real snmpd: devices of other sites are left to their collectors.
let agent: SnmpdHandle;
let srv: TestServer;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  agent = await startSnmpd({ sysName: 'site-agent' });
  srv = await startTestServer({ env: { NMS_POLLER: 'true', NMS_SITE: 'hq' } });
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
}, 60_000);
afterAll(async () => {
  await srv?.stop();
  await agent?.stop();
});

const device = (name: string, site?: string) =>
  call('POST', '/devices', { name, address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 5, ...(site ? { site } : {}), snmp: { port: agent.port, timeoutMs: 1000, retries: 0 } });
const status = async (id: number) => (await call('GET', `/devices/${id}/status`)).body.status as { lastPollAt: number | null; system: { sysName: string | null } } | null;

describe('polling by site', () => {
  it('polls the devices of its own site (the default for new ones) and not those of another site', async () => {
    const remote = (await device('at-seoul', 'seoul-dc1')).body;
    const own = (await device('at-hq')).body;
    expect(own.site).toBe('hq');
    expect(remote.site).toBe('seoul-dc1');
    // Two polls of our own device: the remote one, created first, had every chance to be polled too.
    const first = await until(async () => (await status(own.id))?.lastPollAt ?? undefined, 30_000);
    await until(async () => ((await status(own.id))?.lastPollAt ?? 0) > first || undefined, 30_000);
    expect((await status(own.id))?.system.sysName).toBe('site-agent');
    expect(await status(remote.id)).toBeNull();
  }, 60_000);

  it('stops polling a device moved to another site, and starts on one moved here', async () => {
    const d = (await device('moves', 'busan')).body;
    expect((await call('POST', `/devices/${d.id}/poll`)).status).toBe(409);
    expect((await call('PATCH', `/devices/${d.id}`, { site: 'hq' })).status).toBe(200);
    await until(async () => (await status(d.id))?.lastPollAt ?? undefined, 30_000);
    expect((await call('PATCH', `/devices/${d.id}`, { site: 'busan' })).status).toBe(200);
    expect((await call('POST', `/devices/${d.id}/poll`)).status).toBe(409);
  }, 60_000);
});
