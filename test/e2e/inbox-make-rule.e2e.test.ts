import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { AlarmDto } from '../../server/contracts/alarms.js';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';
import { run } from '../integration/collectors/collector-helpers.js';

// Issue 17 in a real Chromium with real peers: `snmptrap` sends an ENTITY-STATE-MIB
// notification and `logger` Cisco syslog lines to the server's own listeners; the
// Inbox page proposes rules and one is accepted; "Make a rule" on a syslog event shows
// the 24 h dry run and saves; new matching events then raise alarms.
const WAIT = { timeout: 60_000 };

let server: TestServer;
let browser: Browser;
let call: ReturnType<typeof apiClient>;
let persist: string;
let deviceId: number;

const until = async <T>(fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> => {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
};
const alarm = async (key: string): Promise<AlarmDto | undefined> => ((await call('GET', '/alarms?state=all&limit=1000')).body.items as AlarmDto[]).find((a) => a.reductionKey === key);

describe('unmatched inbox and Make a rule in a real browser', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    server = await startTestServer();
    call = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    deviceId = (await call('POST', '/devices', { name: 'edge-sw', address: '127.0.0.1' })).body.id;
    persist = mkdtempSync(join(tmpdir(), 'nw-inbox-e2e-'));
    await until(async () => server.nms.dictionary.resolveName('ENTITY-STATE-MIB::entStateOperDisabled').found || undefined);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (persist) rmSync(persist, { recursive: true, force: true });
  }, 60_000);

  it('sends a real trap and syslog line, accepts the inbox proposal, makes a rule from an event with its 24 h figures, and new events raise alarms', async () => {
    const oid = (n: string) => {
      const r = server.nms.dictionary.resolveName(n);
      if (!r.found) throw new Error(n);
      return r.oid;
    };
    const trapPort = server.nms.listeners().find((l) => l.name === 'trap-udp' && l.boundPort)!.boundPort!;
    const syslogPort = server.nms.listeners().find((l) => l.name === 'syslog-udp' && l.boundPort)!.boundPort!;
    const disabled = oid('ENTITY-STATE-MIB::entStateOperDisabled');
    const admin = oid('ENTITY-STATE-MIB::entStateAdmin');
    const snmptrap = (trapOid: string, row: number) =>
      run('snmptrap', ['-v', '2c', '-c', 'public', `127.0.0.1:${trapPort}`, '', trapOid, `${admin}.${row}`, 'i', '4'], 20_000, { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });
    const cisco = (text: string) => run('logger', ['-n', '127.0.0.1', '-P', String(syslogPort), '--udp', '--rfc3164', '-p', 'local7.notice', '-t', 'cisco', text]);

    expect((await snmptrap(disabled, 2001)).code).toBe(0);
    for (const i of ['Gi0/1', 'Gi0/2']) expect((await cisco(`%LINEPROTO-5-UPDOWN: Line protocol on Interface ${i}, changed state to down`)).code).toBe(0);

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    try {
      await signInAt(page, server.url, '/dashboard', 'admin', server.adminPassword);
      await page.getByRole('link', { name: 'Inbox', exact: true }).click();
      const trapEntry = page.locator(`[data-testid=inbox-entry][data-type="${disabled}"]`);
      const syslogEntry = page.locator('[data-testid=inbox-entry][data-type="LINEPROTO-5-UPDOWN"]');
      await expect
        .poll(async () => {
          await page.getByTestId('inbox-refresh').click();
          return (await trapEntry.count()) + (await syslogEntry.count());
        }, WAIT)
        .toBe(2);
      expect(await trapEntry.getByTestId('inbox-type').textContent()).toBe('ENTITY-STATE-MIB::entStateOperDisabled');
      expect(await trapEntry.getByTestId('inbox-proposal').getAttribute('data-kind')).toBe('mib-pair');
      expect(await syslogEntry.getByTestId('inbox-proposal').getAttribute('data-kind')).toBe('syslog-pair');
      expect(await syslogEntry.getByTestId('inbox-count').textContent()).toBe('2');
      await page.screenshot({ path: `${RESULTS}/inbox.png`, fullPage: true });

      // Edit the raise rule's severity, then accept: two rules made, the type leaves the inbox.
      await trapEntry.getByTestId('inbox-edit').click();
      await trapEntry.getByTestId('proposed-severity').first().selectOption('critical');
      await trapEntry.getByTestId('inbox-accept').click();
      await expect.poll(() => page.getByTestId('inbox-notice').textContent(), WAIT).toContain('Made 2 rules');
      await expect.poll(() => trapEntry.count(), WAIT).toBe(0);

      // A new trap of that type raises an alarm through the accepted rule, with the edited severity.
      expect((await snmptrap(disabled, 2001)).code).toBe(0);
      expect(await until(() => alarm(`ENTITY-STATE-MIB::entStateOperDisabled:${deviceId}:2001`))).toMatchObject({ state: 'active', severity: 'critical' });

      // "Make a rule" on the syslog event: the 24 h dry run counts both lines and two interfaces.
      await page.getByRole('link', { name: 'Events', exact: true }).click();
      const row = page.locator('[data-testid=event-row]', { hasText: 'Interface Gi0/1, changed state to down' });
      await row.waitFor(WAIT);
      await row.click();
      await page.getByTestId('event-details').getByTestId('make-rule').click();
      const figures = page.getByTestId('dry-run-figures');
      await figures.waitFor(WAIT);
      expect(await figures.getAttribute('data-matched')).toBe('2');
      expect(await figures.getAttribute('data-alarms')).toBe('2');
      expect(await figures.getAttribute('data-clears')).toBe('0');
      expect(await figures.textContent()).toContain('Last 24 hours');
      expect(await page.getByTestId('proposed-key').inputValue()).toBe('syslog:%LINEPROTO-5-UPDOWN:{deviceOrSource}:{ifName}');
      await page.getByTestId('proposed-name').fill('Line protocol changes');
      await page.getByTestId('dry-run-again').click();
      await page.screenshot({ path: `${RESULTS}/make-rule.png` });
      await page.getByTestId('save-made-rule').click();
      await expect.poll(() => page.getByTestId('rule-saved-notice').textContent(), WAIT).toContain('Line protocol changes');

      // A new matching line raises an alarm for its interface.
      expect((await cisco('%LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/9, changed state to down')).code).toBe(0);
      expect(await until(() => alarm(`syslog:%LINEPROTO-5-UPDOWN:${deviceId}:Gi0/9`))).toMatchObject({ state: 'active' });
      await page.getByRole('link', { name: 'Alarms', exact: true }).click();
      await page.locator('[data-testid=alarm-row]', { hasText: 'edge-sw: %LINEPROTO-5-UPDOWN Gi0/9' }).waitFor(WAIT);
    } finally {
      await context.close();
    }
  });
});
