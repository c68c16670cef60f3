import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Webhook headers carry tokens: the console shows their names only, never a
// value (not in the page, not in any API answer it receives), and saving an
// edit without retyping them keeps them, as a real receiver sees.
const WAIT = { timeout: 60_000 };
const TOKEN = 'Bearer e2e-header-token-5150';
const API_KEY = 'e2e-api-key-8086';
const HMAC = 'e2e-hmac-secret-42';

let server: TestServer;
let browser: Browser;
let hook: Server;
let hookUrl: string;
const received: IncomingHttpHeaders[] = [];

async function signIn(page: Page): Promise<void> {
  await signInAt(page, server.url, '/settings', 'admin', server.adminPassword);
}

describe('webhook secrets in the console (real Chromium)', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    hook = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(req.headers);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    server = await startTestServer();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
  }, 60_000);

  it('shows stored header names only, keeps the headers when an edit does not retype them, and removes one on request', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const answers: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/')) void r.text().then((t) => answers.push(t), () => undefined);
    });
    try {
      await signIn(page);
      const section = page.getByTestId('channels-section');
      await section.getByTestId('add-channel').click();
      await page.fill('#ch-name', 'e2e-secret-hook');
      await page.fill('#ch-url', hookUrl);
      await page.fill('#ch-secret', HMAC);
      await page.fill('#ch-headers', `Authorization: ${TOKEN}\nX-Api-Key: ${API_KEY}`);
      await page.getByTestId('save-channel').click();
      const row = section.locator('[data-testid=channel-row][data-channel-name="e2e-secret-hook"]');
      await row.waitFor(WAIT);

      const sendTest = async () => {
        const before = received.length;
        await row.getByTestId('test-channel').click();
        await expect.poll(() => row.getByTestId('channel-test-result').textContent(), WAIT).toContain('delivered');
        await expect.poll(() => received.length, WAIT).toBeGreaterThan(before);
        return received.at(-1)!;
      };
      expect(await sendTest()).toMatchObject({ authorization: TOKEN, 'x-api-key': API_KEY });

      // Edit: the names are listed, no value is anywhere in the page; save without touching them.
      await row.getByRole('button', { name: 'Edit e2e-secret-hook' }).click();
      const stored = page.getByTestId('stored-headers');
      await stored.waitFor(WAIT);
      expect(await stored.textContent()).toContain('Authorization');
      expect(await stored.textContent()).toContain('X-Api-Key');
      expect(await page.inputValue('#ch-headers')).toBe('');
      await page.screenshot({ path: `${RESULTS}/channel-stored-headers.png` });
      for (const secret of [TOKEN, API_KEY, HMAC]) expect(await page.content()).not.toContain(secret);
      await page.getByTestId('save-channel').click();
      await page.getByTestId('channel-form').waitFor({ state: 'detached', ...WAIT });
      expect(await sendTest()).toMatchObject({ authorization: TOKEN, 'x-api-key': API_KEY });

      // Edit again: remove one stored header, add another.
      await row.getByRole('button', { name: 'Edit e2e-secret-hook' }).click();
      await page.getByTestId('remove-header-X-Api-Key').check();
      await page.fill('#ch-headers', 'X-Tenant: blue');
      await page.getByTestId('save-channel').click();
      await page.getByTestId('channel-form').waitFor({ state: 'detached', ...WAIT });
      const last = await sendTest();
      expect(last).toMatchObject({ authorization: TOKEN, 'x-tenant': 'blue' });
      expect(last['x-api-key']).toBeUndefined();

      await expect.poll(() => answers.length, WAIT).toBeGreaterThan(0);
      for (const secret of [TOKEN, API_KEY, HMAC]) expect(answers.filter((a) => a.includes(secret))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
