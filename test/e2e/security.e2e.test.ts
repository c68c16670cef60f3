import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, RESULTS } from '../helpers/browser.js';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { startSnmpd, type SnmpdHandle } from '../helpers/snmpd.js';

// The browser surface in real Chromium: every console page under the CSP with no
// violation; a page from another origin cannot act with the admin's cookie; a user
// changes their own password from the user menu.
const WAIT = { timeout: 60_000 };

let server: TestServer;
let agent: SnmpdHandle;
let browser: Browser;
let adminApi: ReturnType<typeof apiClient>;
let deviceId: number;

// The attacker: another origin on the same host (127.0.0.1, another port, so the
// SameSite=Lax session cookie still rides along), and a webhook receiver.
let evil: Server;
let evilUrl: string;
let hookHits = 0;

const ATTACK_PAGE = (target: string, channelId: number) => `<!doctype html>
<html><body>
<iframe name="sink" id="sink"></iframe>
<form id="f" target="sink" method="POST" enctype="text/plain" action="${target}/api/v1/devices">
  <input name='{"name":"form-box","address":"127.0.0.66","pad":"' value='"}'>
</form>
<script>
window.result = { fetches: {}, ws: [] };
const opt = { method: 'POST', credentials: 'include', mode: 'no-cors' };
async function go() {
  const note = (k, p) => p.then((r) => (window.result.fetches[k] = r.type + ' ' + r.status), (e) => (window.result.fetches[k] = 'error ' + e.message));
  await note('notification-test', fetch('${target}/api/v1/notification-channels/${channelId}/test', opt));
  await note('device-text', fetch('${target}/api/v1/devices', { ...opt, headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'fetch-box', address: '127.0.0.67' }) }));
  await note('device-json', fetch('${target}/api/v1/devices', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'json-box', address: '127.0.0.68' }) }));
  await new Promise((resolve) => {
    const ws = new WebSocket('${target.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket');
    ws.onmessage = (m) => { window.result.ws.push(String(m.data)); if (String(m.data).startsWith('0')) ws.send('40'); };
    ws.onerror = () => { window.result.ws.push('error'); };
    ws.onclose = () => { window.result.ws.push('closed'); resolve(); };
    setTimeout(() => { ws.close(); }, 3000);
  });
  document.getElementById('f').submit();
  await new Promise((r) => document.getElementById('sink').addEventListener('load', r, { once: true }));
  await note('logout', fetch('${target}/api/v1/auth/logout', opt));
  window.done = true;
}
go();
</script>
</body></html>`;

let channelId = 0;

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.fill('#login-user', username);
  await page.fill('#login-password', password);
  await page.click('button[type=submit]');
  await page.getByTestId('current-user').filter({ hasText: username }).waitFor(WAIT);
}

/** Records every CSP violation of every page in the context, and console errors naming the CSP. */
async function watchCsp(context: BrowserContext): Promise<string[]> {
  const found: string[] = [];
  await context.exposeFunction('__cspViolation', (v: string) => found.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __cspViolation(v: string): void }).__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  context.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) found.push(`console: ${msg.text()}`);
  });
  return found;
}

describe('browser surface in real Chromium', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    agent = await startSnmpd({ sysName: 'csp-snmpd' });
    server = await startTestServer();
    adminApi = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    const dev = await adminApi('POST', '/devices', { name: 'csp-router', address: '127.0.0.1', snmp: { port: agent.port, community: agent.community } });
    expect(dev.status).toBe(201);
    deviceId = dev.body.id;
    // Two polls a second apart: rates, so the device page draws uPlot charts.
    expect((await adminApi('POST', `/devices/${deviceId}/poll`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await adminApi('POST', `/devices/${deviceId}/poll`)).status).toBe(200);

    evil = createServer((req, res) => {
      if (req.url === '/hook') {
        hookHits++;
        req.resume();
        res.end('ok');
        return;
      }
      res.setHeader('content-type', 'text/html');
      res.end(ATTACK_PAGE(server.url, channelId));
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    const ch = await adminApi('POST', '/notification-channels', { name: 'csrf-hook', type: 'webhook', config: { url: `${evilUrl}/hook` } });
    expect(ch.status).toBe(201);
    channelId = ch.body.id;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (evil ? evil.close(() => r()) : r()));
    await server?.stop();
    await agent?.stop();
  }, 60_000);

  it('serves every console page with the security headers and without a single CSP violation', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const violations = await watchCsp(context);
    const page = await context.newPage();
    try {
      const doc = await page.goto(`${server.url}/login`);
      const headers = doc!.headers();
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['content-security-policy']).toContain("script-src 'self'");
      expect(headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['referrer-policy']).toBe('no-referrer');
      await signIn(page, 'admin', server.adminPassword);
      const api = await page.waitForResponse((r) => r.url().includes('/api/v1/'), WAIT).catch(() => null);
      if (api) expect(api.headers()['x-content-type-options']).toBe('nosniff');

      const visit = async (path: string, ready: () => Promise<unknown>) => {
        await page.goto(`${server.url}${path}`);
        await ready();
        await page.waitForLoadState('networkidle');
      };
      await visit('/dashboard', () => page.getByTestId('current-user').waitFor(WAIT));
      // cytoscape draws the map.
      await visit('/topology', () =>
        page.waitForFunction(() => ((window as unknown as { __netwatchCy?: { nodes(): { length: number } } }).__netwatchCy?.nodes().length ?? 0) >= 1, undefined, WAIT),
      );
      await visit('/events', () => page.getByTestId('current-user').waitFor(WAIT));
      await visit('/alarms', () => page.getByTestId('current-user').waitFor(WAIT));
      await visit('/devices', () => page.locator('[data-testid=device-row][data-device-name="csp-router"]').waitFor(WAIT));
      // uPlot draws the charts.
      await visit(`/devices/${deviceId}`, () => page.locator('[data-testid=metric-chart] canvas').first().waitFor(WAIT));
      await visit('/oid-dictionary', () => page.getByTestId('tree-node').first().waitFor(WAIT));
      await visit('/rules', () => page.getByTestId('current-user').waitFor(WAIT));
      await visit('/settings', () => page.getByTestId('users-section').waitFor(WAIT));
      await page.getByTestId('change-password').click();
      await page.locator('#pw-current').waitFor(WAIT);
      await page.keyboard.press('Escape');
      await visit('/status', () => page.getByTestId('current-user').waitFor(WAIT));
      expect(await page.getByTestId('connection').getAttribute('data-state')).toBe('connected');
      await page.screenshot({ path: `${RESULTS}/csp-status.png`, fullPage: true });
      expect(violations).toEqual([]);

      // The watcher works: an inline script injected now is blocked and reported.
      await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__inlineRan = true';
        document.body.appendChild(s);
      });
      await expect.poll(() => violations.length, WAIT).toBeGreaterThan(0);
      expect(await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
    } finally {
      await context.close();
    }
  });

  it('lets a page from another origin change nothing with the admin\'s cookie, while the console keeps working', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page, 'admin', server.adminPassword);
      const devicesBefore = (await adminApi('GET', '/devices')).body.items.length;
      const channelBefore = (await adminApi('GET', `/notification-channels/${channelId}`)).body;
      const hitsBefore = hookHits;

      const attacker = await context.newPage();
      const sent: string[] = [];
      const answered: string[] = [];
      attacker.on('request', (r) => {
        if (r.url().startsWith(server.url)) sent.push(`${r.method()} ${new URL(r.url()).pathname}`);
      });
      attacker.on('response', (r) => {
        if (r.url().startsWith(server.url)) answered.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
      });
      await attacker.goto(`${evilUrl}/attack.html`);
      await attacker.waitForFunction('window.done === true', undefined, WAIT);
      const result = (await attacker.evaluate('window.result')) as { fetches: Record<string, string>; ws: string[] };

      // The attacks were really sent with the cookie (the notification test and logout need no body)…
      expect(sent).toContain(`POST /api/v1/notification-channels/${channelId}/test`);
      expect(sent).toContain('POST /api/v1/auth/logout');
      expect(sent).toContain('POST /api/v1/devices');
      // …and every answer the browser let the page see was a refusal. (Most it does not even let
      // the page read: Cross-Origin-Resource-Policy: same-origin.)
      for (const a of answered.filter((x) => !x.startsWith('GET') && !x.startsWith('OPTIONS'))) expect(a).toMatch(/ (403|415)$/);
      // The JSON fetch needs a CORS preflight, which is never granted.
      expect(result.fetches['device-json']).toMatch(/^error/);
      // The WebSocket (not subject to CORS) was refused: no socket.io connect ack, no pushes.
      expect(result.ws.some((m) => m.startsWith('40{'))).toBe(false);
      expect(result.ws.some((m) => m.startsWith('42'))).toBe(false);

      // Nothing changed: no device, no notification sent, the session still valid.
      const devices = (await adminApi('GET', '/devices')).body.items as { name: string }[];
      expect(devices.map((d) => d.name)).not.toContain('form-box');
      expect(devices.map((d) => d.name)).not.toContain('fetch-box');
      expect(devices.length).toBe(devicesBefore);
      expect(hookHits).toBe(hitsBefore);
      expect((await adminApi('GET', `/notification-channels/${channelId}`)).body).toEqual(channelBefore);
      expect((await context.request.get(`${server.url}/api/v1/auth/me`)).status()).toBe(200);

      // The console itself still works with the same cookie: add a device from the UI.
      await page.goto(`${server.url}/devices`);
      await page.getByTestId('add-device').click();
      await page.fill('#dev-name', 'console-box');
      await page.fill('#dev-address', '127.0.2.45');
      await page.getByTestId('save-device').click();
      await page.locator('[data-testid=device-row][data-device-name="console-box"]').waitFor(WAIT);
      expect(await page.getByTestId('connection').getAttribute('data-state')).toBe('connected');
    } finally {
      await context.close();
    }
  });

  it('lets a user change their own password from the user menu; their API token and other sessions end, this one stays', async () => {
    const user = { username: 'e2e-self', password: 'self-first-password-1' };
    expect((await adminApi('POST', '/users', { ...user, role: 'viewer' })).status).toBe(201);
    const other = await login(server.url, user.username, user.password);
    const token = (await apiClient(server.url, other.token)('POST', '/tokens', { name: 'e2e-self-script' })).body.token as string;
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, user.username, user.password);
      await page.getByTestId('change-password').click();
      await page.fill('#pw-current', 'not-my-password');
      await page.fill('#pw-new', 'self-second-password-2');
      await page.fill('#pw-repeat', 'self-second-password-2');
      await page.getByTestId('save-password').click();
      await page.getByText('This is not your current password').waitFor(WAIT);
      await page.fill('#pw-current', user.password);
      await page.fill('#pw-new', 'password123');
      await page.fill('#pw-repeat', 'password123');
      await page.getByTestId('save-password').click();
      await page.getByText('one of the most common passwords').waitFor(WAIT);
      await page.fill('#pw-new', 'self-second-password-2');
      await page.fill('#pw-repeat', 'self-second-password-2');
      await page.getByTestId('save-password').click();
      await page.getByTestId('password-changed').waitFor(WAIT);

      expect((await apiClient(server.url, token)('GET', '/devices')).status).toBe(401);
      expect((await apiClient(server.url, other.token)('GET', '/devices')).status).toBe(401);
      // This session stays, live updates included.
      await page.getByRole('link', { name: 'Status' }).click();
      await page.waitForURL(/\/status$/, WAIT);
      await expect.poll(() => page.getByTestId('connection').getAttribute('data-state'), WAIT).toBe('connected');
      await page.getByTestId('logout').click();
      await page.waitForURL(/\/login/, WAIT);
      await signIn(page, user.username, 'self-second-password-2');
    } finally {
      await context.close();
    }
  });

  it('sends a user whose account was disabled back to the login page at once, live socket included', async () => {
    const user = { username: 'e2e-disabled', password: 'disabled-password-1' };
    const created = await adminApi('POST', '/users', { ...user, role: 'operator' });
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, user.username, user.password);
      await expect.poll(() => page.getByTestId('connection').getAttribute('data-state'), WAIT).toBe('connected');
      expect((await adminApi('PATCH', `/users/${created.body.id}`, { disabled: true })).status).toBe(200);
      // No click needed: the server closes the socket, the console notices the session is gone.
      await page.waitForURL(/\/login/, WAIT);
      await page.fill('#login-user', user.username);
      await page.fill('#login-password', user.password);
      await page.click('button[type=submit]');
      await expect.poll(() => page.getByTestId('login-error').textContent(), WAIT).toContain('disabled');
    } finally {
      await context.close();
    }
  });
});
