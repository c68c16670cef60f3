import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, RESULTS } from '../helpers/browser.js';
import { labBundleFiles, packWithCli, writeTree } from '../helpers/mib-bundle.js';

// Issue 16, "Vendor MIB bundles", in a real browser: an admin picks a .tar.gz on the OID dictionary
// page, the bundle report shows what compiled, what failed and why, what was skipped; the
// bundle's notification is then in the dictionary.
const WAIT = { timeout: 60_000 };

let server: TestServer;
let browser: Browser;
const dirs: string[] = [];

describe('MIB bundle upload in a real browser', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  }, 60_000);

  it('uploads a vendor .tar.gz from the MIB page and shows the bundle report', async () => {
    const src = writeTree(labBundleFiles());
    const out = mkdtempSync(join(tmpdir(), 'mib-bundle-e2e-'));
    dirs.push(src, out);
    const archive = join(out, 'lab-vendor-mibs.tar.gz');
    writeFileSync(archive, packWithCli(src, 'tar.gz'));

    const context = await browser.newContext({ viewport: { width: 1360, height: 1200 } });
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/oid-dictionary`);
      await page.waitForURL(/\/login/, WAIT);
      await page.fill('#login-user', 'admin');
      await page.fill('#login-password', server.adminPassword);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/oid-dictionary$/, WAIT);

      await page.getByTestId('mib-upload-input').setInputFiles(archive);
      const report = page.getByTestId('mib-bundle-report');
      await report.waitFor(WAIT);
      expect(await report.getByTestId('mib-bundle-summary').textContent()).toMatch(/Bundle lab-vendor-mibs \(tar\.gz, \d+ entries\): 6 MIB files, 3 modules loaded, \d+ failed/);
      const modules = report.getByTestId('mib-bundle-modules');
      expect(await modules.locator('[data-module="LAB-CISCO-SYSLOG-MIB"]').getAttribute('data-status')).toBe('ok');
      expect(await modules.locator('[data-module="LAB-ORPHAN-MIB"]').getAttribute('data-status')).toBe('error');
      expect(await report.getByTestId('mib-bundle-missing').textContent()).toContain('LAB-NOT-SHIPPED-MIB, needed by LAB-ORPHAN-MIB');
      const skipped = await report.getByTestId('mib-bundle-skipped').textContent();
      expect(skipped).toContain('lab-mibs/README.txt — not a MIB');
      expect(skipped).toContain('lab-mibs/logo.png — binary');
      await report.scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${RESULTS}/mib-bundle-report.png`, fullPage: true });

      // The bundle's notification is in the dictionary now.
      await page.getByTestId('oid-search').fill('clogMessageGenerated');
      await expect.poll(() => page.locator('body').textContent(), WAIT).toContain('1.3.6.1.4.1.9.9.41.2.0.1');

      // A file that only claims to be an archive is refused with a clear message.
      const fake = join(out, 'not-really.zip');
      writeFileSync(fake, 'hello, this is text\n');
      await page.getByTestId('mib-upload-input').setInputFiles(fake);
      await expect.poll(() => page.getByTestId('mib-upload-error').textContent(), WAIT).toContain('not-really.zip is not a zip archive');
    } finally {
      await context.close();
    }
  });
});
