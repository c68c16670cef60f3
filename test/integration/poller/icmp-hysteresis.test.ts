import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import { IcmpPinger } from '../../../server/collectors/icmp/icmp.pinger.js';
import { InProcessBus } from '../../../server/events/bus.js';
import { createLogger } from '../../../server/log/logger.js';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { repositoryDevices, RepositoryPollOutput } from '../../../server/poller/poll-io.js';
import { PollService } from '../../../server/poller/poll.service.js';
import { InProcessSnmpRunner, PingerIcmpRunner } from '../../../server/poller/snmp-runner.js';
import { openDatabase } from '../../../server/store/database.js';
import { DeviceRepository } from '../../../server/store/device.repository.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';
import { PollStateRepository } from '../../../server/store/poll-state.repository.js';
import { SampleRepository } from '../../../server/store/sample.repository.js';
import { testSecretBox } from '../../helpers/secrets.js';

// The device's address is 127.0.0.1 inside a network namespace this test
// creates: its loopback starts DOWN (nothing answers), then is brought UP.
const ns = `nwicmp${process.pid}`;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

describe('ICMP reachability through the poll service', () => {
  let poller: PollService;
  const events: NormalizedEvent[] = [];
  let pollState: PollStateRepository;
  let deviceId: number;

  beforeAll(() => {
    ip('netns', 'add', ns);
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'nw-icmp-')), 'netwatch.db'));
    migrate(db, readMigrations(MIGRATIONS_DIR));
    const devices = new DeviceRepository(db, testSecretBox());
    pollState = new PollStateRepository(db);
    const bus = new InProcessBus();
    bus.subscribe('event.received', (e) => events.push(e));
    deviceId = devices.create({
      name: 'behind-netns', address: '127.0.0.1', group: null, location: null, tags: [], pollIntervalSec: 3600, icmpEnabled: true,
      snmp: { enabled: false, version: '2c', port: 161, community: 'public', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 1000, retries: 0 },
    }).id;
    const pinger = new IcmpPinger({ wrapper: ['ip', 'netns', 'exec', ns] });
    poller = new PollService(
      { devices: repositoryDevices(devices, bus), out: new RepositoryPollOutput({ pollState, samples: new SampleRepository(db), bus }), log: createLogger({ level: 'silent', format: 'json' }), snmp: new InProcessSnmpRunner(), icmp: new PingerIcmpRunner(pinger) },
      { concurrency: 4, icmpDownAfter: 3 },
    );
  });
  afterAll(async () => {
    await poller?.stop();
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
  });

  it('goes down after 3 failed cycles (not before) and comes back up on the first success', async () => {
    await poller.pollNow(deviceId);
    await poller.pollNow(deviceId);
    expect(pollState.status(deviceId)!.icmpState).toBe('unknown');
    expect(events.filter((e) => e.type === 'icmp.down')).toHaveLength(0);
    await poller.pollNow(deviceId);
    const down = pollState.status(deviceId)!;
    expect(down.icmpState).toBe('down');
    expect(down.rtt.lossPct).toBe(100);
    expect(events.filter((e) => e.type === 'icmp.down')).toHaveLength(1);
    expect(events.find((e) => e.type === 'icmp.down')).toMatchObject({ source: 'icmp', severity: 'critical', deviceId });

    ip('-n', ns, 'link', 'set', 'lo', 'up');
    await poller.pollNow(deviceId);
    const up = pollState.status(deviceId)!;
    expect(up.icmpState).toBe('up');
    expect(up.rtt.avg).toBeGreaterThanOrEqual(0);
    expect(up.rtt.lossPct).toBe(0);
    expect(events.filter((e) => e.type === 'icmp.up')).toHaveLength(1);
  }, 60_000);
});
