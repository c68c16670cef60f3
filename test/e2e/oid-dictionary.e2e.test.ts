import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { startSnmpd, type SnmpdHandle } from '../helpers/snmpd.js';

// Issue 6 in a real browser: search the OID dictionary, read a node's
// definition, browse the tree, then get and walk it on a real snmpd.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = `${ROOT}test-results`;
const WAIT = { timeout: 60_000 };

let server: TestServer;
let agent: SnmpdHandle;
let browser: Browser;

describe('OID dictionary page in a real browser', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    if (!existsSync(`${ROOT}dist/client/index.html`)) throw new Error('dist/client is not built: run `npm run build` first');
    mkdirSync(RESULTS, { recursive: true });
    agent = await startSnmpd({ sysName: 'oid-e2e-snmpd' });
    server = await startTestServer();
    const call = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    const d = await call('POST', '/devices', { name: 'oid-lab', address: '127.0.0.1', icmpEnabled: false, snmp: { port: agent.port, community: agent.community, timeoutMs: 2000, retries: 1 } });
    if (d.status !== 201) throw new Error(`adding the device failed: ${d.status} ${d.text}`);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await agent?.stop();
  }, 60_000);

  it('searches ifInOctets, shows its definition, and walks it and gets sysName.0 on a real agent', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/oid-dictionary`);
      await page.waitForURL(/\/login/, WAIT);
      await page.fill('#login-user', 'admin');
      await page.fill('#login-password', server.adminPassword);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/oid-dictionary$/, WAIT);
      await expect.poll(() => page.title(), WAIT).toContain('OID Dictionary');

      // The tree starts at the roots; iso(1) expands lazily.
      const iso = page.locator('[data-testid=tree-node][data-oid="1"]');
      await iso.waitFor(WAIT);
      await iso.getByTestId('tree-toggle').click();
      await page.locator('[data-testid=tree-node][data-oid="1.3"]').waitFor(WAIT);

      // The dictionary may still be loading right after start: wait for the hit itself.
      await page.getByTestId('oid-search').fill('ifInOctets');
      const hit = page.locator('[data-testid=oid-search-hit][data-name="ifInOctets"]');
      await hit.waitFor(WAIT);
      await hit.click();
      const details = page.locator('[data-testid=oid-details][data-oid="1.3.6.1.2.1.2.2.1.10"]');
      await details.waitFor(WAIT);
      expect(await details.getByTestId('oid-details-name').textContent()).toBe('ifInOctets');
      expect(await details.getByTestId('oid-detail-syntax').textContent()).toContain('Counter32');
      expect(await details.getByTestId('oid-detail-module').textContent()).toBe('IF-MIB');
      expect(await details.getByTestId('oid-detail-description').textContent()).toMatch(/total number of octets received/i);

      // Walk it on the device: one formatted counter per interface.
      expect(await page.getByTestId('browse-oid').inputValue()).toBe('IF-MIB::ifInOctets');
      await page.getByTestId('browse-device').selectOption({ label: 'oid-lab (127.0.0.1)' });
      await page.getByTestId('browse-walk').click();
      const rows = page.getByTestId('browse-row');
      await rows.first().waitFor(WAIT);
      const labels = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
      expect(labels.length).toBeGreaterThan(0);
      for (const l of labels) expect(l).toMatch(/^IF-MIB::ifInOctets\.\d+$/);
      expect(await rows.first().textContent()).toContain('Counter32');
      await page.screenshot({ path: `${RESULTS}/oid-dictionary.png`, fullPage: true });

      // An enum column comes back labelled; a scalar by name comes back as text.
      await page.getByTestId('browse-oid').fill('IF-MIB::ifOperStatus');
      await page.getByTestId('browse-walk').click();
      await expect.poll(() => page.getByTestId('browse-results').textContent(), WAIT).toContain('up(1)');
      await page.getByTestId('browse-oid').fill('SNMPv2-MIB::sysName.0');
      await page.getByTestId('browse-get').click();
      await expect.poll(() => page.locator('[data-testid=browse-row][data-label="SNMPv2-MIB::sysName.0"]').count(), WAIT).toBe(1);
      expect(await page.getByTestId('browse-value').first().textContent()).toBe('oid-e2e-snmpd');

      // The module list shows what loaded.
      await page.locator('[data-testid=mib-module-row][data-module="IF-MIB"][data-status="ok"]').waitFor(WAIT);
      await page.screenshot({ path: `${RESULTS}/oid-dictionary-browser.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });
});
