import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';

// Searching stored events and adding an unknown sender, in a real Chromium against the real server,
// with messages sent by real `logger` over UDP from 127.0.0.1 (no device has that address yet).
const WAIT = { timeout: 60_000 };
const run = promisify(execFile);

let server: TestServer;
let browser: Browser;

const LINES: [string, string][] = [
  ['local7.err', '%LINK-3-UPDOWN: Interface GigabitEthernet0/7, changed state to down'],
  ['local7.notice', '%LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet0/7, changed state to down'],
  ['local7.err', '%LINK-3-UPDOWN: Interface GigabitEthernet0/9, changed state to up'],
  ['auth.info', 'Accepted publickey for netops from 192.0.2.44 port 52014 ssh2'],
];

const messages = async (page: Page) => (await page.locator('[data-testid=event-message-cell]').allTextContents()).map((t) => t.trim());

describe('event search and unknown senders in a real browser', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    server = await startTestServer();
    const port = server.nms.listeners().find((l) => l.name === 'syslog-udp')!.boundPort!;
    for (const [pri, msg] of LINES) {
      await run('logger', ['-n', '127.0.0.1', '-P', String(port), '--udp', '--rfc3164', '-p', pri, '-t', msg.startsWith('%') ? 'core-sw1' : 'sshd', msg]);
    }
    const admin = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    for (let t = Date.now(); (await admin('GET', '/events?limit=10')).body.items.length < LINES.length; ) {
      if (Date.now() - t > 30_000) throw new Error('the logger lines were not stored');
      await new Promise((r) => setTimeout(r, 50));
    }
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 60_000);

  it('finds stored events by words, phrase, field and type, and by plain text on request', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    try {
      await signInAt(page, server.url, '/events', 'admin', server.adminPassword);
      await page.locator('[data-testid=event-row]').first().waitFor(WAIT);
      const search = async (q: string, opts: { type?: string; plain?: boolean } = {}) => {
        await page.fill('[data-testid=filter-type]', opts.type ?? '');
        await page.setChecked('[data-testid=filter-substring]', opts.plain ?? false);
        await page.fill('[data-testid=filter-text]', q);
        await page.getByTestId('filter-apply').click();
      };

      await search('"changed state to down" GigabitEthernet0/7');
      await expect.poll(() => messages(page), WAIT).toHaveLength(2);
      expect((await messages(page)).every((m) => m.includes('GigabitEthernet0/7'))).toBe(true);

      await search('gigabit*', { type: 'LINK-3-*' });
      await expect.poll(() => messages(page), WAIT).toHaveLength(2);
      expect((await messages(page)).every((m) => m.startsWith('%LINK-3-UPDOWN'))).toBe(true);

      await search('app:sshd publickey');
      await expect.poll(() => messages(page), WAIT).toEqual([LINES[3]![1]]);

      // Words, not substrings: "Ethernet0" is inside a word. As plain text it is found.
      await search('Ethernet0/9');
      await page.getByTestId('no-events').waitFor(WAIT);
      await search('Ethernet0/9', { plain: true });
      await expect.poll(() => messages(page), WAIT).toEqual([LINES[2]![1]]);
      await page.screenshot({ path: `${RESULTS}/event-search.png` });

      // Search syntax a user may type by mistake is an error message, not a server error.
      await search('"');
      await expect.poll(async () => (await page.locator('.notes').textContent()) ?? '', WAIT).toMatch(/Invalid query/);
    } finally {
      await page.context().close();
    }
  });

  it('lists the unknown sender with its count and adds it as a device, after which it leaves the list', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    try {
      await signInAt(page, server.url, '/devices', 'admin', server.adminPassword);
      const sender = page.locator('[data-testid=unknown-sender][data-address="127.0.0.1"]');
      await sender.waitFor(WAIT);
      expect(await sender.textContent()).toContain(String(LINES.length));
      await sender.getByTestId('add-sender').click();
      await page.getByTestId('device-form').waitFor(WAIT);
      expect(await page.inputValue('#dev-address')).toBe('127.0.0.1');
      await page.fill('#dev-name', 'lab-sender');
      await page.getByTestId('save-device').click();
      await page.locator('[data-testid=device-row][data-device-name="lab-sender"]').waitFor(WAIT);
      await expect.poll(() => sender.count(), WAIT).toBe(0);
      await page.reload();
      await page.getByTestId('unknown-senders').waitFor(WAIT);
      await page.locator('[data-testid=device-row][data-device-name="lab-sender"]').waitFor(WAIT);
      expect(await sender.count()).toBe(0);
    } finally {
      await page.context().close();
    }
  });
});
