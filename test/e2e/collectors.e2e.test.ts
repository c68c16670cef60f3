import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { CollectorHeartbeat } from '../../server/contracts/collectors.js';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';

// Settings → Collectors in a real Chromium, live: a collector's heartbeats (through the same sink the
// NATS transport feeds) show it up, its silence (5 s timeout) turns it down without a reload, and its
// site's devices show "unknown (collector down)" meanwhile; the device form offers its site.
const WAIT = { timeout: 60_000 };
const ID = 'e2e-collector-1';

let server: TestServer;
let browser: Browser;

const heartbeat = (): CollectorHeartbeat => ({
  id: ID, site: 'seoul-dc1', version: '9.9.9', hostname: 'col-seoul-e2e', startedAt: Date.now() - 60_000, sentAt: Date.now(),
  counters: { 'syslog.received': 1 }, spoolRecords: 3, spoolBytes: 1024,
});

describe('collectors in the console', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    server = await startTestServer({ env: { NMS_COLLECTOR_TIMEOUT_SECONDS: '5' } });
    const admin = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    expect((await admin('POST', '/devices', { name: 'seoul-sw1', address: '127.0.0.71', site: 'seoul-dc1' })).status).toBe(201);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 60_000);

  it('shows a collector with its site and state, live, and its devices as unknown while it is down', async () => {
    // The collector beats every second until the page has shown it up (the timeout is 5 s: a slow
    // sign-in on a busy machine must not see it already down).
    server.nms.heartbeats.heartbeat(heartbeat(), '192.0.2.44');
    const beat = setInterval(() => server.nms.heartbeats.heartbeat(heartbeat(), '192.0.2.44'), 1000);
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    try {
      await signInAt(page, server.url, '/settings', 'admin', server.adminPassword);
      const section = page.getByTestId('collectors-section');
      await section.waitFor(WAIT);
      const row = section.locator(`[data-collector-id="${ID}"]`);
      await row.waitFor(WAIT);
      await expect(row.getByTestId('collector-site').textContent()).resolves.toBe('seoul-dc1');
      await expect(row.textContent()).resolves.toMatch(/col-seoul-e2e.*9\.9\.9.*192\.0\.2\.44/s);
      await expect(row.getByTestId('collector-state').textContent()).resolves.toBe('up');
      clearInterval(beat);
      // No more heartbeats: the monitor marks it down and the page follows without a reload.
      await row.locator('[data-testid="collector-state"]', { hasText: 'down' }).waitFor(WAIT);
      await section.screenshot({ path: `${RESULTS}/collectors-down.png` });

      await page.goto(`${server.url}/devices`);
      const device = page.locator('[data-testid="device-row"][data-device-name="seoul-sw1"]');
      await device.locator('[data-testid="device-state"]', { hasText: 'unknown (collector down)' }).waitFor(WAIT);
      await expect(device.getByTestId('device-site').textContent()).resolves.toBe('seoul-dc1');
      // Heard again: the device list follows live.
      server.nms.heartbeats.heartbeat(heartbeat(), '192.0.2.44');
      await device.locator('[data-testid="device-state"]', { hasNotText: 'collector down' }).waitFor(WAIT);

      await page.getByTestId('add-device').click();
      await page.getByTestId('device-form').waitFor(WAIT);
      const options = await page.locator('#dev-site-options option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
      expect(options).toEqual(expect.arrayContaining(['central', 'seoul-dc1']));
    } finally {
      clearInterval(beat);
      await page.context().close();
    }
  });
});
