import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { NormalizedEvent } from '../../server/contracts/events.js';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';

// The event console in a real Chromium against the real server: events published
// into the running server (and, when its listeners are bound, a real trap and a
// real syslog line) appear without a reload; filters, details, pause; network text
// is shown as text and never runs.
const WAIT = { timeout: 60_000 };
const run = promisify(execFile);
const XSS = '<img src=x onerror=window.__xss=1>';

let server: TestServer;
let browser: Browser;

function publish(e: Partial<NormalizedEvent> & Pick<NormalizedEvent, 'message'>): void {
  server.nms.bus.publish('event.received', {
    receivedAt: Date.now(),
    reportedAt: null,
    source: 'syslog',
    sourceAddress: '192.0.2.10',
    deviceId: null,
    severity: 'info',
    type: 'e2e',
    params: {},
    ...e,
  });
}

async function signIn(page: Page): Promise<void> {
  await signInAt(page, server.url, '/events', 'admin', server.adminPassword);
  await page.locator('[data-testid=connection][data-state=connected]').waitFor(WAIT);
  // History loaded (empty or not): from now on new events come over the socket.
  await page.locator('[data-testid=no-events], [data-testid=event-list]').first().waitFor(WAIT);
}

const row = (page: Page, text: string) => page.locator('[data-testid=event-row]', { hasText: text });

describe('event console in a real browser', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 60_000);

  it('shows new events live, newest first, as text; filters narrow live and stored events; details show params', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page);

      publish({
        message: `e2e-syslog ${XSS}`,
        severity: 'warning',
        type: 'e2e-app',
        params: { appName: 'e2e-app', hostname: '<b>host</b>', structuredData: { 'origin@32473': { ip: '192.0.2.10', note: '<script>window.__xss=2</script>' } } },
      });
      await row(page, 'e2e-syslog').waitFor(WAIT);
      publish({
        source: 'trap',
        severity: 'major',
        type: '1.3.6.1.6.3.1.1.5.3',
        message: 'e2e-linkDown ifIndex 3',
        params: { trapOid: '1.3.6.1.6.3.1.1.5.3', version: '2c', varbinds: [{ oid: '1.3.6.1.2.1.2.2.1.1.3', type: 'Integer', value: 3 }] },
      });
      await row(page, 'e2e-linkDown').waitFor(WAIT);

      // Newest first; the message is literal text and nothing ran.
      const order = await page.locator('[data-testid=event-message-cell]').allTextContents();
      expect(order.findIndex((t) => t.includes('e2e-linkDown'))).toBeLessThan(order.findIndex((t) => t.includes('e2e-syslog')));
      expect(await row(page, 'e2e-syslog').locator('[data-testid=event-message-cell]').textContent()).toContain(XSS);
      expect(await page.locator('[data-testid=event-list] img').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

      // Details: varbinds of the trap (named from the loaded MIBs), structured data of the syslog message, as text.
      const admin = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
      await expect.poll(async () => (await admin('GET', '/oids/1.3.6.1.2.1.2.2.1.1.3')).status, WAIT).toBe(200);
      await row(page, 'e2e-linkDown').click();
      const details = page.getByTestId('event-details');
      await details.getByTestId('varbinds').waitFor(WAIT);
      expect(await details.getByTestId('varbinds').textContent()).toContain('1.3.6.1.2.1.2.2.1.1.3');
      await expect.poll(() => details.getByTestId('varbinds').textContent(), WAIT).toContain('IF-MIB::ifIndex.3');
      await expect.poll(() => details.getByTestId('type-label').textContent(), WAIT).toContain('linkDown');
      await row(page, 'e2e-syslog').click();
      await details.getByTestId('structured-data').waitFor(WAIT);
      const sd = (await details.getByTestId('structured-data').textContent()) ?? '';
      expect(sd).toContain('origin@32473');
      expect(sd).toContain('<script>window.__xss=2</script>');
      expect(await details.getByTestId('event-message').textContent()).toContain(XSS);
      expect(await details.getByTestId('event-params').textContent()).toContain('<b>host</b>');
      expect(await page.locator('[data-testid=event-details] img, [data-testid=event-details] b').count()).toBe(0);
      await page.screenshot({ path: `${RESULTS}/events-details.png` });

      // The sender is unknown: add it as a device from the event; new events from it carry the device.
      await details.getByTestId('add-as-device').click();
      await page.getByTestId('device-form').waitFor(WAIT);
      expect(await page.inputValue('#dev-address')).toBe('192.0.2.10');
      await page.fill('#dev-name', 'e2e-sender');
      await page.getByTestId('save-device').click();
      await page.getByText('Added e2e-sender.').waitFor(WAIT);
      const devices = (await admin('GET', '/devices')).body.items as { id: number; name: string; address: string }[];
      const added = devices.find((d) => d.name === 'e2e-sender');
      expect(added?.address).toBe('192.0.2.10');
      await page.getByRole('button', { name: 'Close details' }).click();

      // Source filter: only traps, from history and live.
      await page.getByTestId('source-trap').click();
      await expect.poll(() => row(page, 'e2e-syslog').count(), WAIT).toBe(0);
      await row(page, 'e2e-linkDown').waitFor(WAIT);
      publish({ message: 'e2e-filtered-out syslog', severity: 'critical' });
      publish({ source: 'trap', severity: 'minor', type: '1.3.6.1.4.1.99.0.1', message: 'e2e-second-trap' });
      await row(page, 'e2e-second-trap').waitFor(WAIT);
      expect(await row(page, 'e2e-filtered-out').count()).toBe(0);

      // Severity filter on top: major or worse.
      await page.getByTestId('filter-severity').selectOption('major');
      await expect.poll(() => row(page, 'e2e-second-trap').count(), WAIT).toBe(0);
      await row(page, 'e2e-linkDown').waitFor(WAIT);

      // Clear, then text search (stored events come back from the server).
      await page.getByRole('button', { name: 'Clear', exact: true }).click();
      await row(page, 'e2e-filtered-out').waitFor(WAIT);
      await page.getByTestId('filter-text').fill('second-trap');
      await page.getByTestId('filter-text').press('Enter');
      await expect.poll(() => page.locator('[data-testid=event-row]').count(), WAIT).toBe(1);
      await row(page, 'e2e-second-trap').waitFor(WAIT);
      await page.getByRole('button', { name: 'Clear', exact: true }).click();
      await row(page, 'e2e-syslog').waitFor(WAIT);

      // Pause holds new events back and counts them; resume shows them.
      await page.getByTestId('pause').click();
      publish({ message: 'e2e-while-paused' });
      await expect.poll(() => page.getByTestId('held-count').textContent(), WAIT).toMatch(/Paused · [1-9]\d* new/);
      expect(await row(page, 'e2e-while-paused').count()).toBe(0);
      await page.getByTestId('pause').click();
      await row(page, 'e2e-while-paused').waitFor(WAIT);
      await page.screenshot({ path: `${RESULTS}/events-live.png` });
    } finally {
      await context.close();
    }
  });

  it('shows a real trap (snmptrap) and a real syslog line (logger) live, the message as text', async () => {
    const health = (await apiClient(server.url)('GET', '/health')).body as { ports: { trap: number | null; syslog: number | null } };
    expect(health.ports.trap).not.toBeNull();
    expect(health.ports.syslog).not.toBeNull();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page);
      await run('snmptrap', ['-v2c', '-c', 'public', `127.0.0.1:${health.ports.trap}`, '', '1.3.6.1.6.3.1.1.5.3', '1.3.6.1.2.1.2.2.1.1.3', 'i', '3']);
      const trap = row(page, 'linkDown (1.3.6.1.6.3.1.1.5.3)').first();
      await trap.waitFor(WAIT);
      expect(await trap.textContent()).toContain('127.0.0.1');
      await run('logger', ['-n', '127.0.0.1', '-P', String(health.ports.syslog), '--udp', '--rfc5424', `e2e-real ${XSS}`]);
      const r = row(page, 'e2e-real').first();
      await r.waitFor(WAIT);
      expect(await r.locator('[data-testid=event-message-cell]').textContent()).toContain(XSS);
      expect(await page.locator('[data-testid=event-list] img').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      await r.click();
      expect(await page.getByTestId('event-message').textContent()).toContain(XSS);
      expect(await page.locator('[data-testid=event-details] img').count()).toBe(0);
      await page.screenshot({ path: `${RESULTS}/events-real.png` });
    } finally {
      await context.close();
    }
  });

  it('shows a structured-data element named __proto__ (the issue 13 datagram) as ordinary data, live and after a reload', async () => {
    const health = (await apiClient(server.url)('GET', '/health')).body as { ports: { syslog: number } };
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page);
      const s = dgram.createSocket('udp4');
      const line = '<14>1 2026-12-06T00:00:00Z h app - - [__proto__ user="x" role="admin"][constructor name="y"] e2e-proto-sd';
      await new Promise<void>((res, rej) => s.send(Buffer.from(line), health.ports.syslog, '127.0.0.1', (err) => (err ? rej(err) : res())));
      s.close();
      const check = async () => {
        await row(page, 'e2e-proto-sd').first().click();
        const sd = page.getByTestId('event-details').getByTestId('structured-data');
        await sd.waitFor(WAIT);
        const rows = await sd.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent?.trim())));
        expect(rows).toEqual([['__proto__', 'user', 'x'], ['__proto__', 'role', 'admin'], ['constructor', 'name', 'y']]);
        expect((({}) as Record<string, unknown>).user).toBeUndefined(); // the server runs in this process
      };
      await row(page, 'e2e-proto-sd').first().waitFor(WAIT); // live, over socket.io
      await check();
      await page.reload();
      await row(page, 'e2e-proto-sd').first().waitFor(WAIT); // from the store, over the API
      await check();
      expect(await page.evaluate(() => (({}) as Record<string, unknown>).user ?? null)).toBeNull();
      await page.screenshot({ path: `${RESULTS}/events-proto-sd.png` });
    } finally {
      await context.close();
    }
  });

  it('loads older events page by page while scrolling', async () => {
    const admin = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    const now = Date.now();
    for (let i = 0; i < 700; i++) publish({ message: `e2e-bulk ${i}`, receivedAt: now + i });
    await expect.poll(async () => (await admin('GET', '/events?q=e2e-bulk&limit=1000')).body.items.length, WAIT).toBe(700);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page);
      await page.getByTestId('filter-text').fill('e2e-bulk');
      await page.getByTestId('filter-text').press('Enter');
      await expect.poll(() => page.getByTestId('event-count').textContent(), WAIT).toContain('500 shown');
      // Only the rows in view are in the DOM.
      expect(await page.locator('[data-testid=event-row]').count()).toBeLessThan(100);
      for (let i = 0; i < 30 && !((await page.getByTestId('event-count').textContent()) ?? '').includes('700 shown'); i++) {
        await page.getByTestId('event-list').evaluate((el) => el.scrollTo(0, el.scrollHeight));
        await page.waitForTimeout(500);
      }
      await expect.poll(() => page.getByTestId('event-count').textContent(), WAIT).toContain('700 shown');
      // The oldest is at the very bottom.
      await expect
        .poll(async () => {
          await page.getByTestId('event-list').evaluate((el) => el.scrollTo(0, el.scrollHeight));
          return page.locator('[data-testid=event-row]').last().textContent();
        }, WAIT)
        .toContain('e2e-bulk 0');
      await page.screenshot({ path: `${RESULTS}/events-scrolled.png` });
    } finally {
      await context.close();
    }
  });
});
