import { execFile } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { snmprec, startSnmpsim, systemGroup, type SnmprecLine, type SnmpsimHandle } from '../helpers/snmpsim.js';
import { launchChromium, RESULTS } from '../helpers/browser.js';

// Issue 16 in a real browser: a simulated Cisco chassis, its Inventory tab (tree with serials),
// and a module swap that shows up live (socket.io) in the tree and the history.
const WAIT = { timeout: 60_000 };
const ENT = '1.3.6.1.2.1.47.1.1.1.1';

interface Part { index: number; parent: number; cls: number; pos: number; name: string; model?: string; serial?: string; fw?: string }
const entity = (parts: Part[]): SnmprecLine[] =>
  parts.flatMap((p) => [
    snmprec(`${ENT}.2.${p.index}`, 'str', `${p.name} description`),
    snmprec(`${ENT}.4.${p.index}`, 'int', p.parent),
    snmprec(`${ENT}.5.${p.index}`, 'int', p.cls),
    snmprec(`${ENT}.6.${p.index}`, 'int', p.pos),
    snmprec(`${ENT}.7.${p.index}`, 'str', p.name),
    snmprec(`${ENT}.9.${p.index}`, 'str', p.fw ?? ''),
    snmprec(`${ENT}.11.${p.index}`, 'str', p.serial ?? ''),
    snmprec(`${ENT}.12.${p.index}`, 'str', 'Cisco'),
    snmprec(`${ENT}.13.${p.index}`, 'str', p.model ?? ''),
    snmprec(`${ENT}.16.${p.index}`, 'int', p.serial ? 1 : 2),
  ]);
const parts = (moduleSerial: string): Part[] => [
  { index: 1, parent: 0, cls: 3, pos: -1, name: 'Chassis', model: 'WS-C4506-E', serial: 'FOX1234CHAS' },
  { index: 2, parent: 1, cls: 5, pos: 1, name: 'Slot 1' },
  { index: 3, parent: 2, cls: 9, pos: 0, name: 'Supervisor 1', model: 'WS-X45-SUP8-E', serial: moduleSerial, fw: '15.2(1r)' },
  { index: 4, parent: 3, cls: 10, pos: 1, name: 'Te1/1' },
  { index: 5, parent: 4, cls: 9, pos: 0, name: '<img src=x onerror="window.pwned=1">', model: 'SFP-10G-SR', serial: 'AVAGO0001' },
  { index: 6, parent: 1, cls: 6, pos: 1, name: 'Power Supply 1', model: 'PWR-C45-1400AC', serial: 'ART0001PSU' },
  { index: 7, parent: 1, cls: 7, pos: 1, name: 'Fan Tray', model: 'WS-X4596-E', serial: 'FAN0000777' },
];
const recording = (moduleSerial: string) => [
  ...systemGroup({ descr: 'Cisco IOS Software, Catalyst 4500 L3 Switch Software', objectId: '1.3.6.1.4.1.9.1.917', name: 'dist-sw1' }),
  ...entity(parts(moduleSerial)),
];

const snmpget = (community: string, oid: string) =>
  new Promise<string>((resolve) => execFile('snmpget', ['-v2c', '-c', community, '-Oqv', '-t', '2', '-r', '1', `127.0.0.1:${sim.port}`, oid], (err, out) => resolve(err ? '' : out)));

let server: TestServer;
let sim: SnmpsimHandle;
let browser: Browser;

describe('device inventory tab in a real browser', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    sim = await startSnmpsim({ cisco: recording('CAT0000SUP1') });
    server = await startTestServer();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sim?.stop();
  }, 60_000);

  it('shows the chassis tree with models and serials, a swapped module live with its history, and finds it by serial from the device list', async () => {
    const call = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    const dev = await call('POST', '/devices', { name: 'dist-sw1', address: '127.0.0.1', icmpEnabled: false, snmp: { port: sim.port, community: 'cisco' } });
    expect(dev.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/devices/${dev.body.id}`);
      await page.waitForURL(/\/login/, WAIT);
      await page.fill('#login-user', 'admin');
      await page.fill('#login-password', server.adminPassword);
      await page.click('button[type=submit]');
      await page.getByTestId('device-title').filter({ hasText: 'dist-sw1' }).waitFor(WAIT);

      await page.getByTestId('tab-inventory').click();
      await page.waitForURL(/tab=inventory/, WAIT);
      const section = page.getByTestId('device-inventory');
      await section.getByText('Not read yet').waitFor(WAIT);
      await page.getByTestId('inventory-refresh').click();
      await expect.poll(() => page.getByTestId('inventory-row').count(), WAIT).toBe(7);
      // Depth-first: chassis, slot, supervisor, port, transceiver, then PSU and fan under the chassis.
      const rows = page.getByTestId('inventory-row');
      expect(await rows.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-index')}@${e.getAttribute('data-depth')}`))).toEqual(['1@0', '2@1', '3@2', '4@3', '5@4', '6@1', '7@1']);
      const serials = await page.getByTestId('inventory-serial').allTextContents();
      expect(serials).toEqual(expect.arrayContaining(['FOX1234CHAS', 'CAT0000SUP1', 'AVAGO0001', 'ART0001PSU', 'FAN0000777']));
      const table = (await page.getByTestId('inventory-table').textContent()) ?? '';
      expect(table).toContain('WS-X45-SUP8-E');
      expect(table).toContain('FW 15.2(1r)');
      expect(table).toContain('Power supply');
      // A name from the device is text, never markup.
      expect(table).toContain('<img src=x onerror="window.pwned=1">');
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      await page.screenshot({ path: `${RESULTS}/device-inventory.png`, fullPage: true });

      // The supervisor is swapped; a refresh from elsewhere (the API) reaches this page over socket.io.
      await new Promise((r) => setTimeout(r, 1100));
      sim.write('cisco', recording('CAT9999SUP2'));
      // snmpsimd picks a rewritten recording up on its own time: wait until it serves the new serial.
      await expect.poll(() => snmpget('cisco', `${ENT}.11.3`), WAIT).toContain('CAT9999SUP2');
      expect((await call('POST', `/devices/${dev.body.id}/inventory/refresh`)).body.collected).toBe(true);
      await expect.poll(() => page.getByTestId('inventory-serial').allTextContents(), WAIT).toContain('CAT9999SUP2');
      await page.getByTestId('inventory-view-history').click();
      const history = page.getByTestId('inventory-history-row');
      await expect.poll(() => history.count(), WAIT).toBe(1);
      expect(await history.first().textContent()).toContain('serial CAT0000SUP1 → CAT9999SUP2');
      await page.screenshot({ path: `${RESULTS}/device-inventory-history.png`, fullPage: true });

      // The filter finds a serial and keeps its path.
      await page.getByTestId('inventory-view-tree').click();
      await page.getByTestId('inventory-filter').fill('avago');
      await expect.poll(() => rows.count(), WAIT).toBe(5);

      // Where is that supervisor now? The fleet search on the device list finds it by part of its serial.
      await page.goto(`${server.url}/devices`);
      await page.getByTestId('hardware-search-text').fill('9999sup');
      await page.getByTestId('hardware-search-go').click();
      const hit = page.getByTestId('hardware-hit');
      await expect.poll(() => hit.count(), WAIT).toBe(1);
      expect(await hit.textContent()).toContain('CAT9999SUP2');
      await hit.getByRole('link', { name: 'dist-sw1' }).click();
      await page.waitForURL(/\/devices\/\d+\?tab=inventory$/, WAIT);
      await expect.poll(() => page.getByTestId('inventory-row').count(), WAIT).toBe(7);
    } finally {
      await context.close();
    }
  });
});
