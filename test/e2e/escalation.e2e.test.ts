import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';

// Escalation in a real Chromium: an admin sets a channel's digest and makes an escalation policy in
// Settings; an alarm escalates to a real webhook receiver; the signed link from that notification is
// opened in a browser with no session, confirmed, and the Alarms page shows the alarm acknowledged.
const WAIT = { timeout: 60_000 };

let server: TestServer;
let browser: Browser;
let receiver: Server;
let hookUrl: string;
const received: any[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('escalation and acknowledge links in a real browser', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(raw || 'null'));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    // The public address must be known before start: the links in notifications point at it.
    const port = await freePort();
    server = await startTestServer({ env: { NMS_HTTP_PORT: String(port), NMS_PUBLIC_URL: `http://127.0.0.1:${port}` } });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((r) => receiver?.close(r));
  }, 60_000);

  it('makes a policy in Settings, escalates, and acknowledges from the signed link', async () => {
    const admin = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    expect((await admin('POST', '/notification-channels', { name: 'oncall-hook', type: 'webhook', config: { url: hookUrl } })).status).toBe(201);
    expect(
      (await admin('POST', '/rules', { name: 'e2e core down', body: { kind: 'event', match: { message: 'e2e core down' }, actions: { disposition: 'alarm', severity: 'critical', title: 'E2E core down', reductionKey: 'e2e-core' } } })).status,
    ).toBe(201);

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    try {
      await signInAt(page, server.url, '/settings', 'admin', server.adminPassword);
      // Channel form: digest settings.
      const row = page.locator('[data-testid=channel-row][data-channel-name="oncall-hook"]');
      await row.waitFor(WAIT);
      await row.getByRole('button', { name: 'Edit oncall-hook' }).click();
      await page.getByTestId('channel-delivery').waitFor(WAIT);
      await page.getByTestId('digest-enabled').check();
      await page.getByTestId('digest-threshold').fill('5');
      await page.getByTestId('save-channel').click();
      await expect.poll(() => row.getByTestId('channel-delivery-summary').textContent(), WAIT).toContain('digest > 5/min');

      // Escalation policy: one step after ~1 s to the webhook, for critical alarms.
      await page.getByTestId('add-policy').click();
      await page.getByTestId('policy-form').waitFor(WAIT);
      await page.getByTestId('policy-name').fill('critical on-call');
      await page.getByTestId('step-wait').first().fill('0.02');
      await page.getByTestId('step-0-channel-oncall-hook').check();
      await page.screenshot({ path: `${RESULTS}/escalation-policy-form.png` });
      await page.getByTestId('save-policy').click();
      const policy = page.locator('[data-testid=policy-row][data-policy-name="critical on-call"]');
      await policy.waitFor(WAIT);
      expect(await policy.getByTestId('policy-steps').textContent()).toBe('0.02 min → oncall-hook');
      expect(await policy.textContent()).toContain('Severity (this or worse): critical');
      await page.screenshot({ path: `${RESULTS}/escalation-policies.png`, fullPage: true });

      server.nms.bus.publish('event.received', { receivedAt: Date.now(), reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.90', deviceId: null, severity: 'info', type: 'e2e', message: 'e2e core down', params: {} });
      await expect.poll(() => received.find((r) => r?.kind === 'escalate'), WAIT).toBeTruthy();
      const note = received.find((r) => r?.kind === 'escalate');
      expect(note.ackUrl).toMatch(new RegExp(`^${server.url}/api/v1/ack/`));

      // The link, opened where nobody is signed in.
      const anon = await browser.newContext();
      const linkPage = await anon.newPage();
      const res = await linkPage.goto(note.ackUrl);
      expect(res?.status()).toBe(200);
      expect(await linkPage.locator('#alarm').textContent()).toContain('E2E core down');
      await linkPage.screenshot({ path: `${RESULTS}/ack-link-confirm.png` });
      await linkPage.locator('#confirm').click();
      await linkPage.locator('#result').waitFor(WAIT);
      expect(await linkPage.locator('#result').textContent()).toContain('The alarm is acknowledged');
      await linkPage.screenshot({ path: `${RESULTS}/ack-link-done.png` });
      // A tampered link is refused.
      const forged = await linkPage.goto(String(note.ackUrl).replace(/\.([A-Za-z0-9_-])([A-Za-z0-9_-]{42})$/, (_m, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest}`));
      expect(forged?.status()).toBe(403);
      expect(await linkPage.locator('#result').textContent()).toContain('This acknowledge link is not valid');
      await anon.close();

      await page.getByRole('link', { name: 'Alarms', exact: true }).click();
      const alarm = page.locator('[data-testid=alarm-row]', { hasText: 'E2E core down' });
      await alarm.waitFor(WAIT);
      await expect.poll(() => alarm.getAttribute('data-state'), WAIT).toBe('acknowledged');
      await page.screenshot({ path: `${RESULTS}/ack-link-alarms.png` });
    } finally {
      await context.close();
    }
  });
});
