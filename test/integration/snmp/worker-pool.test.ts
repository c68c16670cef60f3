import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { PollWorkerPool, workerEntry } from '../../../server/poller/worker-pool.js';

describe('SNMP polls in worker threads', () => {
  let agent: SnmpdHandle;
  let pool: PollWorkerPool;
  beforeAll(async () => {
    agent = await startSnmpd({ sysName: 'nw-worker-test' });
    pool = new PollWorkerPool({ workers: 2 });
  });
  afterAll(async () => {
    await pool?.close();
    await agent?.stop();
  });

  it('finds the worker entry for TypeScript sources and for compiled JavaScript', () => {
    expect(workerEntry('file:///app/server/poller/worker-pool.ts')).toEqual({ url: new URL('file:///app/server/poller/poll.worker.ts'), fromTs: true });
    expect(workerEntry('file:///app/dist/server/poller/worker-pool.js')).toEqual({ url: new URL('file:///app/dist/server/poller/poll.worker.js'), fromTs: false });
  });

  it('polls concurrently across two workers and returns full results with bigint counters', async () => {
    const target = { deviceId: 1, address: agent.address, snmp: { version: '2c' as const, port: agent.port, community: agent.community, timeoutMs: 2000, retries: 1 } };
    const results = await Promise.all(Array.from({ length: 8 }, () => pool.poll(target)));
    for (const r of results) {
      expect(r.ok).toBe(true);
      expect(r.system!.sysName).toBe('nw-worker-test');
      expect(typeof r.interfaces![0]!.counters.inOctets!.value).toBe('bigint');
    }
    expect(pool.inflight()).toBe(0);
    // Forgetting a device's session is harmless: the next poll opens a new one.
    expect(await pool.openSessions()).toBeGreaterThanOrEqual(1);
    pool.forget(target.deviceId);
    expect(await pool.openSessions()).toBe(0);
    expect((await pool.poll(target)).ok).toBe(true);
  });

  it('returns a classified error for a wrong community instead of rejecting', async () => {
    const r = await pool.poll({ address: agent.address, snmp: { version: '2c', port: agent.port, community: 'bad', timeoutMs: 200, retries: 0 } });
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe('timeout');
  });
});
