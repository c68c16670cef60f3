import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where e2e tests save screenshots. */
export const RESULTS = `${ROOT}test-results`;

/**
 * Debian's Chromium, headless, as PEERS.md runs it (no sandbox, no GPU, no
 * background traffic). E2E tests need the built console (`npm test` builds
 * it first); they fail here, clearly, when it is missing.
 */
export async function launchChromium(opts: { needsConsole?: boolean } = {}): Promise<Browser> {
  if ((opts.needsConsole ?? true) && !existsSync(`${ROOT}dist/client/index.html`)) {
    throw new Error('dist/client is not built: run `npm run build` (npm test does) first');
  }
  mkdirSync(RESULTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Opens `path` of the console while logged out, signs in on the login page it is sent to,
 * and waits until the console is back on `path`.
 */
export async function signInAt(page: Page, baseUrl: string, path: string, username: string, password: string): Promise<void> {
  const wait = { timeout: 60_000 };
  await page.goto(`${baseUrl}${path}`);
  await page.waitForURL(/\/login/, wait);
  await page.fill('#login-user', username);
  await page.fill('#login-password', password);
  await page.click('button[type=submit]');
  await page.waitForURL(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), wait);
}
