import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

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
