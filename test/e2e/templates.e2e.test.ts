import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { startSnmpd, type SnmpdHandle } from '../helpers/snmpd.js';
import { snmprec, startSnmpsim, systemGroup, type SnmpsimHandle } from '../helpers/snmpsim.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';

// Issue 16 in a real browser: a simulated switch's ENTITY-SENSOR instances on the device page
// with a per-instance graph; "Poll this table" from the OID dictionary creates a collection
// whose per-instance graph appears on the device page.
const WAIT = { timeout: 60_000 };
const SENSOR = '1.3.6.1.2.1.99.1.1.1';
const PHYS_NAME = '1.3.6.1.2.1.47.1.1.1.1.7';

let server: TestServer;
let agent: SnmpdHandle;
let sim: SnmpsimHandle;
let browser: Browser;
let call: ReturnType<typeof apiClient>;

const sensor = (index: number, type: number, scale: number, precision: number, value: number, name: string) => [
  snmprec(`${SENSOR}.1.${index}`, 'int', type),
  snmprec(`${SENSOR}.2.${index}`, 'int', scale),
  snmprec(`${SENSOR}.3.${index}`, 'int', precision),
  snmprec(`${SENSOR}.4.${index}`, 'int', value),
  snmprec(`${SENSOR}.5.${index}`, 'int', 1),
  snmprec(`${PHYS_NAME}.${index}`, 'str', name),
];

describe('collection templates in a real browser', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    agent = await startSnmpd({ sysName: 'e2e-hr' });
    sim = await startSnmpsim({
      sw: [
        ...systemGroup({ descr: 'Cisco IOS Software', objectId: '1.3.6.1.4.1.9.1.516', name: 'e2e-switch' }),
        ...sensor(1001, 8, 9, 1, 423, 'Inlet temperature'),
        ...sensor(1002, 10, 9, 0, 6200, 'Fan 1'),
        ...sensor(1003, 14, 8, 0, -2310, 'Te1/0/1 Rx power'),
      ],
    });
    server = await startTestServer();
    call = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    for (let i = 0; i < 300 && !(await call('GET', '/oids/HOST-RESOURCES-MIB::hrStorageTable')).body?.found; i++) await new Promise((r) => setTimeout(r, 100));
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await agent?.stop();
    await sim?.stop();
  }, 60_000);

  it('shows sensor instances with their values and a per-instance graph', async () => {
    const dev = (await call('POST', '/devices', { name: 'e2e-switch', address: '127.0.0.1', icmpEnabled: false, snmp: { port: sim.port, community: 'sw' } })).body;
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    const page = await context.newPage();
    try {
      await signInAt(page, server.url, `/devices/${dev.id}`, 'admin', server.adminPassword);
      await page.getByTestId('poll-now').click();
      const health = page.getByTestId('health-template-entity-sensor');
      await health.waitFor(WAIT);
      const inlet = health.locator('[data-testid=health-instance][data-label="Inlet temperature"]');
      await expect.poll(() => inlet.textContent(), WAIT).toContain('42.3');
      expect(await inlet.textContent()).toContain('sensor.temperature');
      expect((await health.locator('[data-testid=health-instance][data-label="Te1/0/1 Rx power"]').textContent())?.replace(/\s+/g, ' ')).toContain('sensor.optical -2.31 dBm');
      expect((await health.locator('[data-testid=health-instance][data-label="Fan 1"]').textContent())?.replace(/\s+/g, ' ')).toContain('sensor.fan 6200 rpm');
      await page.waitForTimeout(1100);
      await page.getByTestId('poll-now').click();
      await expect.poll(() => page.getByTestId('poll-now').textContent(), WAIT).toContain('Poll now');
      await inlet.getByTestId('instance-graph').click();
      const chart = page.getByTestId('instance-charts').locator('[data-testid=metric-chart]', { hasText: 'Inlet temperature: sensor.temperature' });
      await chart.waitFor(WAIT);
      await expect.poll(async () => Number(await chart.getAttribute('data-points')), WAIT).toBeGreaterThanOrEqual(2);
      await page.screenshot({ path: `${RESULTS}/device-sensors.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('"Poll this table" in the OID dictionary creates the collection, and its per-instance graph appears on the device page', async () => {
    const dev = (await call('POST', '/devices', { name: 'e2e-hr', address: '127.0.0.1', icmpEnabled: false, snmp: { port: agent.port, community: agent.community } })).body;
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    const page = await context.newPage();
    try {
      await signInAt(page, server.url, '/oid-dictionary', 'admin', server.adminPassword);
      await page.getByTestId('oid-search').fill('hrStorageTable');
      await page.locator('[data-testid=oid-search-hit][data-name="hrStorageTable"]').first().click();
      await expect.poll(() => page.getByTestId('oid-details-name').textContent(), WAIT).toBe('hrStorageTable');
      await page.getByTestId('poll-table-open').click();
      await page.getByTestId('poll-table-target').selectOption({ label: 'e2e-hr' });
      await page.getByTestId('poll-table-submit').click();
      await expect.poll(() => page.getByTestId('poll-table-done').textContent(), WAIT).toContain('table-hrstorageentry-d');
      await page.getByTestId('poll-table-done').getByRole('link', { name: 'Open the device' }).click();
      await page.waitForURL(new RegExp(`/devices/${dev.id}$`), WAIT);
      await page.getByTestId('poll-now').click();
      await expect.poll(() => page.getByTestId('poll-now').textContent(), WAIT).toContain('Poll now');
      await page.waitForTimeout(1100);
      await page.getByTestId('poll-now').click();
      await expect.poll(() => page.getByTestId('poll-now').textContent(), WAIT).toContain('Poll now');
      const tpl = page.locator('[data-testid^=health-template-table-hrstorageentry-d]');
      await tpl.waitFor(WAIT);
      const mem = tpl.locator('[data-testid=health-instance][data-label="Physical memory"]');
      await expect.poll(() => mem.textContent(), WAIT).toContain('hrStorageUsed');
      await mem.getByTestId('instance-graph').click();
      const chart = page.getByTestId('instance-charts').locator('[data-testid=metric-chart]', { hasText: 'Physical memory: hrStorageUsed' });
      await chart.waitFor(WAIT);
      await expect.poll(async () => Number(await chart.getAttribute('data-points')), WAIT).toBeGreaterThanOrEqual(2);
      // The Templates page lists it as a custom template for the device.
      await page.goto(`${server.url}/templates`);
      const row = page.locator('[data-testid^=template-row-table-hrstorageentry-d]');
      await expect.poll(() => row.textContent(), WAIT).toContain('custom');
      expect(await page.getByTestId('template-row-entity-sensor').textContent()).toContain('file entity-sensor.yaml');
      // A custom template written in the console: the server's problems are listed with their paths, then it saves.
      await page.getByTestId('template-new').click();
      await page.getByTestId('template-text').fill('id: e2e-custom\nname: E2E\nscalars:\n  - { name: e2e.uptime, oid: 1.3.6.1.2.1.1.3.x }\n');
      await page.getByTestId('template-save').click();
      await expect.poll(() => page.getByTestId('template-problems').textContent(), WAIT).toContain('scalars.0.oid');
      await page.getByTestId('template-text').fill('id: e2e-custom\nname: E2E\nscalars:\n  - { name: e2e.uptime, oid: 1.3.6.1.2.1.1.3.0 }\n');
      await page.getByTestId('template-save').click();
      await expect.poll(() => page.getByTestId('template-row-e2e-custom').textContent(), WAIT).toContain('custom');
      await page.screenshot({ path: `${RESULTS}/templates-page.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });
});
