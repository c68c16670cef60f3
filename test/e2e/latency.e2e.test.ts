import { execFileSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcmpPinger } from '../../server/collectors/icmp/icmp.pinger.js';
import { createLogger } from '../../server/log/logger.js';
import { repositoryDevices, RepositoryPollOutput } from '../../server/poller/poll-io.js';
import { PollService } from '../../server/poller/poll.service.js';
import { InProcessSnmpRunner, PingerIcmpRunner } from '../../server/poller/snmp-runner.js';
import { DeviceRepository } from '../../server/store/device.repository.js';
import { LatencyRepository } from '../../server/store/latency.repository.js';
import { PollStateRepository } from '../../server/store/poll-state.repository.js';
import { SampleRepository } from '../../server/store/sample.repository.js';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';

// Issue 16 in a real browser: the SmokePing-style latency graph of a device pinged with real fping
// (20 probes a cycle), and graph time axes that span the chosen window even with a single first sample.
const WAIT = { timeout: 60_000 };

let server: TestServer;
let browser: Browser;
let call: ReturnType<typeof apiClient>;
// A namespace of this test's own whose nftables drops every 4th echo request to its 127.0.0.2.
const ns = `nwlate2e${process.pid}`;
const sh = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], input }).toString();
let nsPoller: PollService | undefined;

describe('latency graph and time axes in a real browser', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    server = await startTestServer();
    call = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await nsPoller?.stop();
    await browser?.close();
    await server?.stop();
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      // not created
    }
  }, 60_000);

  it('shows the median with its bands after the first ICMP cycle, on axes that span the chosen window', async () => {
    const dev = (await call('POST', '/devices', { name: 'e2e-latency', address: '127.0.0.1', icmpEnabled: true, pollIntervalSec: 3600, snmp: { enabled: false } })).body as { id: number };
    // The first cycle only: one sample per metric, the case whose axis used to run from 2027 to 2029.
    expect((await call('POST', `/devices/${dev.id}/poll`)).status).toBe(200);
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    const page = await context.newPage();
    try {
      await signInAt(page, server.url, `/devices/${dev.id}`, 'admin', server.adminPassword);
      const smoke = page.getByTestId('latency-chart');
      await smoke.waitFor(WAIT);
      expect(await smoke.getAttribute('data-points')).toBe('1');
      expect(await smoke.getAttribute('data-bands')).toBe('2');
      expect(await smoke.getAttribute('data-resolution')).toBe('raw');
      expect(await smoke.locator('canvas').count()).toBeGreaterThan(0);
      const legend = await page.getByTestId('latency-legend').textContent();
      for (const word of ['median', 'p25–p75', 'p10–p90', '≤ 5%', '100%']) expect(legend).toContain(word);

      const span = async (loc: ReturnType<typeof page.getByTestId>) => {
        await expect.poll(async () => loc.getAttribute('data-x-max'), WAIT).not.toBeNull();
        return { min: Number(await loc.getAttribute('data-x-min')), max: Number(await loc.getAttribute('data-x-max')) };
      };
      const rtt = page.locator('[data-testid=metric-chart]', { hasText: 'RTT' }).first();
      await rtt.waitFor(WAIT);
      expect(await rtt.getAttribute('data-points')).toBe('1');
      const nowSec = Date.now() / 1000;
      for (const chart of [rtt, smoke]) {
        const s = await span(chart);
        expect(s.max - s.min).toBeCloseTo(3600, 0);
        expect(Math.abs(s.max - nowSec)).toBeLessThan(120);
        expect(new Date(s.max * 1000).getUTCFullYear()).toBe(new Date().getUTCFullYear());
      }

      // Hover details of the cycle.
      const over = smoke.locator('.u-over');
      await over.scrollIntoViewIfNeeded();
      const box = (await over.boundingBox())!;
      await page.mouse.move(box.x + box.width - 3, box.y + box.height / 2);
      await expect.poll(() => page.getByTestId('latency-hover').textContent(), WAIT).toContain('median');
      expect(await page.getByTestId('latency-hover').textContent()).toContain('loss 0% (0/20 probes)');
      await page.screenshot({ path: `${RESULTS}/latency-graph.png`, fullPage: true });

      // Another range: every axis follows it.
      await page.getByTestId('range').selectOption({ label: '1 day' });
      await expect.poll(async () => (await span(smoke)).max - (await span(smoke)).min, WAIT).toBeCloseTo(86_400, 0);
      await expect.poll(async () => (await span(rtt)).max - (await span(rtt)).min, WAIT).toBeCloseTo(86_400, 0);

      // A second cycle from the console adds a point.
      await page.getByTestId('range').selectOption({ label: '1 hour' });
      await page.waitForTimeout(1100);
      await page.getByTestId('poll-now').click();
      await expect.poll(() => smoke.getAttribute('data-points'), WAIT).toBe('2');
    } finally {
      await context.close();
    }
  });

  it('colours the loss of a cycle by amount: 5 of 20 probes lost is drawn in the ≤ 25% class', async () => {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], ['table inet nwlat {', '  chain input {', '    type filter hook input priority 0; policy accept;', '    ip daddr 127.0.0.2 icmp type echo-request numgen inc mod 4 == 0 drop', '  }', '}'].join('\n'));
    const { db, bus, secrets } = server.nms;
    nsPoller = new PollService(
      {
        devices: repositoryDevices(new DeviceRepository(db, secrets), bus),
        out: new RepositoryPollOutput({ pollState: new PollStateRepository(db), samples: new SampleRepository(db), bus, latency: new LatencyRepository(db) }),
        log: createLogger({ level: 'silent', format: 'json' }),
        snmp: new InProcessSnmpRunner(),
        icmp: new PingerIcmpRunner(new IcmpPinger({ wrapper: ['ip', 'netns', 'exec', ns] }), { count: 20 }),
      },
      { concurrency: 2, icmpDownAfter: 3 },
    );
    const dev = (await call('POST', '/devices', { name: 'e2e-lossy', address: '127.0.0.2', icmpEnabled: true, pollIntervalSec: 3600, snmp: { enabled: false } })).body as { id: number };
    await nsPoller.pollNow(dev.id);
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    const page = await context.newPage();
    try {
      await signInAt(page, server.url, `/devices/${dev.id}`, 'admin', server.adminPassword);
      const smoke = page.getByTestId('latency-chart');
      await smoke.waitFor(WAIT);
      expect(await smoke.getAttribute('data-loss-classes')).toBe('≤ 25%');
      await smoke.locator('.u-over').scrollIntoViewIfNeeded();
      const box = (await smoke.locator('.u-over').boundingBox())!;
      await page.mouse.move(box.x + box.width - 3, box.y + box.height / 2);
      await expect.poll(() => page.getByTestId('latency-hover').textContent(), WAIT).toContain('loss 25% (5/20 probes)');
      await page.screenshot({ path: `${RESULTS}/latency-graph-loss.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });
});
