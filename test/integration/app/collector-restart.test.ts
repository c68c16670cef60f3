import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import type { CollectorDto, CollectorHeartbeat } from '../../../server/contracts/collectors.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { until } from '../engine/engine-helpers.js';

// The registry across a restart of the centre: what it knew is loaded from the store, a collector that was
// down comes back up (clearing the alarm raised before the restart), and one that stays silent goes down.
const servers: TestServer[] = [];
let dataDir: string | undefined;
afterAll(async () => {
  for (const s of servers) await s.nms.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const hb = (id: string, site: string): CollectorHeartbeat => ({
  id, site, version: '1.0.0', hostname: `host-${id}`, startedAt: Date.now(), sentAt: Date.now(), counters: {}, spoolRecords: 0, spoolBytes: 0,
});

/**
 * Long enough that the restart (a second server start, over 5 s on a loaded machine) ends before the silent
 * collector's heartbeat, sent just before the stop, is out of date.
 */
const TIMEOUT_S = 20;

async function start(dir?: string) {
  const srv = await startTestServer({ env: { NMS_COLLECTOR_TIMEOUT_SECONDS: String(TIMEOUT_S) }, ...(dir ? { dataDir: dir } : {}) });
  servers.push(srv);
  const call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  const collectors = async (): Promise<CollectorDto[]> => (await call('GET', '/collectors')).body;
  const alarm = async (id: string): Promise<AlarmDto | undefined> =>
    ((await call('GET', '/alarms?state=all&limit=1000')).body.items as AlarmDto[]).find((a) => a.reductionKey === `collectorDown:${id}`);
  return { srv, collectors, alarm };
}

describe('collector registry across a centre restart', () => {
  it('keeps its collectors, clears an old alarm when the collector is heard again, and times out a silent one', async () => {
    const first = await start();
    dataDir = first.srv.dataDir;
    first.srv.nms.heartbeats.heartbeat(hb('r-back', 'ulsan'), null);
    await until(async () => (await first.alarm('r-back'))?.state === 'active' || undefined, 60_000);
    first.srv.nms.heartbeats.heartbeat(hb('r-silent', 'jeju'), null);
    await first.srv.nms.stop();
    servers.length = 0;

    const second = await start(dataDir);
    const known = await second.collectors();
    expect(known.map((c) => [c.id, c.state]).sort()).toEqual([['r-back', 'down'], ['r-silent', 'up']]);
    second.srv.nms.heartbeats.heartbeat(hb('r-back', 'ulsan'), null);
    await until(async () => (await second.alarm('r-back'))?.state === 'cleared' || undefined, 30_000);
    await until(async () => (await second.collectors()).find((c) => c.id === 'r-silent' && c.state === 'down'), 60_000);
    const raised = await until(() => second.alarm('r-silent'), 30_000);
    expect(raised.title).toBe(`collector jeju (host-r-silent) not heard from for ${TIMEOUT_S} s`);
  }, 180_000);
});
