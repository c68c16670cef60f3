import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { CRC_ERRORS_1, RMON_ALARM as A, rmonProbe } from '../helpers/rmon-probe.js';
import { startSnmpsim, type SnmpsimHandle } from '../helpers/snmpsim.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';
import { run } from '../integration/collectors/collector-helpers.js';

// RMON in a real browser: an snmpsim RMON probe, a risingAlarm sent with real snmptrap; the device
// page's RMON card shows the open alarm, then (read on demand) the alarm and event tables and a
// history chart with points, the firing row marked.
const WAIT = { timeout: 60_000 };

let server: TestServer;
let sim: SnmpsimHandle;
let browser: Browser;
let persist: string;
let deviceId: number;

describe('RMON card in a real browser', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    sim = await startSnmpsim({ rmonprobe: rmonProbe('e2e-probe') });
    server = await startTestServer();
    browser = await launchChromium();
    persist = mkdtempSync(join(tmpdir(), 'nw-rmon-e2e-'));
    const admin = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    const d = await admin('POST', '/devices', { name: 'e2e-probe', address: '127.0.0.1', icmpEnabled: false, snmp: { port: sim.port, community: 'rmonprobe', timeoutMs: 2000, retries: 1 } });
    expect(d.status).toBe(201);
    deviceId = d.body.id;
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sim?.stop();
    if (persist) rmSync(persist, { recursive: true, force: true });
  }, 60_000);

  it('shows the raised RMON alarm, the alarm and event tables, and the history chart', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    try {
      await signInAt(page, server.url, `/devices/${deviceId}`, 'admin', server.adminPassword);
      const card = page.getByTestId('rmon-section');
      await card.waitFor(WAIT);
      expect(await card.textContent()).toContain('0 open RMON alarms');

      const trapPort = server.nms.listeners().find((l) => l.name === 'trap-udp' && l.boundPort)!.boundPort;
      const sent = await run('snmptrap', ['-v', '2c', '-c', 'public', `127.0.0.1:${trapPort}`, '', '1.3.6.1.2.1.16.0.1',
        `${A}.1.1`, 'i', '1', `${A}.3.1`, 'o', CRC_ERRORS_1, `${A}.4.1`, 'i', '2', `${A}.5.1`, 'i', '25', `${A}.7.1`, 'i', '10'], 20_000, { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });
      expect(sent.code, sent.stderr).toBe(0);
      // Live: the alarm arrives over the socket, no reload.
      const openAlarm = card.getByTestId('rmon-open-alarm');
      await openAlarm.waitFor(WAIT);
      expect(await openAlarm.textContent()).toMatch(/RMON alarm 1 rising: .*= 25 \(rising threshold 10, delta\)/);

      await card.getByTestId('rmon-read').click();
      await card.getByTestId('rmon-alarm-table').waitFor(WAIT);
      const rows = card.getByTestId('rmon-alarm-row');
      expect(await rows.count()).toBe(2);
      expect(await rows.nth(0).textContent()).toContain('firing');
      expect(await rows.nth(1).textContent()).not.toContain('firing');
      await expect.poll(() => card.getByTestId('rmon-alarm-table').textContent(), WAIT).toContain('etherStatsCRCAlignErrors.1');
      expect(await card.getByTestId('rmon-event-row').count()).toBe(3);
      expect(await card.getByTestId('rmon-event-table').textContent()).toContain('Critical: CRC errors on port 1');

      const chart = card.locator('[data-testid=metric-chart]', { hasText: 'Utilisation' });
      await chart.waitFor(WAIT);
      expect(Number(await chart.getAttribute('data-points'))).toBe(3);
      await card.getByTestId('rmon-history-control').selectOption('2');
      await expect.poll(async () => Number(await chart.getAttribute('data-points')), WAIT).toBe(2);
      await card.screenshot({ path: `${RESULTS}/rmon-card.png` });
    } finally {
      await context.close();
    }
  });
});
