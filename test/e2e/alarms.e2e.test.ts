import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';

// Operator workflow in a real Chromium: a rule made in the Rules form raises an
// alarm from a matching event, the alarm appears live on the Alarms page, is
// acknowledged, noted and cleared; viewers see it read-only.
const WAIT = { timeout: 60_000 };
const VIEWER = { username: 'alarm-viewer', password: 'viewer-password-1' };
const run = promisify(execFile);

let server: TestServer;
let browser: Browser;

async function signIn(page: Page, path: string, username: string, password: string): Promise<void> {
  await signInAt(page, server.url, path, username, password);
  await page.locator('[data-testid=connection][data-state=connected]').waitFor(WAIT);
}

async function createRule(page: Page, fill: () => Promise<void>, name: string): Promise<void> {
  await page.getByTestId('add-rule').click();
  await page.getByTestId('rule-form').waitFor(WAIT);
  await page.fill('#rule-name', name);
  await fill();
  await page.getByTestId('save-rule').click();
  await page.locator(`[data-testid=rule-row][data-rule-name="${name}"]`).waitFor(WAIT);
}

const alarmRow = (page: Page, title: string) => page.locator('[data-testid=alarm-row]', { hasText: title });

describe('alarms and rules in a real browser', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    server = await startTestServer();
    const admin = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    expect((await admin('POST', '/users', { ...VIEWER, role: 'viewer' })).status).toBe(201);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 60_000);

  it('raises an alarm from a rule made in the form, shows it live, acknowledges, notes and clears it', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page, '/rules', 'admin', server.adminPassword);
      await page.getByTestId('rule-table').waitFor(WAIT); // the default pack is listed

      await createRule(
        page,
        async () => {
          await page.fill('#rule-message', 'e2e-port (?<port>\\S+) down');
          await page.getByTestId('rule-severity').selectOption('major');
          await page.fill('#rule-title', 'E2E port {port} down');
          await page.getByTestId('rule-disposition').selectOption('alarm');
          await page.fill('#rule-rkey', 'e2e-port:{port}');
        },
        'e2e port down',
      );
      await page.screenshot({ path: `${RESULTS}/rules-list.png`, fullPage: true });

      // The Alarms page is open when the event arrives: the alarm shows up without a reload.
      await page.getByRole('link', { name: 'Alarms', exact: true }).click();
      await page.locator('[data-testid=no-alarms], [data-testid=alarm-table]').first().waitFor(WAIT);
      const event = {
        reportedAt: null, source: 'syslog' as const, sourceAddress: '192.0.2.77', deviceId: null, severity: 'warning' as const,
        type: 'e2e', message: 'e2e-port Gi0/7 down', params: {},
      };
      server.nms.bus.publish('event.received', { ...event, receivedAt: Date.now() });
      const row = alarmRow(page, 'E2E port Gi0/7 down');
      await row.waitFor(WAIT);
      expect(await row.getAttribute('data-state')).toBe('active');
      expect(await row.textContent()).toContain('major');

      // A second matching event updates the same alarm (count 2), live.
      server.nms.bus.publish('event.received', { ...event, receivedAt: Date.now() });
      await expect.poll(() => row.locator('td.num').textContent(), WAIT).toContain('2');

      // Acknowledge from the details panel; it lists the alarm's events.
      await row.click();
      const details = page.getByTestId('alarm-details');
      await details.getByTestId('alarm-events').waitFor(WAIT);
      expect(await details.getByTestId('alarm-events').textContent()).toContain('e2e-port Gi0/7 down');
      await details.getByTestId('alarm-ack').click();
      await expect.poll(() => row.getAttribute('data-state'), WAIT).toBe('acknowledged');
      await expect.poll(() => details.getByTestId('details-state').textContent(), WAIT).toContain('acknowledged by admin');
      await details.getByTestId('alarm-note').fill('Looking at it <b>now</b>');
      await details.getByRole('button', { name: 'Add note' }).click();
      await details.getByText('Looking at it <b>now</b>').waitFor(WAIT);
      await page.screenshot({ path: `${RESULTS}/alarms-acknowledged.png` });

      // Bulk clear with the checkbox; it moves to the history tab.
      await row.locator('input[type=checkbox]').check();
      await page.getByTestId('bulk-clear').click();
      await expect.poll(() => alarmRow(page, 'E2E port Gi0/7 down').count(), WAIT).toBe(0);
      await page.getByTestId('tab-history').click();
      await alarmRow(page, 'E2E port Gi0/7 down').waitFor(WAIT);
      expect(await alarmRow(page, 'E2E port Gi0/7 down').getAttribute('data-state')).toBe('cleared');

      // Dry run of the rule against stored events, from its form.
      await page.getByRole('link', { name: 'Rules', exact: true }).click();
      await page.getByRole('button', { name: 'Edit e2e port down' }).click();
      await page.getByTestId('rule-test').click();
      await expect.poll(() => page.getByTestId('rule-test-result').textContent(), WAIT).toMatch(/Would match 2 of the last \d+ stored events/);
      expect(await page.getByTestId('rule-test-result').textContent()).toContain('e2e-port:Gi0/7');
      await page.screenshot({ path: `${RESULTS}/rules-dry-run.png`, fullPage: true });
      await page.keyboard.press('Escape');
      await page.getByTestId('rule-form').waitFor({ state: 'detached', ...WAIT });

      // Disable it, move it below the next rule: the server's order and state follow.
      const admin = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
      const ruleRow = page.locator('[data-testid=rule-row][data-rule-name="e2e port down"]');
      await ruleRow.getByTestId('rule-enabled').uncheck();
      await expect.poll(async () => (await admin('GET', '/rules')).body.items.find((r: { name: string }) => r.name === 'e2e port down').enabled, WAIT).toBe(false);
      const before = (await admin('GET', '/rules')).body.items.map((r: { name: string }) => r.name) as string[];
      const at = before.indexOf('e2e port down');
      await page.getByRole('button', { name: 'Move e2e port down down' }).click();
      await expect.poll(async () => ((await admin('GET', '/rules')).body.items.map((r: { name: string }) => r.name) as string[]).indexOf('e2e port down'), WAIT).toBe(at + 1);
      await expect.poll(() => page.locator('[data-testid=rule-row]').nth(at + 1).getAttribute('data-rule-name'), WAIT).toBe('e2e port down');
      await ruleRow.getByTestId('rule-enabled').check();
      await expect.poll(async () => (await admin('GET', '/rules')).body.items.find((r: { name: string }) => r.name === 'e2e port down').enabled, WAIT).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('raises an alarm from a real trap (snmptrap) matched by a trap OID rule made in the form', async () => {
    const health = (await apiClient(server.url)('GET', '/health')).body as { ports: { trap: number | null } };
    expect(health.ports.trap).not.toBeNull();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page, '/rules', 'admin', server.adminPassword);
      await page.getByTestId('rule-table').waitFor(WAIT);
      await createRule(
        page,
        async () => {
          await page.getByTestId('rule-source-trap').check();
          await page.fill('#rule-trapoid', '1.3.6.1.4.1.8072.9999.1');
          await page.getByTestId('rule-severity').selectOption('critical');
          await page.fill('#rule-title', 'E2E enterprise trap from {sourceAddress}');
          await page.fill('#rule-rkey', 'e2e-trap:{sourceAddress}');
        },
        'e2e enterprise trap',
      );
      await page.getByRole('link', { name: 'Alarms', exact: true }).click();
      await page.locator('[data-testid=no-alarms], [data-testid=alarm-table]').first().waitFor(WAIT);
      await run('snmptrap', ['-v2c', '-c', 'public', `127.0.0.1:${health.ports.trap}`, '', '1.3.6.1.4.1.8072.9999.1', '1.3.6.1.2.1.1.5.0', 's', 'e2e']);
      const row = alarmRow(page, 'E2E enterprise trap from 127.0.0.1');
      await row.waitFor(WAIT);
      expect(await row.textContent()).toContain('critical');
      await row.click();
      await page.getByTestId('alarm-details').getByTestId('alarm-ack').click();
      await expect.poll(() => row.getAttribute('data-state'), WAIT).toBe('acknowledged');
    } finally {
      await context.close();
    }
  });

  it('manages notification channels (send test, last error) and maintenance windows in Settings', async () => {
    // A local webhook receiver: the first channel works, the second answers 500.
    const received: string[] = [];
    const hook: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(body);
        res.writeHead(req.url === '/fail' ? 500 : 200).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const port = (hook.address() as AddressInfo).port;
    const admin = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    expect((await admin('POST', '/devices', { name: 'mw-switch', address: '127.0.60.1' })).status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page, '/settings', 'admin', server.adminPassword);
      const section = page.getByTestId('channels-section');
      for (const [name, path] of [['e2e-hook', '/ok'], ['e2e-broken', '/fail']] as const) {
        await section.getByTestId('add-channel').click();
        await page.fill('#ch-name', name);
        await page.fill('#ch-url', `http://127.0.0.1:${port}${path}`);
        await page.getByTestId('save-channel').click();
        await section.locator(`[data-testid=channel-row][data-channel-name="${name}"]`).waitFor(WAIT);
      }
      const ok = section.locator('[data-testid=channel-row][data-channel-name="e2e-hook"]');
      await ok.getByTestId('test-channel').click();
      await expect.poll(() => ok.getByTestId('channel-test-result').textContent(), WAIT).toContain('delivered');
      expect(received.some((b) => b.includes('Test notification from Netwatch'))).toBe(true);
      const bad = section.locator('[data-testid=channel-row][data-channel-name="e2e-broken"]');
      await bad.getByTestId('test-channel').click();
      await expect.poll(() => bad.getByTestId('channel-test-result').textContent(), WAIT).toContain('failed');
      expect(await bad.textContent()).toContain('500');

      // A weekly maintenance window for the device.
      const mw = page.getByTestId('maintenance-section');
      await mw.getByTestId('add-maintenance').click();
      await page.fill('#mw-name', 'e2e firmware');
      await page.selectOption('#mw-device', { label: 'mw-switch' });
      await page.selectOption('#mw-kind', 'weekly');
      await page.getByLabel('Tue').check();
      await page.fill('#mw-start', '02:30');
      await page.fill('#mw-dur', '90');
      await page.fill('#mw-tz', 'UTC');
      await page.getByTestId('save-maintenance').click();
      const row = mw.locator('[data-testid=maintenance-row][data-window-name="e2e firmware"]');
      await row.waitFor(WAIT);
      expect(await row.textContent()).toContain('Tue at 02:30 for 90 min (UTC)');
      expect(await row.textContent()).toContain('mw-switch');
      expect((await admin('GET', '/maintenance')).body.items[0]).toMatchObject({ kind: 'weekly', days: [2], startTime: '02:30', durationMin: 90 });
      await page.screenshot({ path: `${RESULTS}/settings-channels-maintenance.png`, fullPage: true });
      await row.getByRole('button', { name: 'Delete e2e firmware' }).click();
      await page.getByTestId('confirm').click();
      await expect.poll(() => row.count(), WAIT).toBe(0);
    } finally {
      await context.close();
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
  });

  it('shows alarms and rules read-only to a viewer', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    try {
      server.nms.bus.publish('event.received', {
        receivedAt: Date.now(), reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.78', deviceId: null, severity: 'warning', type: 'e2e', message: 'e2e-port Te1/1 down', params: {},
      });
      await signIn(page, '/alarms', VIEWER.username, VIEWER.password);
      const row = alarmRow(page, 'E2E port Te1/1 down');
      await row.waitFor(WAIT);
      await page.getByTestId('read-only-note').waitFor(WAIT);
      expect(await page.getByTestId('bulk-actions').count()).toBe(0);
      expect(await row.locator('input[type=checkbox]').count()).toBe(0);
      await row.click();
      await page.getByTestId('alarm-details').waitFor(WAIT);
      expect(await page.getByTestId('alarm-ack').count()).toBe(0);
      await page.getByRole('link', { name: 'Rules', exact: true }).click();
      await page.getByTestId('rule-table').waitFor(WAIT);
      expect(await page.getByTestId('add-rule').count()).toBe(0);
      expect(await page.getByTestId('rule-enabled').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
