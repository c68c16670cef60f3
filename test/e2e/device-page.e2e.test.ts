import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startSnmpd, type SnmpdHandle } from '../helpers/snmpd.js';
import { launchChromium, RESULTS } from '../helpers/browser.js';

// Issue 3 in a real browser: add the real snmpd from the console, poll it,
// see its interfaces and a graph with points.
const WAIT = { timeout: 60_000 };

let server: TestServer;
let agent: SnmpdHandle;
let browser: Browser;

describe('device page in a real browser', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    agent = await startSnmpd({ sysName: 'e2e-snmpd' });
    server = await startTestServer();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await agent?.stop();
  }, 60_000);

  it('adds the snmpd device from the console, polls it, and shows interfaces and a graph with points', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/devices`);
      await page.waitForURL(/\/login/, WAIT);
      await page.fill('#login-user', 'admin');
      await page.fill('#login-password', server.adminPassword);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/devices$/, WAIT);

      await page.getByTestId('add-device').click();
      await page.fill('#dev-name', 'lab-snmpd');
      await page.fill('#dev-address', '127.0.0.1');
      await page.fill('#dev-snmp-port', String(agent.port));
      await page.fill('#dev-snmp-community', agent.community);
      await page.getByTestId('save-device').click();
      const row = page.locator('[data-testid=device-row][data-device-name="lab-snmpd"]');
      await row.waitFor(WAIT);
      expect(await page.getByTestId('snmp-version-summary').textContent()).toContain('v2c 1');

      await row.getByTestId('device-link').click();
      await page.waitForURL(/\/devices\/\d+$/, WAIT);
      await page.getByTestId('device-title').filter({ hasText: 'lab-snmpd' }).waitFor(WAIT);
      // Two polls a second apart: the second gives rates, so graphs get points.
      await page.getByTestId('poll-now').click();
      await page.getByTestId('interface-row').first().waitFor(WAIT);
      await expect.poll(() => page.getByTestId('system-info').textContent(), WAIT).toContain('e2e-snmpd');
      // A custom OID by MIB name (a scalar: its .0 is implied), polled from the next poll on.
      const custom = page.getByTestId('custom-oids');
      await custom.getByLabel('OID or MIB name').fill('HOST-RESOURCES-MIB::hrSystemProcesses');
      await custom.getByRole('button', { name: 'Add OID' }).click();
      await expect.poll(() => custom.getByTestId('custom-oid-hrSystemProcesses.0').textContent(), WAIT).toContain('1.3.6.1.2.1.25.1.6.0');
      await custom.getByLabel('OID or MIB name').fill('NO-SUCH-MIB::nothing');
      await custom.getByRole('button', { name: 'Add OID' }).click();
      await custom.getByText('unknown MIB name').waitFor(WAIT);
      await page.waitForTimeout(1100);
      await page.getByTestId('poll-now').click();
      await expect.poll(() => page.getByTestId('poll-now').textContent(), WAIT).toContain('Poll now');
      const customChart = page.locator('[data-testid=metric-chart]', { hasText: 'hrSystemProcesses.0' });
      await customChart.waitFor(WAIT);
      expect(Number(await customChart.getAttribute('data-points'))).toBeGreaterThan(0);
      expect(await page.getByTestId('interface-table').textContent()).toContain('lo');
      const chart = page.getByTestId('metric-chart').first();
      await chart.waitFor(WAIT);
      expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(0);
      expect(await page.locator('[data-testid=metric-chart] canvas').count()).toBeGreaterThan(0);
      // The list shows the polled state too.
      await page.screenshot({ path: `${RESULTS}/device-page.png`, fullPage: true });
      // Removing a custom OID asks first; confirmed, it leaves the list.
      await custom.getByRole('button', { name: 'Stop polling hrSystemProcesses.0' }).click();
      await page.getByText('Stop polling hrSystemProcesses.0?').waitFor(WAIT);
      expect(await custom.getByTestId('custom-oid-hrSystemProcesses.0').count()).toBe(1);
      await page.getByTestId('confirm').click();
      await custom.getByTestId('custom-oid-hrSystemProcesses.0').waitFor({ ...WAIT, state: 'detached' });
      await page.goto(`${server.url}/devices`);
      await expect.poll(() => row.getByTestId('device-state').textContent(), WAIT).toContain('up');
    } finally {
      await context.close();
    }
  });
});
