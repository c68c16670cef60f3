import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { publisher } from '../integration/engine/engine-helpers.js';

// The new channel types in the console: the form shows each type's fields,
// "Send test" reaches a real receiver speaking the vendor's path, and the
// token typed once is never in the page or in an API answer afterwards.
const WAIT = { timeout: 60_000 };
const TG_TOKEN = '424242:AAE2eTelegramTokenNeverShown99';
const PD_KEY = 'E2EROUTINGKEY0123456789abcdefXYZ';

let server: TestServer;
let browser: Browser;
let receiver: Server;
let base: string;
const received: { path: string; body: any }[] = [];

describe('vendor channels in the console (real Chromium)', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(raw || 'null') });
        res.writeHead(200).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    server = await startTestServer();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  }, 60_000);

  it('adds a Telegram and a PagerDuty channel through the form and sends each a test', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const answers: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/')) void r.text().then((t) => answers.push(t), () => undefined);
    });
    try {
      await signInAt(page, server.url, '/settings', 'admin', server.adminPassword);
      const section = page.getByTestId('channels-section');

      await section.getByTestId('add-channel').click();
      await page.fill('#ch-name', 'e2e-telegram');
      await page.selectOption('#ch-type', 'telegram');
      await page.fill('#ch-v-botToken', TG_TOKEN);
      await page.fill('#ch-v-chatId', '-100200300');
      await page.fill('#ch-v-apiBaseUrl', base);
      await page.screenshot({ path: `${RESULTS}/channel-telegram-form.png` });
      await page.getByTestId('save-channel').click();
      const tg = section.locator('[data-testid=channel-row][data-channel-name="e2e-telegram"]');
      await tg.waitFor(WAIT);
      await tg.getByTestId('test-channel').click();
      await expect.poll(() => tg.getByTestId('channel-test-result').textContent(), WAIT).toContain('delivered');
      const msg = received.find((r) => r.path.includes('/sendMessage'))!;
      expect(msg.path).toBe(`/bot${TG_TOKEN}/sendMessage`);
      expect(msg.body).toMatchObject({ chat_id: '-100200300', parse_mode: 'HTML' });

      await section.getByTestId('add-channel').click();
      await page.fill('#ch-name', 'e2e-pagerduty');
      await page.selectOption('#ch-type', 'pagerduty');
      // Required field left empty: the form says so and sends nothing.
      await page.getByTestId('save-channel').click();
      await expect.poll(() => page.getByTestId('channel-form').textContent(), WAIT).toContain('Integration (routing) key is needed');
      await page.fill('#ch-v-routingKey', PD_KEY);
      await page.fill('#ch-v-apiBaseUrl', base);
      await page.fill('#ch-v-consoleUrl', server.url);
      await page.getByTestId('save-channel').click();
      const pd = section.locator('[data-testid=channel-row][data-channel-name="e2e-pagerduty"]');
      await pd.waitFor(WAIT);
      await pd.getByTestId('test-channel').click();
      await expect.poll(() => pd.getByTestId('channel-test-result').textContent(), WAIT).toContain('delivered');
      expect(received.find((r) => r.path === '/v2/enqueue')!.body).toMatchObject({ routing_key: PD_KEY, event_action: 'trigger', dedup_key: 'test' });

      // Edit: the secret field is empty and marked as set; saving keeps it.
      await tg.getByRole('button', { name: 'Edit e2e-telegram' }).click();
      expect(await page.inputValue('#ch-v-botToken')).toBe('');
      expect(await page.inputValue('#ch-v-chatId')).toBe('-100200300');
      for (const secret of [TG_TOKEN, PD_KEY]) expect(await page.content()).not.toContain(secret);
      await page.getByTestId('save-channel').click();
      await page.getByTestId('channel-form').waitFor({ state: 'detached', ...WAIT });
      const before = received.length;
      await tg.getByTestId('test-channel').click();
      await expect.poll(() => received.length, WAIT).toBeGreaterThan(before);
      expect(received.at(-1)!.path).toBe(`/bot${TG_TOKEN}/sendMessage`);

      for (const secret of [TG_TOKEN.split(':')[1]!, PD_KEY]) expect(answers.filter((a) => a.includes(secret))).toEqual([]);

      // A real alarm: PagerDuty gets a link back to it, and the link opens it in the console.
      const call = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
      const pdId = (await call('GET', '/notification-channels')).body.items.find((c: { name: string }) => c.name === 'e2e-pagerduty').id;
      expect((await call('POST', '/rules', {
        name: 'e2e psu',
        body: { kind: 'event', match: { message: 'PSU 2 failed' }, actions: { disposition: 'alarm', severity: 'critical', title: 'PSU 2 failed on {sourceAddress}', reductionKey: 'psu:{deviceOrSource}', notify: { channelIds: [pdId], on: ['raise'] } } },
      })).status).toBe(201);
      publisher(server)({ message: 'PSU 2 failed', sourceAddress: '127.0.0.61' });
      await expect.poll(() => received.some((r) => r.body?.dedup_key === 'psu:127.0.0.61'), WAIT).toBe(true);
      const link = received.find((r) => r.body?.dedup_key === 'psu:127.0.0.61')!.body.client_url as string;
      expect(link).toMatch(new RegExp(`^${server.url}/alarms\\?alarm=\\d+$`));
      await page.goto(link);
      await expect.poll(() => page.getByTestId('alarm-details').textContent(), WAIT).toContain('PSU 2 failed on 127.0.0.61');
      await page.screenshot({ path: `${RESULTS}/channel-alarm-link.png` });
    } finally {
      await context.close();
    }
  });
});
