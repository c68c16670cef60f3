import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { run } from '../integration/collectors/collector-helpers.js';
import { PLANNED_PAGES } from '../../client/src/router/planned-pages.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';

// End-to-end: the real server (in-process, port 0) serving the built console,
// driven by a real headless Chromium. `npm test` builds dist/client first.
const VIEWER = { username: 'e2e-viewer', password: 'viewer-password-1' };
const WAIT = { timeout: 60_000 };

let server: TestServer;
let browser: Browser;
let adminApi: ReturnType<typeof apiClient>;

async function signIn(page: Page, username: string, password: string): Promise<void> {
  // Not logged in yet: the console sends us to the login page first.
  await signInAt(page, server.url, '/devices', username, password);
  await page.getByTestId('current-user').filter({ hasText: username }).waitFor(WAIT);
}

function row(page: Page, name: string) {
  return page.locator(`[data-testid=device-row][data-device-name="${name}"]`);
}

describe('web console in a real browser', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    server = await startTestServer();
    adminApi = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    const created = await adminApi('POST', '/users', { ...VIEWER, role: 'viewer' });
    expect(created.status).toBe(201);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 60_000);

  it('refuses a wrong password with a clear message', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/login`);
      await page.fill('#login-user', 'admin');
      await page.fill('#login-password', 'not-the-password');
      await page.click('button[type=submit]');
      await expect.poll(() => page.getByTestId('login-error').textContent(), WAIT).toContain('Wrong user name or password');
      expect(page.url()).toContain('/login');
    } finally {
      await context.close();
    }
  });

  it('lets an admin add, see, edit and delete a device, then log out', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const page = await context.newPage();
    try {
      await signIn(page, 'admin', server.adminPassword);
      await page.getByTestId('no-devices').waitFor(WAIT);

      // Add
      await page.getByTestId('add-device').click();
      await page.fill('#dev-name', 'e2e-router');
      // The server rejects a bad address; the form says so beside the field.
      await page.fill('#dev-address', 'not-an-address');
      await page.getByTestId('save-device').click();
      await page.getByTestId('form-error').waitFor(WAIT);
      await page.getByText('must be an IPv4 or IPv6 address').first().waitFor(WAIT);
      await page.fill('#dev-address', '127.0.2.44');
      await page.fill('#dev-group', 'lab');
      await page.fill('#dev-tags', 'core, e2e');
      await page.fill('#dev-snmp-community', 'e2e-community');
      await page.getByTestId('save-device').click();
      await row(page, 'e2e-router').waitFor(WAIT);
      const added = (await row(page, 'e2e-router').textContent()) ?? '';
      expect(added).toContain('127.0.2.44');
      expect(added).toContain('v2c');
      expect(added).toContain('lab');
      expect(added).toContain('e2e');

      // Edit: rename and move to SNMPv3 with auth and privacy.
      await page.getByRole('button', { name: 'Edit e2e-router' }).click();
      await page.getByTestId('device-form').waitFor(WAIT);
      expect(await page.getAttribute('#dev-snmp-community', 'placeholder')).toContain('Set');
      await page.fill('#dev-name', 'e2e-router-renamed');
      await page.selectOption('#dev-snmp-version', '3');
      await page.fill('#dev-snmp-user', 'e2e-user');
      await page.selectOption('#dev-snmp-auth-proto', 'sha256');
      await page.fill('#dev-snmp-auth-key', 'auth-key-e2e');
      await page.selectOption('#dev-snmp-priv-proto', 'aes');
      await page.fill('#dev-snmp-priv-key', 'priv-key-e2e');
      await page.getByTestId('save-device').click();
      await row(page, 'e2e-router-renamed').waitFor(WAIT);
      expect(await row(page, 'e2e-router-renamed').textContent()).toContain('v3 · authPriv');
      expect(await row(page, 'e2e-router').count()).toBe(0);

      // The server stored what the form said, and returns no secret.
      const list = await adminApi('GET', '/devices');
      const stored = list.body.items.find((d: { name: string }) => d.name === 'e2e-router-renamed');
      expect(stored.snmp).toMatchObject({ version: '3', username: 'e2e-user', authProtocol: 'sha256', privProtocol: 'aes', authKeySet: true, privKeySet: true });
      expect(list.text).not.toContain('auth-key-e2e');
      expect(list.text).not.toContain('e2e-community');

      // Reopening the form shows the keys as set, not their values.
      await page.getByRole('button', { name: 'Edit e2e-router-renamed' }).click();
      expect(await page.getAttribute('#dev-snmp-auth-key', 'placeholder')).toContain('Set');
      expect(await page.inputValue('#dev-snmp-auth-key')).toBe('');
      await page.screenshot({ path: `${RESULTS}/console-device-edit.png` });
      await page.keyboard.press('Escape');

      await page.screenshot({ path: `${RESULTS}/console-devices.png` });

      // Delete, after confirming.
      await page.getByRole('button', { name: 'Delete e2e-router-renamed' }).click();
      await page.getByTestId('confirm').click();
      await page.getByTestId('no-devices').waitFor(WAIT);
      expect((await adminApi('GET', '/devices')).body.items).toHaveLength(0);

      // Log out: back to the login page, and the console is closed to us.
      await page.getByTestId('logout').click();
      await page.waitForURL(/\/login/, WAIT);
      await page.goto(`${server.url}/status`);
      await page.waitForURL(/\/login\?redirect=/, WAIT);
    } finally {
      await context.close();
    }
  });

  it('shows devices added elsewhere without a reload (live updates)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, 'admin', server.adminPassword);
      await page.getByTestId('no-devices').waitFor(WAIT);
      await page.locator('[data-testid=connection][data-state=connected]').waitFor(WAIT);
      // The list loaded and the socket is up; now another client adds, renames and removes a device.
      const created = await adminApi('POST', '/devices', { name: 'live-switch', address: '127.0.51.7' });
      expect(created.status).toBe(201);
      await row(page, 'live-switch').waitFor(WAIT);
      await adminApi('PATCH', `/devices/${created.body.id}`, { name: 'live-switch-2' });
      await row(page, 'live-switch-2').waitFor(WAIT);
      await adminApi('DELETE', `/devices/${created.body.id}`);
      await page.getByTestId('no-devices').waitFor(WAIT);
    } finally {
      await context.close();
    }
  });

  it('gives a viewer a read-only device list without add, edit or delete', async () => {
    const created = await adminApi('POST', '/devices', { name: 'viewer-visible', address: '127.0.113.9', tags: ['ro'] });
    expect(created.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1360, height: 700 } });
    const page = await context.newPage();
    try {
      await signIn(page, VIEWER.username, VIEWER.password);
      await row(page, 'viewer-visible').waitFor(WAIT);
      await page.getByTestId('read-only-note').waitFor(WAIT);
      expect(await page.getByTestId('add-device').count()).toBe(0);
      expect(await page.getByTestId('edit-device').count()).toBe(0);
      expect(await page.getByTestId('delete-device').count()).toBe(0);
      await page.screenshot({ path: `${RESULTS}/console-viewer.png` });
    } finally {
      await context.close();
      await adminApi('DELETE', `/devices/${created.body.id}`);
    }
  });

  it('shows the listeners with their bound ports and the counters on the status page', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const page = await context.newPage();
    try {
      await signIn(page, 'admin', server.adminPassword);
      await page.getByRole('link', { name: 'Status' }).click();
      await page.getByTestId('listeners').waitFor(WAIT);
      const status = (await adminApi('GET', '/status')).body as { listeners: { name: string; boundPort: number | null }[]; counters: Record<string, number> };
      const table = (await page.getByTestId('listeners').textContent()) ?? '';
      for (const l of status.listeners) {
        expect(table).toContain(l.name);
        if (l.boundPort !== null) expect(table).toContain(String(l.boundPort));
      }
      const counters = (await page.getByTestId('counters').textContent()) ?? '';
      // Grouped by prefix: "syslog.received" shows as "received" under "syslog".
      for (const name of Object.keys(status.counters)) expect(counters).toContain(name.slice(name.indexOf('.') + 1));
      await page.screenshot({ path: `${RESULTS}/console-status.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('says honestly which pages are not available yet, and opens every built one', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, 'admin', server.adminPassword);
      const planned = new Set(PLANNED_PAGES.map((p) => p.title));
      for (const label of ['Dashboard', 'Topology', 'Events', 'Alarms', 'OID Dictionary', 'Rules']) {
        await page.getByRole('link', { name: label, exact: true }).click();
        if (planned.has(label)) {
          await expect.poll(() => page.getByTestId('not-yet-available').textContent(), WAIT).toContain(`${label} is not available yet`);
        } else {
          await expect.poll(() => page.title(), WAIT).toContain(label === 'OID Dictionary' ? 'OID' : label);
          expect(await page.getByTestId('not-yet-available').count()).toBe(0);
        }
      }
    } finally {
      await context.close();
    }
  });

  it('lets an admin add a user and create, use and revoke an API token in Settings', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const page = await context.newPage();
    try {
      await signIn(page, 'admin', server.adminPassword);
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByTestId('users-section').waitFor(WAIT);

      await page.getByRole('button', { name: 'Add user' }).click();
      await page.fill('#user-name', 'e2e-operator');
      await page.selectOption('#user-role', 'operator');
      await page.fill('#user-password', 'operator-password-1');
      await page.locator('button[form=user-form]').click();
      await page.getByTestId('users-section').getByText('e2e-operator').waitFor(WAIT);
      await login(server.url, 'e2e-operator', 'operator-password-1'); // the new user can sign in

      await page.getByLabel('Token name').fill('e2e-script');
      await page.getByRole('button', { name: 'Create token' }).click();
      const secret = (await page.getByTestId('new-token').locator('code').textContent())?.trim() ?? '';
      expect(secret.length).toBeGreaterThan(16);
      expect((await apiClient(server.url, secret)('GET', '/auth/me')).body.user.username).toBe('admin');
      await page.screenshot({ path: `${RESULTS}/console-settings.png`, fullPage: true });

      await page.getByRole('button', { name: 'Revoke token e2e-script' }).click();
      await page.getByTestId('confirm').click();
      await page.getByText('You have no API tokens.').waitFor(WAIT);
      expect((await apiClient(server.url, secret)('GET', '/auth/me')).status).toBe(401);
    } finally {
      await context.close();
    }
  });

  it('lets an admin add an SNMPv3 trap user in Settings whose traps are then accepted, and remove it', async () => {
    const persist = mkdtempSync(join(tmpdir(), 'nw-e2e-trapuser-'));
    const port = (await adminApi('GET', '/health')).body.ports.trap as number;
    const trap = (tag: string) =>
      run('snmptrap', ['-v', '3', '-u', 'e2e-v3', '-l', 'authPriv', '-a', 'SHA-256', '-A', 'e2e-auth-key', '-x', 'AES', '-X', 'e2e-priv-key',
        '-e', '0x80001f8804653265747261', `127.0.0.1:${port}`, '', `1.3.6.1.4.1.99.0.${tag}`], 20_000, { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });
    const stored = async (type: string) => ((await adminApi('GET', '/events?source=trap&limit=200')).body.items as { type: string }[]).some((e) => e.type === type);
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page, 'admin', server.adminPassword);
      await page.getByRole('link', { name: 'Settings' }).click();
      const section = page.getByTestId('trap-users-section');
      await section.waitFor(WAIT);
      await expect.poll(async () => (await section.getByTestId('trap-engine-id').textContent())?.trim(), WAIT).toMatch(/^80001f8805[0-9a-f]{16}$/);
      // A short key is refused in the form, before any request.
      await page.getByLabel('Trap user name').fill('e2e-v3');
      await page.getByLabel('Authentication key').fill('short');
      await section.getByRole('button', { name: 'Add trap user' }).click();
      await section.getByText('at least 8 characters').waitFor(WAIT);

      await page.getByLabel('Authentication protocol').selectOption('sha256');
      await page.getByLabel('Authentication key').fill('e2e-auth-key');
      await page.getByLabel('Privacy protocol').selectOption('aes');
      await page.getByLabel('Privacy key').fill('e2e-priv-key');
      await section.getByRole('button', { name: 'Add trap user' }).click();
      const userRow = page.getByTestId('trap-user-e2e-v3');
      await userRow.waitFor(WAIT);
      await expect.poll(() => userRow.textContent(), WAIT).toMatch(/authPriv.*SHA256.*AES-128/);
      expect(await section.textContent()).not.toContain('e2e-auth-key');

      // The running receiver accepts the user at once: a real snmptrap v3 authPriv trap is stored.
      expect((await trap('41')).code).toBe(0);
      await expect.poll(() => stored('1.3.6.1.4.1.99.0.41'), WAIT).toBe(true);

      await page.getByRole('button', { name: 'Remove trap user e2e-v3' }).click();
      await page.getByTestId('confirm').click();
      await section.getByText('No SNMPv3 trap users').waitFor(WAIT);
      const failures = async () => (await adminApi('GET', '/events?source=trap&limit=200')).body.items.filter((e: { type: string }) => e.type === 'snmp.authenticationFailure').length;
      const before = await failures();
      await trap('42');
      await expect.poll(failures, WAIT).toBeGreaterThan(before);
      expect(await stored('1.3.6.1.4.1.99.0.42')).toBe(false);
    } finally {
      await context.close();
      rmSync(persist, { recursive: true, force: true });
    }
  });

  it('sends a user whose session was ended elsewhere back to the login page', async () => {
    const user = { username: 'e2e-expiring', password: 'expiring-password-1' };
    const created = await adminApi('POST', '/users', { ...user, role: 'operator' });
    expect(created.status).toBe(201);
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, user.username, user.password);
      // An admin changes the password, which ends the user's sessions. The server closes the
      // console's live socket at once, so the console notices without any click.
      expect((await adminApi('PATCH', `/users/${created.body.id}`, { password: 'another-password-2' })).status).toBe(200);
      await page.waitForURL(/\/login\?.*expired=1/, WAIT);
      await page.getByText('Your session has ended').waitFor(WAIT);
    } finally {
      await context.close();
    }
  });
});
