import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { NormalizedEvent } from '../../server/contracts/events.js';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, signInAt } from '../helpers/browser.js';

// The events page's export buttons in a real Chromium: the download holds every stored event that
// matches the filter shown (not only the rows on screen), as CSV or JSON lines.
const WAIT = { timeout: 60_000 };

let server: TestServer;
let browser: Browser;

function publish(e: Partial<NormalizedEvent> & Pick<NormalizedEvent, 'message'>): void {
  server.nms.bus.publish('event.received', {
    receivedAt: Date.now(),
    reportedAt: null,
    source: 'syslog',
    sourceAddress: '192.0.2.20',
    deviceId: null,
    severity: 'info',
    type: 'e2e-export',
    params: {},
    ...e,
  });
}

describe('event export from the console', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 60_000);

  it('downloads the events matching the current filter as CSV and as JSON lines', async () => {
    const MAJOR = 700; // more than the page shows at first (500)
    for (let i = 0; i < MAJOR; i++) publish({ severity: 'major', source: 'trap', message: `export-major ${i}, "quoted"` });
    for (let i = 0; i < 50; i++) publish({ severity: 'info', message: `export-info ${i}` });
    const call = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    for (let t = Date.now(); ; await new Promise((r) => setTimeout(r, 50))) {
      const c = (await call('GET', '/status')).body.counters;
      if (c['events.stored'] >= MAJOR + 50) break;
      if (Date.now() - t > 30_000) throw new Error('events not stored');
    }

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    try {
      await signInAt(page, server.url, '/events', 'admin', server.adminPassword);
      await page.locator('[data-testid=event-list]').waitFor(WAIT);
      await page.selectOption('[data-testid=filter-severity]', 'major');
      await page.locator('[data-testid=event-row]', { hasText: 'export-major' }).first().waitFor(WAIT);
      await page.locator('[data-testid=event-row]', { hasText: 'export-info' }).first().waitFor({ state: 'detached', ...WAIT });

      const [csvDownload] = await Promise.all([page.waitForEvent('download', WAIT), page.click('[data-testid=export-csv]')]);
      expect(csvDownload.suggestedFilename()).toMatch(/^netwatch-events-\d{8}T\d{6}Z\.csv$/);
      const csv = readFileSync((await csvDownload.path())!, 'utf8').split('\r\n');
      expect(csv[0]).toBe('id,receivedAt,reportedAt,source,sourceAddress,deviceId,device,severity,type,message,params');
      const rows = csv.slice(1, -1);
      expect(rows).toHaveLength(MAJOR);
      expect(rows.every((r) => r.includes(',trap,192.0.2.20,,,major,e2e-export,"export-major '))).toBe(true);
      expect(rows[0]).toContain(`"export-major ${MAJOR - 1}, ""quoted"""`);

      const [jsonDownload] = await Promise.all([page.waitForEvent('download', WAIT), page.click('[data-testid=export-jsonl]')]);
      expect(jsonDownload.suggestedFilename()).toMatch(/\.jsonl$/);
      const lines = readFileSync((await jsonDownload.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(MAJOR);
      expect(new Set(lines.map((e) => e.severity))).toEqual(new Set(['major']));
      expect(lines[0].message).toBe(`export-major ${MAJOR - 1}, "quoted"`);
    } finally {
      await context.close();
    }
  });
});
