import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { snmprec, startSnmpsim, type SnmpsimHandle } from '../helpers/snmpsim.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';
import { CISCO_CPUS, CISCO_ENTITIES, CISCO_TEMPS, ciscoRecording } from '../fixtures/vendors/cisco.js';
import { ENT_PHYSICAL } from '../fixtures/vendors/common.js';

// Issue 16's acceptance path in a real browser: add a simulated Cisco switch (snmpsimd serving a
// Catalyst 9300 recording with CISCO-PROCESS-MIB, CISCO-ENVMON-MIB and ENTITY-MIB), poll it, and
// see its CPU and temperatures on the device page and its hardware on the Inventory tab.
const WAIT = { timeout: 60_000 };
const SERIALS = new Map([
  [1000, 'FOC2301X0AB'],
  [2000, 'FOC2301X0CD'],
  [1010, 'DTN2305V1EF'],
]);

let server: TestServer;
let sim: SnmpsimHandle;
let browser: Browser;

describe('a simulated Cisco switch in a real browser', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    // The recording's ENTITY-MIB rows get what an inventory needs: containment, serials, models.
    const extra = CISCO_ENTITIES.flatMap((e) => [
      snmprec(`${ENT_PHYSICAL}.4.${e.index}`, 'int', e.index === 1 ? 0 : e.index === 1010 ? 1000 : 1),
      snmprec(`${ENT_PHYSICAL}.11.${e.index}`, 'str', SERIALS.get(e.index) ?? ''),
      snmprec(`${ENT_PHYSICAL}.13.${e.index}`, 'str', e.index === 1010 ? 'PWR-C1-715WAC' : e.index === 1 ? '' : 'C9300-48P'),
    ]);
    sim = await startSnmpsim({ c9300: [...ciscoRecording({ name: 'c9300-stack' }), ...extra] });
    server = await startTestServer();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sim?.stop();
  }, 60_000);

  it('shows CPU per switch, temperatures with their state, and the chassis inventory with serials', async () => {
    const call = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    const dev = await call('POST', '/devices', { name: 'c9300-stack', address: '127.0.0.1', icmpEnabled: false, snmp: { port: sim.port, community: 'c9300' } });
    expect(dev.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    const page = await context.newPage();
    try {
      await signInAt(page, server.url, `/devices/${dev.body.id}`, 'admin', server.adminPassword);
      await page.getByTestId('poll-now').click();
      await expect.poll(() => page.getByTestId('poll-now').textContent(), WAIT).toContain('Poll now');

      // CPU (CISCO-PROCESS-MIB), one instance per switch of the stack, named through entPhysicalName.
      const cpu = page.getByTestId('health-template-cisco-process');
      await cpu.waitFor(WAIT);
      const sw2 = CISCO_CPUS.find((c) => c.label === 'Switch 2')!;
      const sw2Row = cpu.locator('[data-testid=health-instance][data-label="Switch 2"]');
      await expect.poll(async () => (await sw2Row.textContent())?.replace(/\s+/g, ' '), WAIT).toContain(`cpu.load5min ${sw2.fiveMinRev}`);
      // Temperatures (CISCO-ENVMON-MIB) with value and state.
      const env = page.getByTestId('health-template-cisco-envmon');
      await env.waitFor(WAIT);
      const inlet = CISCO_TEMPS[0]!;
      const inletRow = env.locator(`[data-testid=health-instance][data-label="${inlet.descr}"]`);
      await expect.poll(async () => (await inletRow.textContent())?.replace(/\s+/g, ' '), WAIT).toContain(`sensor.temperature ${inlet.value} C`);
      await page.screenshot({ path: `${RESULTS}/cisco-health.png`, fullPage: true });

      // The HotSpot sensor's state is critical in the recording: the template's threshold raised an alarm.
      await expect
        .poll(async () => ((await call('GET', `/alarms?device=${dev.body.id}&state=open`)).body.items ?? []).map((a: { title: string }) => a.title).join('\n'), WAIT)
        .toMatch(/HotSpot/);

      // Inventory tab: the chassis tree with models and serials.
      await page.getByTestId('tab-inventory').click();
      await page.waitForURL(/tab=inventory/, WAIT);
      await page.getByTestId('device-inventory').waitFor(WAIT);
      await expect.poll(() => page.getByTestId('inventory-serial').allTextContents(), WAIT).toEqual(expect.arrayContaining([...SERIALS.values()]));
      const table = (await page.getByTestId('inventory-table').textContent()) ?? '';
      expect(table).toContain('PWR-C1-715WAC');
      expect(table).toContain('Switch 2');
      await page.screenshot({ path: `${RESULTS}/cisco-inventory.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });
});
