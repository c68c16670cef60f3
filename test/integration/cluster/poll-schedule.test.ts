import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SINGLETON_LOCK_CLASS, jobLockKey } from '../../../server/cluster/singleton.js';
import { postgresAvailable, startPostgres, type PostgresHandle } from '../../helpers/postgres.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { until } from '../engine/engine-helpers.js';

/**
 * A site's poll scheduling is a singleton job (`poll-schedule.<site>`): a node with NMS_DATABASE_URL
 * polls only while it holds that lock, pauses when it loses it, and resumes when it has it again.
 * A real snmpd, a real PostgreSQL; "another node" is a session holding the lock.
 */
describe.skipIf(!postgresAvailable())('the poll scheduling of a site on one node at a time', () => {
  let pgs: PostgresHandle;
  let url: string;
  let agent: SnmpdHandle;
  let srv: TestServer | undefined;
  let other: pg.Client;
  beforeAll(async () => {
    pgs = await startPostgres();
    url = await pgs.newDatabase();
    agent = await startSnmpd({ sysName: 'cluster-agent' });
    other = new pg.Client({ connectionString: url });
    await other.connect();
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
    await other?.end().catch(() => undefined);
    await agent?.stop();
    await pgs?.stop();
  });

  it('polls only while it holds poll-schedule.hq, and polls again after losing and taking it back', async () => {
    const key = jobLockKey('poll-schedule.hq');
    await other.query('SELECT pg_advisory_lock($1, $2)', [SINGLETON_LOCK_CLASS, key]);
    srv = await startTestServer({ env: { NMS_POLLER: 'true', NMS_SITE: 'hq', NMS_DATABASE_URL: url } });
    const counters = () => srv!.nms.metrics.snapshot();
    const call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
    const d = (await call('POST', '/devices', { name: 'polled', address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 5, snmp: { port: agent.port, timeoutMs: 1000, retries: 0 } })).body as { id: number };
    const lastPollAt = async () => ((await call('GET', `/devices/${d.id}/status`)).body.status?.lastPollAt as number | undefined) ?? 0;

    // Another node schedules hq's polls: once this one tried the lock (a round after start-up, when the job
    // was registered), it holds it not and has not started its scheduler (no device tracked).
    const rounds = counters()['singletons.rounds']!;
    await until(async () => (counters()['singletons.rounds']! > rounds ? true : undefined), 20_000);
    // Every other job of a PostgreSQL node: housekeeping, sample rollups, alarm sweep, alarm escalation, event retention, collector alarms.
    expect(counters()['singletons.acquired']).toBe(6);
    expect(counters()['singletons.holds_poll_schedule_hq']).toBe(0);
    expect(counters()['poller.scheduled_devices']).toBe(0);

    // That node goes away: this one takes over and polls.
    await other.query('SELECT pg_advisory_unlock($1, $2)', [SINGLETON_LOCK_CLASS, key]);
    await until(async () => (counters()['singletons.holds_poll_schedule_hq'] === 1 ? true : undefined), 30_000);
    const first = await until(async () => (await lastPollAt()) || undefined, 30_000);

    // Its lock session is cut: the scheduler pauses at once; it takes the lock back on a new session and polls on.
    await other.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'netwatch-singletons:%'`);
    await until(async () => (counters()['singletons.lost']! >= 1 ? true : undefined), 10_000);
    await until(async () => (counters()['singletons.holds_poll_schedule_hq'] === 1 ? true : undefined), 30_000);
    await until(async () => ((await lastPollAt()) > first ? true : undefined), 30_000);
    expect((await call('GET', `/devices/${d.id}/status`)).body.status.system.sysName).toBe('cluster-agent');
  }, 150_000);
});
