import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';

// Alerts from Alertmanager's webhook in the console, in a real Chromium: the event appears live with
// source Alertmanager, its details show labels and annotations as tables of text (alert data from
// the network never becomes HTML), and the alarm appears on the alarm list.
const WAIT = { timeout: 60_000 };
const TOKEN = 'e2e-alertmanager-token-0123456';
const XSS = '<img src=x onerror=window.__xss=1>';

let server: TestServer;
let browser: Browser;

async function hook(alerts: unknown[]): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/intake/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ version: '4', status: 'firing', receiver: 'netwatch', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, alerts }),
  });
  return res.status;
}

const row = (page: Page, text: string) => page.locator('[data-testid=event-row]', { hasText: text });

describe('Alertmanager alerts in the console', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    server = await startTestServer({ env: { NMS_ALERTMANAGER_TOKEN: TOKEN } });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 60_000);

  it('shows a firing alert live as an event with its labels and annotations as text, and as an alarm', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    try {
      await signInAt(page, server.url, '/events', 'admin', server.adminPassword);
      await page.locator('[data-testid=connection][data-state=connected]').waitFor(WAIT);
      await page.locator('[data-testid=no-events], [data-testid=event-list]').first().waitFor(WAIT);

      // `__proto__` as an own key needs JSON text: an object literal would set the prototype instead.
      const labels: unknown = JSON.parse(`{"alertname":"KubePodCrashLooping","severity":"critical","namespace":"payments","pod":${JSON.stringify(XSS)},"__proto__":"still-data"}`);
      const alert = { status: 'firing', labels, annotations: { summary: `pod ${XSS} restarting`, runbook_url: 'javascript:window.__xss=2' }, fingerprint: 'eeee000000000001' };
      expect(await hook([alert])).toBe(200);

      await row(page, 'KubePodCrashLooping').waitFor(WAIT);
      await row(page, 'KubePodCrashLooping').click();
      const details = page.getByTestId('event-details');
      await details.getByTestId('alert-labels').waitFor(WAIT);
      const labelText = (await details.getByTestId('alert-labels').textContent()) ?? '';
      expect(labelText).toContain('namespace');
      expect(labelText).toContain('payments');
      expect(labelText).toContain(XSS);
      expect(labelText).toContain('__proto__');
      expect(labelText).toContain('still-data');
      expect(await details.getByTestId('alert-annotations').textContent()).toContain('javascript:window.__xss=2');
      expect(await details.textContent()).toContain('Alertmanager');
      expect(await details.getByTestId('no-device').textContent()).toContain('no device matches its labels');
      expect(await page.locator('[data-testid=event-details] img, [data-testid=event-details] a[href^="javascript"]').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      await page.screenshot({ path: `${RESULTS}/alertmanager-event-details.png` });

      const admin = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
      const alarms = (await admin('GET', '/alarms')).body.items as { reductionKey: string; severity: string }[];
      expect(alarms.find((a) => a.reductionKey === 'alertmanager:eeee000000000001')?.severity).toBe('critical');
      await page.goto(`${server.url}/alarms`);
      await page.getByText(`KubePodCrashLooping: pod ${XSS} restarting`).first().waitFor(WAIT);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    } finally {
      await context.close();
    }
  });

  it("shows a node's alert on its device page, live, and takes it off when the alert resolves", async () => {
    const admin = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    const dev = await admin('POST', '/devices', { name: 'e2e-k8s-node', address: '127.0.0.90', icmpEnabled: false });
    expect(dev.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    try {
      await signInAt(page, server.url, `/devices/${dev.body.id}`, 'admin', server.adminPassword);
      await page.getByTestId('device-alarms').waitFor(WAIT);
      await page.locator('[data-testid=connection][data-state=connected]').waitFor(WAIT);
      const labels = { alertname: 'NodeDiskPressure', instance: '127.0.0.90:9100', severity: 'warning' };
      const alert = { status: 'firing', labels, annotations: { summary: 'disk 97 %' }, fingerprint: 'eeee000000000002' };
      expect(await hook([alert])).toBe(200);
      const rowOnPage = page.locator('[data-testid=device-alarm-row]', { hasText: 'NodeDiskPressure: disk 97 %' });
      await rowOnPage.waitFor(WAIT);
      expect(await rowOnPage.textContent()).toContain('Alertmanager');
      await page.screenshot({ path: `${RESULTS}/alertmanager-device-page.png` });
      expect(await hook([{ ...alert, status: 'resolved', endsAt: new Date().toISOString() }])).toBe(200);
      await expect.poll(() => rowOnPage.count(), WAIT).toBe(0);
    } finally {
      await context.close();
    }
  });
});
