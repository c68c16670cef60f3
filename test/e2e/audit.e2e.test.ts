import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';

// Settings → Audit log in a real Chromium: an operator's change made through the API
// shows up for the admin with user, source address and the field that changed.
const WAIT = { timeout: 60_000 };
const OPERATOR = { username: 'audit-operator', password: 'operator-password-1' };

let server: TestServer;
let browser: Browser;

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await signInAt(page, server.url, '/settings', username, password);
}

describe('audit log page', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    server = await startTestServer();
    const admin = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    expect((await admin('POST', '/users', { ...OPERATOR, role: 'operator' })).status).toBe(201);
    const op = apiClient(server.url, (await login(server.url, OPERATOR.username, OPERATOR.password)).token);
    const d = await op('POST', '/devices', { name: 'edge-r1', address: '127.0.0.61', snmp: { community: 'edge-secret-community' } });
    expect(d.status).toBe(201);
    expect((await op('PATCH', `/devices/${d.body.id}`, { pollIntervalSec: 300 })).status).toBe(200);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 60_000);

  it('shows the admin who changed which device from where, and what changed, without secrets', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    try {
      await signIn(page, 'admin', server.adminPassword);
      const section = page.getByTestId('audit-section');
      await section.waitFor(WAIT);
      const row = section.getByTestId('audit-device.update');
      await row.waitFor(WAIT);
      await expect(row.textContent()).resolves.toMatch(/audit-operator.*operator.*127\.0\.0\.1.*Updated device.*edge-r1.*200/s);
      await row.click();
      const changes = section.getByTestId('audit-changes');
      await changes.waitFor(WAIT);
      await expect(changes.textContent()).resolves.toMatch(/pollIntervalSec\s*60\s*300/);
      expect(await section.textContent()).not.toContain('edge-secret-community');

      await section.getByLabel('Filter by user').fill('admin');
      await section.getByRole('button', { name: 'Apply' }).click();
      // The admin's user.create row is in the unfiltered list too: wait for the operator's row to go (the filtered
      // answer arrived), then check the admin's row is still there.
      await section.getByTestId('audit-device.update').waitFor({ ...WAIT, state: 'detached' });
      await section.getByTestId('audit-user.create').waitFor(WAIT);
      expect(await section.getByTestId('audit-device.update').count()).toBe(0);
      await page.screenshot({ path: `${RESULTS}/audit-log.png`, fullPage: true });
    } finally {
      await page.context().close();
    }
  });

  it('is not shown to an operator', async () => {
    const page = await (await browser.newContext()).newPage();
    try {
      await signIn(page, OPERATOR.username, OPERATOR.password);
      await page.getByTestId('tokens-section').waitFor(WAIT);
      expect(await page.getByTestId('audit-section').count()).toBe(0);
    } finally {
      await page.context().close();
    }
  });
});
