import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { startSnmpd, type SnmpdHandle } from '../helpers/snmpd.js';
import { launchChromium, RESULTS } from '../helpers/browser.js';

// Issue 6 in a real browser: search the OID dictionary, read a node's
// definition, browse the tree, then get and walk it on a real snmpd.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WAIT = { timeout: 60_000 };

let server: TestServer;
let agent: SnmpdHandle;
let browser: Browser;

describe('OID dictionary page in a real browser', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    agent = await startSnmpd({ sysName: 'oid-e2e-snmpd' });
    server = await startTestServer();
    const call = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    const d = await call('POST', '/devices', { name: 'oid-lab', address: '127.0.0.1', icmpEnabled: false, snmp: { port: agent.port, community: agent.community, timeoutMs: 2000, retries: 1 } });
    if (d.status !== 201) throw new Error(`adding the device failed: ${d.status} ${d.text}`);
    browser = await launchChromium();
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

      // The tree starts at the roots and expands lazily: iso(1) down to system, then sysName.
      for (const oid of ['1', '1.3', '1.3.6', '1.3.6.1', '1.3.6.1.2', '1.3.6.1.2.1', '1.3.6.1.2.1.1']) {
        const node = page.locator(`[data-testid=tree-node][data-oid="${oid}"]`);
        await node.waitFor(WAIT);
        await node.getByTestId('tree-toggle').click();
      }
      const sysName = page.locator('[data-testid=tree-node][data-oid="1.3.6.1.2.1.1.5"]');
      await sysName.waitFor(WAIT);
      expect(await sysName.textContent()).toContain('sysName');
      await sysName.getByRole('button', { name: /sysName/ }).click();
      const sysDetails = page.locator('[data-testid=oid-details][data-oid="1.3.6.1.2.1.1.5"]');
      await sysDetails.waitFor(WAIT);
      expect(await sysDetails.getByTestId('oid-detail-syntax').textContent()).toContain('DisplayString');
      await page.screenshot({ path: `${RESULTS}/oid-dictionary-tree.png` });

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
      // Clearing the search shows the tree, opened down to the node found and showing it selected, in view.
      await page.getByTestId('oid-search').fill('');
      const inTree = page.locator('[role=treeitem][aria-selected=true] > [data-testid=tree-node][data-oid="1.3.6.1.2.1.2.2.1.10"]');
      await inTree.waitFor(WAIT);
      expect(await inTree.textContent()).toContain('ifInOctets');
      await expect.poll(() => inTree.isVisible(), WAIT).toBe(true);
      expect(await page.locator('[role=treeitem][aria-expanded=true] > [data-testid=tree-node][data-oid="1.3.6.1.2.1.2.2.1"]').count()).toBe(1);

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

      await page.screenshot({ path: `${RESULTS}/oid-dictionary-browser.png`, fullPage: true });

      // The module list shows what loaded; an admin uploads a vendor MIB and sees the compile result.
      await page.locator('[data-testid=mib-module-row][data-module="IF-MIB"][data-status="ok"]').waitFor(WAIT);
      await page.getByTestId('mib-upload-input').setInputFiles(`${ROOT}test/fixtures/mibs/ACME-SMI.txt`);
      const result = page.getByTestId('mib-upload-result');
      await result.waitFor(WAIT);
      expect(await result.locator('[data-module="ACME-SMI"]').getAttribute('data-status')).toBe('ok');
      expect(await result.getByTestId('mib-upload-summary').textContent()).toMatch(/1 module compiled .* All MIBs: \d+ loaded, \d+ failed/);
      await page.locator('[data-testid=mib-module-row][data-module="ACME-SMI"]').waitFor(WAIT);
      // A file that does not parse is refused with the reason.
      await page.getByTestId('mib-upload-input').setInputFiles(`${ROOT}test/fixtures/mibs/BROKEN-MIB.txt`);
      await expect.poll(() => page.getByTestId('mib-upload-error').textContent(), WAIT).toContain('BROKEN-MIB.txt');
      await page.getByTestId('mib-upload').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${RESULTS}/oid-dictionary-modules.png` });

      // A link to a notification opens it, with its OBJECTS; an enum column lists its labels.
      await page.goto(`${server.url}/oid-dictionary?oid=IF-MIB::linkDown`);
      const trap = page.locator('[data-testid=oid-details][data-oid="1.3.6.1.6.3.1.1.5.3"]');
      await trap.waitFor(WAIT);
      expect(await trap.getByTestId('oid-detail-objects').textContent()).toBe('ifIndex, ifAdminStatus, ifOperStatus');
      await page.goto(`${server.url}/oid-dictionary?oid=1.3.6.1.2.1.2.2.1.8`);
      await expect.poll(() => page.getByTestId('oid-detail-enums').textContent(), WAIT).toContain('down(2)');
    } finally {
      await context.close();
    }
  });
});
